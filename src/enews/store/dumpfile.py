"""The dump file: every table of a database in one portable JSON file.

A dump is one JSON object, header first so a reader can refuse a file from
a newer enews before touching anything::

    {"format": "enews-dump", "version": 1, "revision": "0003", "tables": {
    "issues": [
    {"id": 1, "slug": "2020-10", ...}
    ],
    ...
    }}

Tables come parents first, rows by primary key, one a line; dates and
times are ISO 8601 strings (times in UTC), so the same data gives the same
bytes on every backend. This module knows the file format only: each
row's values are ``enews.store.dumprows``'s, reading and writing databases is
``enews.store.transfer``'s.
"""

from __future__ import annotations

import collections
import itertools
import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

import ijson  # type: ignore[import-untyped]
from sqlalchemy import Table

from enews.errors import DumpError
from enews.store import db
from enews.store.dumprows import Row
from enews.store.models import Base

FORMAT = "enews-dump"
VERSION = 1
CHUNK = 1 << 20  # characters fed to the JSON parser at most at a time

TableRows = Iterable[tuple[Table, Iterable[Row]]]
Event = tuple[str, Any]


def tables() -> list[Table]:
    """Every table enews stores, parents before the tables that refer to them:
    the order of a dump, so loading it in file order keeps every reference."""
    return list(Base.metadata.sorted_tables)


# ---------------------------------------------------------------- writing


def write(out: TextIO, revision: str, source: TableRows) -> dict[str, int]:
    """Write the tables of ``source`` (JSON-ready rows, see ``dumprows.row_encoder``)
    to ``out`` as a dump of schema ``revision``; returns rows per table.

    Written piece by piece, so a large database never sits in memory.
    """
    header = {"format": FORMAT, "version": VERSION, "revision": revision}
    out.write(json.dumps(header)[:-1] + ', "tables": {')
    counts: dict[str, int] = {}
    for index, (table, rows) in enumerate(source):
        out.write(("\n" if index == 0 else ",\n") + json.dumps(table.name) + ": [")
        counts[table.name] = _write_rows(out, rows)
    out.write("\n}}\n")
    return counts


def _write_rows(out: TextIO, rows: Iterable[Row]) -> int:
    count = 0
    for count, row in enumerate(rows, 1):
        out.write(("\n" if count == 1 else ",\n") + json.dumps(row, ensure_ascii=False))
    out.write("\n]" if count else "]")
    return count


# ----------------------------------------------------------------- header


def check_header(header: dict[str, Any], name: str) -> str:
    """The dump's schema revision, if this enews can load it as it is.

    Only a dump of the current revision loads: its rows then fit the tables
    without any guessing. ``name`` names the file in messages.
    """
    if header.get("format") != FORMAT:
        raise DumpError(f'{name} is not an enews dump (no "format": "{FORMAT}")')
    version = header.get("version")
    if type(version) is not int or version < 1:
        raise DumpError(f'{name}: "version" must be a whole number')
    if version > VERSION:
        raise DumpError(
            f"{name} is a version {version} dump, made by a newer enews (this "
            f"enews reads version {VERSION}); upgrade enews first"
        )
    revision, head = header.get("revision"), db.head_revision()
    if not isinstance(revision, str):
        raise DumpError(f'{name}: "revision" must be a schema revision')
    if revision == head:
        return revision
    if revision not in db.known_revisions():
        raise DumpError(
            f"{name} was made by a newer enews (schema revision {revision}; "
            f"this enews knows up to {head}); upgrade enews first"
        )
    raise DumpError(
        f"{name} was made by an older enews (schema revision {revision}; this "
        f"enews needs {head}); load it into a new database with that enews, "
        "then 'enews db upgrade' it and 'enews db copy' it here with this one"
    )


# ---------------------------------------------------------------- reading

_OPEN, _CLOSE = ("start_map", "start_array"), ("end_map", "end_array")
_END: Event = ("end of file", None)
_ERROR_KIND = re.compile(r"^(?:parse|lexical) error: ")


class _JsonEvents:
    """ijson's parse events for a text stream, fed to its C parser a line
    (at most ``CHUNK`` characters) at a time: memory stays flat whatever the
    layout, and an error can name the line it is on."""

    def __init__(self, stream: TextIO, name: str) -> None:
        self._stream, self.name, self.line = stream, name, 1
        self._parsed: list[Event] = ijson.sendable_list()
        self._parser = ijson.basic_parse_coro(self._parsed, use_float=True)
        self.events = self._events()

    def _events(self) -> Iterator[Event]:
        # ijson raises as soon as a piece holds an error; the events parsed
        # before it still count (a complete dump followed by garbage).
        while True:
            piece = self._read()
            failure: Exception | None = None
            try:
                if piece:
                    self._parser.send(piece)
                else:
                    self._parser.close()  # the end: anything left open is an error
            except ijson.JSONError as exc:
                failure = exc
            yield from self._parsed
            del self._parsed[:]
            if failure is not None:
                raise failure
            if not piece:
                return
            self.line += piece.endswith(b"\n")

    def _read(self) -> bytes:
        try:
            return self._stream.readline(CHUNK).encode("utf-8")
        except UnicodeError as exc:
            raise DumpError(f"{self.name} is not UTF-8 text") from exc

    def error(self, problem: str) -> DumpError:
        return DumpError(f"{self.name} is not valid JSON: {problem} (line {self.line})")

    @contextmanager
    def errors(self) -> Iterator[None]:
        """ijson's errors (several lines, C-flavoured) as one-line DumpErrors
        that name the file and the line."""
        try:
            yield
        except ijson.JSONError as exc:
            problem = _ERROR_KIND.sub("", db.first_line(exc)).rstrip(".")
            raise self.error(problem) from exc


class Dump:
    """A dump file being read: the header is checked on opening, the rows
    stream from ``tables()`` in the order the file holds them."""

    def __init__(self, stream: TextIO, name: str) -> None:
        self.name = name
        self._json = _JsonEvents(stream, name)
        self._events = self._json.events
        with self._json.errors():
            self.revision = self._read_header()

    def _next(self) -> Event:
        return next(self._events, _END)

    def _read_header(self) -> str:
        if self._next()[0] != "start_map":
            raise DumpError(f"{self.name} is not an enews dump (not a JSON object)")
        header: dict[str, Any] = {}
        while (event := self._next())[0] == "map_key":
            if event[1] == "tables":
                return check_header(header, self.name)
            header[event[1]] = self._value(self._next())
        check_header(header, self.name)
        raise DumpError(f'{self.name} has no "tables" after its header')

    def tables(self) -> Iterator[tuple[Table, Iterator[Any]]]:
        """(table, rows) in file order, the rows as JSON values (checked by
        ``dumprows.row_decoder``). Rows left unread are skipped; the end of the file
        is checked last."""
        known, seen = {t.name: t for t in tables()}, set[str]()
        with self._json.errors():
            self._expect("start_map", '"tables"')
            while (event := self._next())[0] == "map_key":
                table = self._table(event[1], known, seen)
                rows = self._rows(table.name)
                yield table, rows
                collections.deque(rows, maxlen=0)
            if self._next()[0] != "end_map":
                raise self._misplaced('nothing may follow "tables"')
        self._check_end()

    def _table(self, name: str, known: dict[str, Table], seen: set[str]) -> Table:
        if name not in known or name in seen:
            problem = "repeated" if name in seen else "unknown"
            raise DumpError(f"{self.name}: {problem} table {name!r}")
        _check_parents(known[name], seen, self.name)
        seen.add(name)
        return known[name]

    def _rows(self, name: str) -> Iterator[Any]:
        with self._json.errors():
            self._expect("start_array", f"table {name!r}")
            for event in self._events:
                if event[0] == "end_array":
                    return
                yield self._value(event)

    def _expect(self, kind: str, what: str) -> None:
        if self._next()[0] != kind:
            shape = kind.removeprefix("start_").replace("map", "object")
            raise self._misplaced(f"{what} must be a JSON {shape}")

    def _misplaced(self, problem: str) -> DumpError:
        # Valid JSON, but not shaped like a dump.
        return DumpError(f"{self.name}: {problem} (line {self._json.line})")

    def _value(self, first: Event) -> Any:
        """The JSON value that begins with event ``first``."""
        kind, value = first
        if kind == "start_map":
            return self._object()
        if kind == "start_array":
            return self._nested(first)
        return value

    def _object(self) -> dict[str, Any]:
        # Rows are flat objects: built here, several times faster than ijson's
        # general builder (which is still used for anything nested).
        built: dict[str, Any] = {}
        key = ""
        for kind, value in self._events:
            if kind == "map_key":
                key = value
            elif kind == "end_map":
                break
            elif kind in _OPEN:
                built[key] = self._nested((kind, value))
            else:
                built[key] = value
        return built

    def _nested(self, first: Event) -> Any:
        builder, depth = ijson.ObjectBuilder(), 0
        for kind, value in itertools.chain([first], self._events):
            builder.event(kind, value)
            depth += (kind in _OPEN) - (kind in _CLOSE)
            if not depth:
                break
        return builder.value

    def _check_end(self) -> None:
        try:
            extra = next(self._events, None)
        except ijson.JSONError:
            extra = _END
        if extra is not None:
            raise self._json.error("unexpected data after the dump")


def _check_parents(table: Table, seen: set[str], name: str) -> None:
    # Loading in file order, a row may only refer to tables already loaded.
    later = sorted({fk.column.table.name for fk in table.foreign_keys} - seen)
    if later:
        raise DumpError(
            f"{name}: table {table.name!r} comes before {later[0]!r}, which it "
            "refers to (enews db dump writes parents first)"
        )


def read(stream: TextIO, name: str) -> Dump:
    """Open a dump: refuses a file that is not one, or is from another enews,
    before anything is loaded. ``name`` names the file in messages."""
    return Dump(stream, name)
