"""enews db dump / load / copy: whole databases, across SQLite and PostgreSQL.

Round trips, the JSON Lines format, streaming, and dumps of the version 1
format. Refusals are in test_transfer_refusals.py, the CLI in
test_transfer_cli.py; fixtures and helpers in helpers_transfer.py.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select, update

from enews.publish.build import build_issue
from enews.store import db, dumpfile, transfer
from enews.store.models import Issue, Item, User
from tests.factories import make_issue, make_item
from tests.helpers_transfer import (
    DUMP_V1,
    SUMMARY_HTML,
    counts,
    dump_bytes,
    fill,
    lines,
    load_bytes,
    rows_by_table,
    v1_loaded,
    v1_tables,
)
from tests.helpers_transfer import engines as engines
from tests.helpers_transfer import fresh as fresh
from tests.helpers_transfer import head_sqlite as head_sqlite
from tests.helpers_transfer import migrated as migrated
from tests.helpers_transfer import sample as sample

REVISION = db.head_revision()

# ------------------------------------------------------------ round trips


def test_dump_load_dump_is_byte_identical(workspace, fresh, engines, tmp_path):
    fill(workspace)
    first = tmp_path / "first.json"
    stored = transfer.dump_to_file(workspace.engine, first)
    assert stored["items"] == 4 and stored["issue_items"] == 3
    assert stored["users"] == stored["signin_failures"] == 1
    assert first.stat().st_mode & 0o077 == 0  # password hashes: owner only

    for which in ("same", "other"):
        target = engines(fresh(which))
        loaded = load_bytes(target, first.read_bytes())
        assert loaded == stored
        assert dump_bytes(target) == first.read_bytes(), which


def test_dump_is_json_lines_with_typed_values(workspace):
    fill(workspace)
    data = dump_bytes(workspace.engine)
    head, *rows, end = lines(data)
    assert data.startswith(
        b'{"format": "enews-dump", "version": 2, "revision": "%s"}\n'
        % REVISION.encode()
    )
    assert data.endswith(b"}\n") and data.count(b"\n") == len(rows) + 2
    assert head == {"format": "enews-dump", "version": 2, "revision": REVISION}
    # Parents first: the tables come in dump order, each row by primary key.
    order = [t.name for t in dumpfile.tables()]
    assert [r["table"] for r in rows] == sorted(
        (r["table"] for r in rows), key=order.index
    )
    assert end == {"end": {name: len(rows_by_table(data)[name]) for name in order}}
    assert list(end["end"]) == order
    items = rows_by_table(data)["items"]
    assert [i["id"] for i in items] == sorted(i["id"] for i in items)
    assert list(items[0]) == [c.key for c in Item.__table__.columns]  # fixed order
    zoe = items[0]
    assert zoe["title"] == "Zoë Ólafsdóttir: énergie coopérative 🌬"
    assert "Zoë Ólafsdóttir".encode() in data  # ensure_ascii=False: UTF-8 text
    assert (
        zoe["summary_format"] == "html" and "<strong>&amp;</strong>" in zoe["summary"]
    )
    assert zoe["published_on"].count("-") == 2
    assert dt.datetime.fromisoformat(zoe["created_at"]).utcoffset() == dt.timedelta(0)
    entries = rows_by_table(data)["issue_items"]
    assert [e["featured"] for e in entries].count(True) == 1
    assert {type(e["featured"]) for e in entries} == {bool}
    (failure,) = rows_by_table(data)["signin_failures"]
    assert failure["at"] == "2020-10-05T09:30:12.345678+00:00"


def test_copy_there_and_back_keeps_everything(workspace, fresh, engines, tmp_path):
    fill(workspace)
    before = dump_bytes(workspace.engine)
    there = engines(fresh("other"))
    back = engines(f"sqlite:///{tmp_path / 'new.sqlite'}")  # no schema yet
    copied = transfer.copy_database(workspace.engine, there)
    assert copied == counts(workspace.engine) == counts(there)
    transfer.copy_database(there, back)
    assert dump_bytes(there) == before
    assert dump_bytes(back) == before

    with db.session_factory(there)() as s:
        issue = s.scalar(select(Issue))
        assert issue is not None and issue.version > 1
        assert issue.intro == "Intro «ça va» — deux lignes."
        entries = {e.item.title: e for e in issue.entries}
        zoe = entries["Zoë Ólafsdóttir: énergie coopérative 🌬"]
        assert zoe.featured is True and zoe.section == "Interview"
        assert zoe.item.summary == SUMMARY_HTML
        assert sum(e.featured for e in entries.values()) == 1
        assert entries["Forum in Nairobi"].position == 0  # moved to the top


def test_build_is_identical_on_the_copy(workspace, fresh, engines):
    fill(workspace)
    other = engines(fresh("other"))
    transfer.copy_database(workspace.engine, other)
    builds = []
    for engine in (workspace.engine, other):
        with db.session_factory(engine)() as s:
            bundle = build_issue(
                s, "2020-10", settings=workspace.settings, workspace=workspace.root
            )
            builds.append(bundle.files())
    assert builds[0] == builds[1]
    assert "Zoë" in builds[0]["index.html"].decode()


def test_new_rows_after_a_load_get_new_ids(workspace, fresh, engines):
    fill(workspace)
    target = engines(fresh("other"))
    load_bytes(target, dump_bytes(workspace.engine))
    with db.transaction(db.session_factory(target)) as s:
        top = s.scalar(select(func.max(Item.id)))
        assert make_item(s, title="After the load").id == top + 1
        assert make_issue(s, month="2020-09").id == 2
        s.add(User(name="bob", password_hash="h"))
        s.flush()
        assert s.scalar(select(func.max(User.id))) == 2


def test_line_breaks_of_unicode_stay_inside_values(workspace, fresh, engines, tmp_path):
    # ensure_ascii=False writes U+2028, U+2029 and U+0085 as they are; they
    # end a line for str.splitlines but not in JSON Lines (nor for a file).
    # (enews normalises the titles it is given: these are set behind its back)
    title = "Vent\u2028soleil\u2029et\x85eau\rici"
    with workspace.transaction() as s:
        make_item(s, title="Vent")
        s.execute(update(Item).values(title=title, summary="a\nb\u2028c"))
    path = tmp_path / "dump.json"
    transfer.dump_to_file(workspace.engine, path)
    assert path.read_bytes().count(b"\n") == 3  # header, 1 item, end line
    target = engines(fresh("other"))
    with path.open(encoding="utf-8") as stream:  # as enews db load opens it
        transfer.load(target, dumpfile.read(stream, "dump.json").tables(), name="d")
    assert dump_bytes(target) == path.read_bytes()
    with db.session_factory(target)() as s:
        assert s.scalar(select(Item.title)) == title


def test_any_spacing_within_the_lines_loads(workspace, fresh, engines):
    fill(workspace)
    data = dump_bytes(workspace.engine)
    tight = "".join(
        json.dumps(line, ensure_ascii=True, separators=(",", ":")) + "\r\n"
        for line in lines(data)
    )
    target = engines(fresh("same"))
    load_bytes(target, tight)
    assert dump_bytes(target) == data


# ------------------------------------------------------------- streaming


class CountingStream(io.StringIO):
    """Text read a line at a time only, counting the lines handed out."""

    lines = 0

    def readline(self, size: int | None = -1) -> str:
        self.lines += 1
        return super().readline(size)

    def __next__(self) -> str:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def read(self, size: int | None = -1) -> str:
        raise AssertionError("a JSON Lines dump is never read whole")


def test_rows_are_handed_out_as_their_lines_are_read(sample):
    stream = CountingStream(sample.decode("utf-8"))
    dump = dumpfile.read(stream, "dump.json")
    assert stream.lines == 1  # the header, checked on opening
    numbers = iter(range(2, 10**6))
    for _table, rows in dump.tables():
        for _row in rows:
            # no line read ahead of the row handed out
            assert stream.lines == next(numbers)
    assert stream.lines == len(lines(sample)) + 1  # and the end of the file


class GeneratedDump(io.TextIOBase):
    """A JSON Lines dump of ``count`` items made as it is read, never whole."""

    def __init__(self, count: int) -> None:
        self._lines = self._make(count)

    @staticmethod
    def _make(count: int) -> Iterator[str]:
        yield json.dumps({"format": "enews-dump", "version": 2, "revision": "0003"})
        item: dict[str, Any] = {c.key: None for c in Item.__table__.columns}
        item |= {"kind": "News", "title": "T", "title_key": "t", "summary": "x" * 900}
        item |= {"published_on": "2020-10-01", "summary_format": "text"}
        item |= {"created_at": "2020-10-01T08:00:00+00:00"}
        for n in range(1, count + 1):
            item |= {"id": n, "url": f"https://e.example/{n}"}
            item["updated_at"] = item["created_at"]
            yield json.dumps({"table": "items", "row": item}) + "\n"
        others = {t.name: 0 for t in dumpfile.tables()}
        yield json.dumps({"end": others | {"items": count}}) + "\n"

    def readline(self, size: int | None = -1) -> str:
        return next(self._lines, "")

    def __next__(self) -> str:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


def test_reading_a_large_dump_takes_little_memory():
    # 3,000 rows of ~1 KB: 3 MB of dump, read in a few kilobytes.
    dump = dumpfile.read(GeneratedDump(3_000), "big.json")  # type: ignore[arg-type]
    tracemalloc.start()
    try:
        seen = sum(sum(1 for _row in rows) for _table, rows in dump.tables())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert seen == 3_000
    assert peak < 300_000, peak


def test_loads_in_batches(workspace, fresh, engines, monkeypatch):
    fill(workspace)
    data = dump_bytes(workspace.engine)
    monkeypatch.setattr(transfer, "BATCH", 2)
    seen: list[tuple[str, int]] = []
    target = engines(fresh("same"))
    load_bytes(target, data, progress=lambda t, n: seen.append((t, n)))
    assert dump_bytes(target) == data
    assert ("items", 2) in seen and ("items", 4) in seen


# ------------------------------------------- dumps of the version 1 format


def test_the_v1_fixture_is_what_enews_wrote():
    # tests/data/dump-v1.json was written once by the version 1 writer.
    first = DUMP_V1.read_text(encoding="utf-8").split("\n")[0]
    assert first == (
        '{"format": "enews-dump", "version": 1, "revision": "0003", "tables": {'
    )
    assert list(v1_tables()) == [t.name for t in dumpfile.tables()]


def test_a_v1_dump_loads_with_every_row(workspace):
    # dump-v1.json is at schema revision 0003: once a migration moves head,
    # it is refused as older and its rows need that migration, by hand.
    workspace.sessions()
    with DUMP_V1.open(encoding="utf-8") as stream:
        dump = dumpfile.read(stream, DUMP_V1.name)
        assert dump.revision == "0003"
        loaded = transfer.load(workspace.engine, dump.tables(), name=DUMP_V1.name)
    tables = v1_tables()
    assert loaded == {name: len(rows) for name, rows in tables.items()}
    assert rows_by_table(dump_bytes(workspace.engine)) == v1_loaded()
    with db.session_factory(workspace.engine)() as s:
        assert s.scalar(select(Issue.intro)) == "Intro «ça va» — deux lignes."
        assert make_item(s, title="After").id == 5  # sequences reset


@pytest.mark.parametrize("layout", ["pretty", "one-line"])
def test_a_v1_dump_loads_in_any_layout(fresh, engines, layout):
    v1 = json.loads(DUMP_V1.read_text(encoding="utf-8"))
    indent = 3 if layout == "pretty" else None
    text_ = json.dumps(v1, indent=indent, ensure_ascii=True)
    target = engines(fresh("same"))
    load_bytes(target, text_)
    assert rows_by_table(dump_bytes(target)) == v1_loaded()
