"""The dump file: every table of a database as JSON Lines.

One JSON object a line, UTF-8. The header comes first, so a reader can
refuse a file from a newer enews before touching anything; then one line
per row, with its table; last the end line, the rows per table, so a file
cut short (even between two lines) is refused instead of half loaded::

    {"format": "enews-dump", "version": 2, "revision": "0004"}
    {"table": "issues", "row": {"id": 1, "slug": "2020-10", ...}}
    {"table": "items", "row": {"id": 1, "kind": "News", ...}}
    ...
    {"end": {"issues": 1, "items": 4, "signin_failures": 0, "users": 1, ...}}

Tables come parents first, so loading in file order keeps every reference;
rows by primary key, columns in table order. Dates and times are ISO 8601
strings (times in UTC), so the same data gives the same bytes on every
backend. A reader takes one line at a time (memory stays flat however large
the dump) and names a bad one as ``FILE:LINE: problem``.

A version 1 dump, one JSON object (``enews.store.dumpv1``), still loads.
This module knows the file format only: each row's values are
``enews.store.dumprows``'s, reading and writing databases is
``enews.store.transfer``'s.
"""

from __future__ import annotations

import abc
import collections
import json
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from sqlalchemy import Table

from enews.errors import DumpError
from enews.store import db, dumprows, dumpv1
from enews.store.dumprows import BadRow, Row
from enews.store.models import Base

FORMAT = "enews-dump"
VERSION = 2
SHAPES = {1: "one JSON object", 2: "JSON Lines"}  # the file of each version
# Older schema revisions whose dumps hold the same rows as the current one's,
# so they load as they are: 0004 added only what a dump leaves out (the
# session stamps, new for every load) and an index.
SAME_ROWS = frozenset({"0003"})

TableRows = Iterable[tuple[Table, Iterable[Row]]]
Entry = tuple[int, Any, Any]  # line number, table name (None: the end), value

_ENCODER = json.JSONEncoder(ensure_ascii=False)


def tables() -> list[Table]:
    """Every table enews stores, parents before the tables that refer to them:
    the order of a dump, so loading it in file order keeps every reference."""
    return list(Base.metadata.sorted_tables)


# ---------------------------------------------------------------- writing


def write(out: TextIO, revision: str, source: TableRows) -> dict[str, int]:
    """Write the tables of ``source`` (JSON-ready rows, see ``dumprows.row_encoder``)
    to ``out`` as a dump of schema ``revision``; returns rows per table.

    Written a line at a time, so a large database never sits in memory.
    """
    out.write(_line({"format": FORMAT, "version": VERSION, "revision": revision}))
    counts: dict[str, int] = {}
    for table, rows in source:
        counts[table.name] = _write_rows(out, table.name, rows)
    out.write(_line({"end": counts}))
    return counts


def _write_rows(out: TextIO, name: str, rows: Iterable[Row]) -> int:
    # The bytes json gives {"table": name, "row": row}, without that dict.
    prefix = '{"table": ' + _ENCODER.encode(name) + ', "row": '
    count = 0
    for row in rows:
        out.write(prefix + _ENCODER.encode(row) + "}\n")
        count += 1
    return count


def _line(value: dict[str, Any]) -> str:
    return _ENCODER.encode(value) + "\n"


# ----------------------------------------------------------------- header


def check_header(header: dict[str, Any], where: str, *, version: int) -> str:
    """The dump's schema revision, if this enews can load it as it is.

    Only a dump of the current revision (or of one in ``SAME_ROWS``) loads:
    its rows then fit the tables without any guessing. ``version`` is the
    version the file's shape is; ``where`` names the file (and line) in
    messages.
    """
    if header.get("format") != FORMAT:
        raise DumpError(f'{where}: not an enews dump (no "format": "{FORMAT}")')
    said = header.get("version")
    if type(said) is not int or said < 1:
        raise DumpError(f'{where}: "version" must be a whole number')
    if said > VERSION:
        raise DumpError(
            f"{where}: a version {said} dump, made by a newer enews (this "
            f"enews reads versions up to {VERSION}); upgrade enews first"
        )
    revision = _check_revision(header.get("revision"), where)
    if said != version:
        raise DumpError(
            f"{where}: a version {said} dump is {SHAPES[said]}, this file is "
            f"{SHAPES[version]}"
        )
    return revision


def _check_revision(revision: Any, where: str) -> str:
    head = db.head_revision()
    if not isinstance(revision, str):
        raise DumpError(f'{where}: "revision" must be a schema revision')
    if revision == head or revision in SAME_ROWS:
        return revision
    if revision not in db.known_revisions():
        raise DumpError(
            f"{where}: made by a newer enews (schema revision {revision}; "
            f"this enews knows up to {head}); upgrade enews first"
        )
    raise DumpError(
        f"{where}: made by an older enews (schema revision {revision}; this "
        f"enews needs {head}); load it into a new database with that enews, "
        "then 'enews db upgrade' it and 'enews db copy' it here with this one"
    )


# ---------------------------------------------------------------- reading


class Dump(abc.ABC):
    """A dump file being read: its header was checked on opening."""

    name: str  # the file, in messages
    revision: str

    @abc.abstractmethod
    def tables(self) -> Iterator[tuple[Table, Iterator[Row]]]:
        """(table, rows) in file order, each row checked and typed (see
        ``dumprows.row_decoder``); a problem is a DumpError. Rows left
        unread are skipped; the end of the file is checked last."""


class _Order:
    """The tables of a dump as they come: each known, each once, parents
    before the tables that refer to them (rows load in file order).

    A version 1 dump lists every table, so a table whose parent has not come
    yet is out of order; a JSON Lines dump has no line for an empty table,
    so only a parent coming after its child is known to be."""

    def __init__(self, *, every_table: bool) -> None:
        self.known = {table.name: table for table in tables()}
        self.seen: dict[str, Table] = {}
        self._every_table = every_table

    def next(self, name: Any, where: str) -> Table:
        table = self.known.get(name) if isinstance(name, str) else None
        if table is None:
            raise DumpError(f"{where}: unknown table {name!r}")
        if name in self.seen:
            raise DumpError(
                f"{where}: more rows of table {name!r} after another table's "
                "(the rows of a table come together)"
            )
        if self._every_table:
            self._check_parents(table, where)
        for child in self.seen.values():
            if any(fk.column.table is table for fk in child.foreign_keys):
                raise DumpError(
                    f"{where}: table {name!r} comes after {child.name!r}, which "
                    "refers to it (enews db dump writes parents first)"
                )
        self.seen[name] = table
        return table

    def _check_parents(self, table: Table, where: str) -> None:
        later = sorted(
            {fk.column.table.name for fk in table.foreign_keys} - {*self.seen}
        )
        if later:
            raise DumpError(
                f"{where}: table {table.name!r} comes before {later[0]!r}, which "
                "it refers to (enews db dump writes parents first)"
            )


class _LinesDump(Dump):
    """A JSON Lines dump (version 2), read one line at a time."""

    def __init__(self, stream: TextIO, name: str, first: str) -> None:
        self.name, self._stream, self._line = name, stream, 1
        header = self._parse(first)
        if not isinstance(header, dict):
            raise DumpError(f"{name}:1: not an enews dump (not a JSON object)")
        self.revision = check_header(header, f"{name}:1", version=VERSION)
        self._entries = self._read()
        self._order = _Order(every_table=False)
        self._counts = {table.name: 0 for table in tables()}
        # The line after a table's rows, and its table (None: the end line).
        self._next: tuple[Entry | None, Table | None] = (None, None)

    def tables(self) -> Iterator[tuple[Table, Iterator[Row]]]:
        entry = next(self._entries, None)
        table = self._table_of(entry)
        while entry is not None and table is not None:
            rows = self._rows(table, entry)
            yield table, rows
            collections.deque(rows, maxlen=0)
            entry, table = self._next
        if entry is None:
            raise DumpError(
                f"{self.name}:{self._line}: the file ends before the dump's "
                "end line (was it cut short?)"
            )
        self._check_end(entry)

    def _table_of(self, entry: Entry | None) -> Table | None:
        if entry is None or entry[1] is None:
            return None
        return self._order.next(entry[1], f"{self.name}:{entry[0]}")

    def _rows(self, table: Table, first: Entry) -> Iterator[Row]:
        decode = dumprows.row_decoder(table)
        entry: Entry | None = first
        while entry is not None and entry[1] == table.name:
            try:
                row = decode(entry[2])
            except BadRow as exc:
                where = f"{self.name}:{entry[0]}: table {table.name}"
                raise DumpError(f"{where}: {exc}") from exc
            self._counts[table.name] += 1
            yield row
            entry = next(self._entries, None)
        # Checked before the rows end, so before the loader sends its last
        # batch: a parent out of order is named, not taken for a bad row.
        self._next = (entry, self._table_of(entry))

    def _read(self) -> Iterator[Entry]:
        """Each line after the header: (number, table, row) for a row,
        (number, None, counts) for the end line."""
        try:
            for line in self._stream:
                self._line += 1
                value = self._parse(line)
                if type(value) is dict:
                    if len(value) == 2 and "table" in value and "row" in value:
                        yield self._line, value["table"], value["row"]
                        continue
                    if len(value) == 1 and "end" in value:
                        yield self._line, None, value["end"]
                        continue
                raise DumpError(
                    f'{self.name}:{self._line}: not a line of a dump ({{"table": '
                    '..., "row": {...}} or the end line {"end": {...}})'
                )
        except UnicodeError as exc:
            raise DumpError(self._not_utf8()) from exc

    def _parse(self, line: str) -> Any:
        try:
            return dumpv1.DECODER.decode(line)
        except json.JSONDecodeError as exc:
            problem = f"{exc.msg} (column {exc.colno})"
            raise DumpError(f"{self._not_json()}: {problem}") from exc
        except ValueError as exc:  # NaN, Infinity
            raise DumpError(f"{self._not_json()}: {exc}") from exc

    def _not_json(self) -> str:
        return f"{self.name}:{self._line}: not valid JSON"

    def _not_utf8(self) -> str:
        # Text is decoded ahead of the line being read: the bad bytes are
        # somewhere after the last line read.
        return f"{self.name}: not UTF-8 text after line {self._line}"

    def _check_end(self, entry: Entry) -> None:
        number, _, said = entry
        where = f"{self.name}:{number}"
        if not isinstance(said, dict) or said.keys() != self._counts.keys():
            raise DumpError(
                f"{where}: the end line must give the number of rows of every "
                f"table ({', '.join(self._counts)})"
            )
        for table, count in self._counts.items():
            if type(said[table]) is not int or said[table] != count:
                raise DumpError(
                    f"{where}: the end line says table {table!r} has "
                    f"{said[table]} rows, the file holds {count} (was a line lost?)"
                )
        try:
            for line in self._stream:
                self._line += 1
                if line.strip():
                    raise DumpError(
                        f"{self.name}:{self._line}: unexpected data after the end line"
                    )
        except UnicodeError as exc:
            raise DumpError(self._not_utf8()) from exc


class _WholeDump(Dump):
    """A version 1 dump, parsed whole (see ``dumpv1``)."""

    def __init__(self, text: str, name: str) -> None:
        self.name = name
        dump = dumpv1.parse(text, name)
        header = dumpv1.header(dump)
        self.revision = check_header(header, name, version=dumpv1.VERSION)
        self._tables = dumpv1.tables(dump, name)

    def tables(self) -> Iterator[tuple[Table, Iterator[Row]]]:
        order = _Order(every_table=True)
        for name, rows in self._tables:
            table = order.next(name, self.name)
            yield table, dumprows.decode_rows(table, rows, self.name)
        missing = [name for name in order.known if name not in order.seen]
        if missing:
            raise DumpError(f"{self.name}: no table {missing[0]!r}")


def read(stream: TextIO, name: str) -> Dump:
    """Open a dump: refuses a file that is not one, or is from another enews,
    before anything is loaded. ``name`` names the file in messages."""
    try:
        first = stream.readline().removeprefix("\ufeff")  # a BOM some editors add
        if dumpv1.looks_like(first):
            return _WholeDump(first + stream.read(), name)
    except UnicodeError as exc:
        raise DumpError(f"{name}: not UTF-8 text") from exc
    if not first:
        raise DumpError(f"{name}: empty, not an enews dump")
    if not first.strip():
        raise DumpError(f"{name}:1: blank, not the header of an enews dump")
    return _LinesDump(stream, name, first)
