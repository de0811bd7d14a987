"""CSV and JSON readers and the importer, on real files and a real SQLite file."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from enews.collect import detect_format, read_records
from enews.collect.csv_source import read_csv
from enews.collect.importer import ImportReport, import_records
from enews.collect.json_source import read_json
from enews.collect.records import SourceError
from enews.store.models import Item

DATA = Path(__file__).parent / "data"


def records(name: str, fmt: str | None = None, warn=None):
    data = (DATA / name).read_bytes()
    fmt = fmt or detect_format(data[:4096], name=name)
    kwargs = {"warn": warn} if warn else {}
    return list(read_records(io.BytesIO(data), fmt, source=name, **kwargs))


def run_import(session, name: str, **options):
    data = (DATA / name).read_bytes()
    fmt = detect_format(data[:4096], name=name)
    report = ImportReport(
        source=name,
        format=fmt,
        dry_run=options.pop("dry_run", False),
        skip_invalid=options.pop("skip_invalid", False),
    )
    stream = read_records(
        io.BytesIO(data), fmt, source=name, warn=report.warnings.append
    )
    import_records(session, stream, report, **options)
    if report.ok_to_commit:
        session.commit()
    else:
        session.rollback()
    return report


def count(session) -> int:
    return session.scalar(select(func.count()).select_from(Item))


def test_csv_rows_keep_their_line_numbers_and_report_unknown_columns():
    warnings: list[str] = []
    rows = records("items.csv", warn=warnings.append)
    assert [r.line for r in rows] == [2, 3, 4, 8]  # the summary on 4 spans 4 lines
    assert rows[2].fields["title"] == "Zoë Ólafsdóttir on Reykjavík's energy co-op"
    assert "notes" not in rows[0].fields
    assert warnings == ["items.csv:1: unknown column 'notes' ignored"]


def test_crlf_and_bom_read_the_same_as_plain_utf8():
    plain = [(r.line, r.fields) for r in records("items.csv")]
    windows = [(r.line, r.fields) for r in records("items-crlf-bom.csv")]
    assert [line for line, _ in windows] == [line for line, _ in plain]
    for (_, a), (_, b) in zip(plain, windows, strict=True):
        assert {k: v.replace("\r\n", "\n") for k, v in b.items()} == a


def test_json_list_and_wrapper_forms():
    warnings: list[str] = []
    rows = records("items.json", warn=warnings.append)
    assert [r.line for r in rows] == [2, 11]
    assert rows[1].fields == {"kind": "Article", "title": "Five lessons from worker "
                              "buy-outs", "date": "9 October 2020", "url": "",
                              "summary": ""}  # fmt: skip
    assert warnings == ["items.json:11: unknown key 'tags' ignored"]
    wrapped = records("items-wrapped.json")
    assert [(r.line, r.fields["title"]) for r in wrapped] == [(2, "Wrapped item")]


@pytest.mark.parametrize(
    ("data", "fmt", "message"),
    [
        (b"", "csv", "items.x: the file is empty"),
        (b"kind,name\nNews,x\n", "csv", "items.x:1: the header has no title or date"),
        (b'title,date\n"open,2020-10-01\n', "csv", "items.x:2: malformed CSV"),
        (b"title,date\nCaf\xe9,2020-10-01\n", "csv", "items.x:2: not UTF-8"),
        (b"[{}, {]", "json", "items.x:1: malformed JSON"),
        (b'[{"title": "a"}]\n\n x', "json", "items.x:3: unexpected text"),
        (b'"just a string"', "json", "items.x:1: expected a list of items"),
        (b"   ", "json", "items.x: the file is empty"),
    ],
)
def test_broken_files_are_one_clear_error(data, fmt, message):
    with pytest.raises(SourceError) as info:
        list(read_records(io.BytesIO(data), fmt, source="items.x"))
    assert str(info.value).startswith(message)


@pytest.mark.parametrize(
    ("head", "name", "expected"),
    [
        (b"\xef\xbb\xbfkind,title,date\n", "x", "csv"),
        (b'  [{"title"', "x", "json"),
        (b"<?xml version='1.0'?><rss>", "x", "feed"),
        (b"1. News\n", "paste", "listing"),
        (b"something", "items.csv", "csv"),
    ],
)
def test_format_detection(head, name, expected):
    assert detect_format(head, name=name) == expected


def test_undetectable_format_asks_for_format():
    with pytest.raises(SourceError, match="--format"):
        detect_format(b"hello there", name="notes")


def test_import_adds_then_changes_nothing(session):
    first = run_import(session, "items.csv")
    assert (first.added, first.updated, first.unchanged, first.invalid) == (4, 0, 0, 0)
    again = run_import(session, "items.csv")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 4)
    assert count(session) == 4
    stored = {i.title: i for i in session.scalars(select(Item))}
    rich = stored["Digital payments & rural SACCOs: a field note"]
    assert rich.summary_format == "html" and "<script" not in rich.summary
    assert rich.summary == (
        "<p>Lower costs, new <em>fraud</em> risks &amp; "
        '<a href="https://coop.example/report">the report</a>.</p>'
    )
    zoe = stored["Zoë Ólafsdóttir on Reykjavík's energy co-op"]
    assert "<ul>" in zoe.summary and "<strong>Geothermal</strong>" in zoe.summary
    assert stored["Regional forum opens in Nairobi"].source == "items.csv"


def test_changed_fields_update_and_are_reported(session, tmp_path):
    run_import(session, "items.csv")
    changed = (
        (DATA / "items.csv")
        .read_text()
        .replace("grew by 12%, driven", "grew by 13%, driven")
    )
    (tmp_path / "items.csv").write_text(changed)
    report = ImportReport(source="items.csv", format="csv")
    with (tmp_path / "items.csv").open("rb") as stream:
        import_records(session, read_csv(stream, source="items.csv"), report)
    assert (report.added, report.updated, report.unchanged) == (0, 1, 3)
    assert report.changes[0].fields == ["summary"] and report.changes[0].where == (
        "items.csv:2"
    )


def test_same_title_and_date_without_url_is_the_same_item(session, tmp_path):
    run_import(session, "items.csv")
    (tmp_path / "x.csv").write_text(
        "kind,title,date\nNews,  regional FORUM opens in Nairobi!,2020-10-05\n"
    )
    report = ImportReport(source="x.csv", format="csv")
    with (tmp_path / "x.csv").open("rb") as stream:
        import_records(session, read_csv(stream, source="x.csv"), report)
    assert (report.added, report.updated) == (0, 1)  # only the title's form changed
    assert count(session) == 4


def test_one_bad_record_imports_nothing(session):
    report = run_import(session, "items-bad.csv")
    assert report.invalid == 5 and not report.ok_to_commit
    assert report.problems == [
        "items-bad.csv:3: date: '31 February 2020' is not a valid date (day is out "
        "of range for month)",
        "items-bad.csv:4: url: 'javascript:alert(1)' is not an absolute http(s) link",
        "items-bad.csv:5: title: is required",
        "items-bad.csv:6: image_alt: an image needs alt text",
        "items-bad.csv:7: kind: is required",
    ]
    assert count(session) == 0


def test_skip_invalid_imports_the_rest(session):
    report = run_import(session, "items-bad.csv", skip_invalid=True)
    assert (report.added, report.invalid) == (1, 5)
    assert count(session) == 1


def test_kind_option_fills_missing_kinds(session):
    report = run_import(session, "items-bad.csv", skip_invalid=True, kind="News")
    assert report.added == 2  # the row without a kind now counts


def test_dry_run_counts_but_writes_nothing(session):
    report = run_import(session, "items.csv", dry_run=True)
    assert report.added == 4 and not report.ok_to_commit
    assert count(session) == 0


def test_duplicate_rows_in_one_file_are_invalid(session, tmp_path):
    (tmp_path / "d.csv").write_text(
        "kind,title,date,url\nNews,A,2020-10-01,https://e.org/a\n"
        "News,B,2020-10-02,https://e.org/a\n"
    )
    report = ImportReport(source="d.csv", format="csv")
    with (tmp_path / "d.csv").open("rb") as stream:
        import_records(session, read_csv(stream, source="d.csv"), report)
    assert report.problems == ["d.csv:3: the same item as d.csv:2"]


def test_huge_summary_is_a_validation_error_not_a_crash(session, tmp_path):
    big = "x" * (30 << 20)
    record = {"kind": "News", "title": "Big", "date": "2020-10-01", "summary": big}
    (tmp_path / "big.json").write_text(json.dumps([record]))
    report = ImportReport(source="big.json", format="json")
    with (tmp_path / "big.json").open("rb") as stream:
        import_records(session, read_json(stream, source="big.json"), report)
    assert (
        report.invalid == 1 and "summary: is 31457280 characters" in report.problems[0]
    )


def test_batches_cross_boundaries(session, tmp_path):
    rows = "".join(f"News,Item {n},2020-10-{n % 28 + 1:02d},https://e.org/{n}\n"
                   for n in range(1203))  # fmt: skip
    (tmp_path / "many.csv").write_text("kind,title,date,url\n" + rows)
    for expected_added in (1203, 0):
        report = ImportReport(source="many.csv", format="csv")
        with (tmp_path / "many.csv").open("rb") as stream:
            import_records(session, read_csv(stream, source="many.csv"), report)
        session.commit()
        assert report.added == expected_added
    assert count(session) == 1203
