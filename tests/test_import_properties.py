"""Property tests: export-then-import is the identity; no input crashes an importer."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from enews.cli import cli
from enews.collect import read_records
from enews.collect.importer import ImportReport, import_records
from enews.collect.records import SourceError
from enews.compose.items import add_item, make_draft, title_key
from enews.store.models import Item
from enews.workspace import Workspace, init_workspace

TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Cn")), min_size=1, max_size=60
).filter(lambda s: s.strip())
SUMMARY = st.one_of(
    st.none(),
    TEXT,
    st.lists(TEXT, min_size=1, max_size=3).map("\n".join),
    st.sampled_from(
        [
            "**Bold** move",
            "- one\n- two",
            "<p>Hi <em>there</em></p>",
            '<a href="https://e.org/x">link</a> &amp; more',
        ]
    ),
)
URL = st.one_of(
    st.none(),
    st.from_regex(r"https://[a-z]{1,8}\.example/[A-Za-z0-9_~/-]{0,20}", fullmatch=True),
)
ITEM = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["News", "Article", "Interview", "Partner Interview"]),
        "title": TEXT,
        "date": st.dates(dt.date(1900, 1, 1), dt.date(2199, 12, 31)),
        "url": URL,
        "summary": SUMMARY,
    }
)


def identity_key(item: dict) -> object:
    # Two items the importer would take for one: same URL, or no URL and the
    # same normalised title and date.
    if item["url"]:
        return item["url"]
    return (title_key(item["title"]), item["date"])


@pytest.fixture(scope="module")
def two_workspaces(tmp_path_factory) -> tuple[Workspace, Workspace]:
    pair = []
    for name in ("a", "b"):
        root = tmp_path_factory.mktemp(name)
        init_workspace(root)
        pair.append(Workspace(root))
    return pair[0], pair[1]


def export(ws: Workspace, fmt: str) -> str:
    args = ["-w", str(ws.root), "item", "list", "--format", fmt]
    result = CliRunner().invoke(cli, args, env={"DATABASE_URL": None})
    assert result.exit_code == 0, result.output
    return result.stdout


def without_ids(exported: str, fmt: str) -> list[list[str]] | list[dict]:
    import csv
    import json

    if fmt == "json":
        return [{k: v for k, v in row.items() if k not in ("id", "source")}
                for row in json.loads(exported)]  # fmt: skip
    rows = list(csv.reader(io.StringIO(exported)))
    return [row[1:-1] for row in rows]  # drop id and source columns


@pytest.mark.parametrize("fmt", ["csv", "json"])
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(items=st.lists(ITEM, max_size=8, unique_by=identity_key))
def test_export_then_import_is_the_identity(two_workspaces, fmt, items):
    a, b = two_workspaces
    for ws in (a, b):
        with ws.transaction() as session:
            session.execute(delete(Item))
    with a.transaction() as session:
        for values in items:
            add_item(session, make_draft(**values))
    exported = export(a, fmt)
    report = ImportReport(source=f"items.{fmt}", format=fmt)
    with b.sessions()() as session:
        records = read_records(io.BytesIO(exported.encode()), fmt, source=report.source)
        import_records(session, records, report)
        session.commit()
    assert (report.added, report.invalid) == (len(items), 0), report.problems
    assert without_ids(export(b, fmt), fmt) == without_ids(exported, fmt)
    again = ImportReport(source=f"items.{fmt}", format=fmt)
    with b.sessions()() as session:
        records = read_records(io.BytesIO(exported.encode()), fmt, source=again.source)
        import_records(session, records, again)
        session.rollback()
    assert again.unchanged == len(items) and again.added == again.updated == 0


@pytest.mark.parametrize("fmt", ["csv", "json", "listing"])
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(data=st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(str.encode),
    st.sampled_from([b"kind,title,date\n", b"[", b'{"items": [{"title": 1}]}',
                     b"1. News\nT\n31 February 2020\n", b"title,date\n\xff,1\n"]),
))  # fmt: skip
def test_no_input_fails_with_anything_but_a_clear_error(two_workspaces, fmt, data):
    ws = two_workspaces[0]
    report = ImportReport(source="fuzz", format=fmt)
    with ws.sessions()() as session:
        try:
            records = read_records(io.BytesIO(data), fmt, source="fuzz")
            import_records(session, records, report, kind="News")
        except SourceError as exc:
            assert str(exc).startswith("fuzz")
        finally:
            session.rollback()
    assert all(p.startswith("fuzz:") for p in report.problems)
