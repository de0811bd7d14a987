"""enews db dump / load / copy: what is refused, in one line, changing nothing.

Bad files (each problem as FILE:LINE: problem), targets that are not empty
or at another schema revision, unreachable databases.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from typing import Any

import pytest
from sqlalchemy import insert, text

from enews.errors import ConflictError, DatabaseError, DumpError
from enews.store import db, dumpfile, transfer
from enews.store.models import Item
from tests.factories import make_item
from tests.helpers_transfer import (
    DUMP_V1,
    UNREACHABLE,
    counts,
    dump_bytes,
    empty_counts,
    fill,
    lines,
    load_bytes,
)
from tests.helpers_transfer import engines as engines
from tests.helpers_transfer import fresh as fresh
from tests.helpers_transfer import head_sqlite as head_sqlite
from tests.helpers_transfer import migrated as migrated
from tests.helpers_transfer import sample as sample

REVISION = db.head_revision()


def test_non_empty_target_is_refused_then_replaced(workspace, fresh, engines):
    fill(workspace)
    data = dump_bytes(workspace.engine)
    target = engines(fresh("other"))
    transfer.prepare_target(target)
    with db.transaction(db.session_factory(target)) as s:
        make_item(s, title="Already here")
    kept = dump_bytes(target)
    with pytest.raises(ConflictError, match=r"not empty \(1 items\).*--replace"):
        load_bytes(target, data)
    with pytest.raises(ConflictError, match="not empty"):
        transfer.copy_database(workspace.engine, target)
    assert dump_bytes(target) == kept

    broken = data.replace(b'"section"', b'"sektion"')
    with pytest.raises(DumpError):
        load_bytes(target, broken, replace=True)
    assert dump_bytes(target) == kept  # the delete was rolled back too
    load_bytes(target, data, replace=True)
    assert dump_bytes(target) == data


# ------------------------------------------------------------ bad headers


def jsonl(*values: Any, **changes: Any) -> str:
    """A JSON Lines dump: its header (with ``changes``), then ``values``."""
    header = {"format": "enews-dump", "version": 2, "revision": REVISION} | changes
    return "".join(json.dumps(value) + "\n" for value in (header, *values))


END = {"end": {t.name: 0 for t in dumpfile.tables()}}


def v1(**changes: Any) -> str:
    """A version 1 dump (one JSON object) with no rows."""
    values = {"format": "enews-dump", "version": 1, "revision": REVISION}
    values |= changes
    tables = ", ".join(f'"{t.name}": []' for t in dumpfile.tables())
    return json.dumps(values)[:-1] + ', "tables": {' + tables + "}}\n"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            jsonl(END, revision="9999"),
            "dump.json:1: made by a newer enews (schema revision 9999; this enews "
            "knows up to",
            id="newer-revision",
        ),
        pytest.param(
            jsonl(END, version=3),
            "dump.json:1: a version 3 dump, made by a newer enews",
            id="newer-version",
        ),
        pytest.param(
            jsonl(END, revision="0001"),
            "dump.json:1: made by an older enews",
            id="older",
        ),
        pytest.param(jsonl(END, format="x"), "dump.json:1: not an enews", id="format"),
        pytest.param("[1, 2]", "dump.json:1: not an enews dump", id="not-an-object"),
        pytest.param(
            '{"format": "enews-dump", ', "dump.json:1: not valid JSON", id="truncated"
        ),
        pytest.param("", "dump.json: empty, not an enews dump", id="empty"),
        pytest.param("\n" + jsonl(END), "dump.json:1: blank", id="blank-first"),
        pytest.param(
            jsonl(END, version=1),
            "dump.json:1: a version 1 dump is one JSON object, this file is JSON Lines",
            id="v1-as-lines",
        ),
        pytest.param(
            jsonl(),
            "dump.json:1: the file ends before the dump's end line (was it cut short?)",
            id="header-only",
        ),
        pytest.param(
            jsonl(END) + "\n  \n{}\n",
            "dump.json:5: unexpected data after the end line",
            id="after-the-end",
        ),
        pytest.param(
            jsonl(END)[:-3] + "\n",
            "dump.json:2: not valid JSON: Expecting ',' delimiter",
            id="end-cut",
        ),
        pytest.param(
            jsonl({"table": "users", "row": {"id": float("nan")}}, END),
            "dump.json:2: not valid JSON: NaN is not a JSON value",
            id="nan",
        ),
        pytest.param(
            jsonl({"end": {"users": 0}}),
            "dump.json:2: the end line must give the number of rows of every table",
            id="end-incomplete",
        ),
        pytest.param(
            v1(revision="9999"), "dump.json: made by a newer enews", id="v1-newer"
        ),
        pytest.param(
            v1() + " x", "dump.json:2: unexpected data after the dump", id="v1-trailing"
        ),
        pytest.param(v1()[:-3], "dump.json:1: not valid JSON", id="v1-unclosed"),
        pytest.param(
            v1(version=2),
            "dump.json: a version 2 dump is JSON Lines, this file is one JSON object",
            id="v1-says-2",
        ),
        pytest.param(
            v1().replace(', "tables": {', ', "tablez": {\n'),
            'dump.json: "tables" is missing',
            id="v1-no-tables",
        ),
    ],
)
def test_bad_files_are_refused_before_any_database(data, message):
    with pytest.raises(DumpError) as caught:
        dump = dumpfile.read(io.StringIO(data), "dump.json")
        for _table, rows in dump.tables():
            list(rows)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


# --------------------------------------------------------------- bad lines


def _break(data: bytes, how: str) -> tuple[str, int]:
    """The sample dump broken ``how``, and the number of the line at fault."""
    found = lines(data)
    numbers = {line.get("table"): n for n, line in enumerate(found[1:-1], 2)}
    entry, item = found[numbers["issue_items"] - 1], found[2]  # last, first
    at = numbers["issue_items"]
    if how == "missing-column":
        del entry["row"]["section"]
    elif how == "unknown-column":
        entry["row"]["colour"] = "red"
    elif how == "wrong-type":
        entry["row"]["position"] = "first"
    elif how in ("bad-date", "null", "too-long"):
        key, value = {
            "bad-date": ("published_on", "29 October 2020"),
            "null": ("title", None),
            "too-long": ("kind", "x" * 41),
        }[how]
        item["row"][key], at = value, 3
    elif how == "duplicate-id":
        found.insert(3, item)
    elif how == "dangling-reference":
        entry["row"]["item_id"] = 999
    elif how == "unknown-table":
        found.insert(2, {"table": "extras", "row": {}})
        at = 3
    elif how == "not-a-row":
        entry["tabel"] = entry.pop("table")
    elif how == "not-a-row-object":
        entry["row"] = [1, 2]
    elif how == "lost-line":  # item 4, in no issue
        del found[5]
        at = len(found)
    elif how == "missing-table":
        found = [line for line in found if line.get("table") != "users"]
        del found[-1]["end"]["users"]
        at = len(found)
    elif how == "cut-short":
        del found[-1]
        at = len(found)
    elif how == "order":  # issue_items first: they refer to issues and items
        body = sorted(found[1:-1], key=lambda line: line["table"] != "issue_items")
        found = [found[0], *body, found[-1]]
        at = 2 + sum(line["table"] == "issue_items" for line in body)
    elif how == "split":  # items, then users, then items again
        moved = found.pop(3)
        found.insert(len(found) - 1, moved)
        at = len(found) - 1
    return "".join(json.dumps(line) + "\n" for line in found), at


BREAKAGES = {
    "missing-column": "table issue_items: missing column 'section'",
    "unknown-column": "table issue_items: unknown column 'colour'",
    "wrong-type": "table issue_items: position must be a whole number",
    "bad-date": "table items: published_on",
    "null": "table items: title cannot be null",
    "too-long": "table items: kind is longer than 40 characters",
    "duplicate-id": "dump.json: its rows break a rule of the database",
    "dangling-reference": "dump.json: its rows break a rule of the database",
    "unknown-table": "unknown table 'extras'",
    "not-a-row": 'not a line of a dump ({"table": ..., "row": {...}}',
    "not-a-row-object": "table issue_items: not a JSON object",
    "lost-line": "the end line says table 'items' has 4 rows, the file holds 3",
    "missing-table": "the end line must give the number of rows of every table",
    "cut-short": "the file ends before the dump's end line (was it cut short?)",
    "order": "table 'issues' comes after 'issue_items', which refers to it",
    "split": "more rows of table 'items' after another table's",
}


@pytest.mark.parametrize("how", BREAKAGES)
def test_a_bad_line_is_named_and_changes_nothing(workspace, sample, how):
    workspace.sessions()
    data, line = _break(sample, how)
    with pytest.raises(DumpError) as caught:
        load_bytes(workspace.engine, data)
    message = str(caught.value)
    assert BREAKAGES[how] in message and "\n" not in message
    if "database" not in message:  # the database's own checks are batched
        assert message.startswith(f"dump.json:{line}: "), message
    assert counts(workspace.engine) == empty_counts()


V1_BREAKAGES = {
    "missing-column": "dump.json: table issue_items, row 3: missing column 'section'",
    "missing-table": "dump.json: no table 'users'",
    "unknown-table": "dump.json: unknown table 'extras'",
    "order": "dump.json: table 'issue_items' comes before 'issues', which it refers",
    "not-an-array": "dump.json: table 'items' must be a JSON array",
}


@pytest.mark.parametrize("how", V1_BREAKAGES)
def test_a_bad_v1_dump_changes_nothing(workspace, how):
    workspace.sessions()
    dump = json.loads(DUMP_V1.read_text(encoding="utf-8"))
    tables = dump["tables"]
    if how == "missing-column":
        del tables["issue_items"][-1]["section"]
    elif how == "missing-table":
        del tables["users"]
    elif how == "unknown-table":
        tables["extras"] = []
    elif how == "order":
        dump["tables"] = {"issue_items": tables.pop("issue_items"), **tables}
    elif how == "not-an-array":
        tables["items"] = {}
    with pytest.raises(DumpError) as caught:
        load_bytes(workspace.engine, json.dumps(dump))
    assert V1_BREAKAGES[how] in str(caught.value)
    assert counts(workspace.engine) == empty_counts()


def test_a_bad_row_in_a_copy_is_named(workspace, head_sqlite, tmp_path, engines):
    # SQLite keeps what it is given; the copy checks each row as a load does.
    workspace.sessions()
    path = tmp_path / "lax.sqlite"
    shutil.copyfile(head_sqlite, path)
    source = engines(f"sqlite:///{path}")
    row = {"kind": "x" * 41, "title": "T", "title_key": "t"}
    with source.begin() as conn:
        conn.execute(insert(Item).values(published_on=dt.date(2020, 10, 1), **row))
    with pytest.raises(DumpError) as caught:
        transfer.copy_database(source, workspace.engine)
    assert str(caught.value) == (
        f"sqlite:///{path}: table items, row 1: kind is longer than 40 characters"
    )
    assert counts(workspace.engine) == empty_counts()


# ---------------------------------------------------------------- databases


def test_unreachable_or_wrong_databases_are_one_line(workspace, tmp_path):
    workspace.sessions()
    for url, says in [
        (UNREACHABLE, "cannot connect to postgresql+psycopg://x@127.0.0.1:1/none"),
        (f"sqlite:///{tmp_path}/no/such/folder.sqlite", "cannot connect"),
    ]:
        target = db.make_engine(url)
        with pytest.raises(DatabaseError) as caught:
            transfer.copy_database(workspace.engine, target)
        assert says in str(caught.value) and "\n" not in str(caught.value)
        target.dispose()
    with pytest.raises(DatabaseError, match="cannot use database URL"):
        db.make_engine("nosuchdb://nobody")


def test_target_at_another_revision_is_left_alone(workspace, fresh, engines):
    fill(workspace)
    target = engines(fresh("same"))
    transfer.prepare_target(target)
    with target.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0002'"))
    with pytest.raises(DatabaseError, match="is at schema revision 0002"):
        transfer.copy_database(workspace.engine, target)
    assert db.current_revision(target) == "0002"
    assert counts(target) == empty_counts()


def test_source_at_an_unknown_revision_is_refused(workspace):
    workspace.sessions()
    with workspace.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(DatabaseError, match="revision 9999"):
        dump_bytes(workspace.engine)


def test_copy_into_itself_is_refused(workspace):
    with pytest.raises(DatabaseError, match="is the database being copied"):
        transfer.copy_database(workspace.engine, db.make_engine(workspace.url))
