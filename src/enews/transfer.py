"""Move a whole database: dump it to portable JSON, load it back, copy it.

Generic over the schema: every table of ``Base.metadata`` is moved in
dependency order, so a table a later migration adds travels without a
change here. Rows stream through in batches (server-side cursors on
PostgreSQL) and a load or copy is one transaction on the target, so a
failure leaves it as it was.

A dump is one JSON object, header first so a reader can refuse a file from
a newer enews before touching anything::

    {"format": "enews-dump", "version": 1, "revision": "0003", "tables": {
    "issues": [
    {"id": 1, "slug": "2020-10", ...}
    ],
    ...
    }}

Rows are ordered by primary key, dates and times are ISO 8601 strings
(times in UTC), so the same data gives the same bytes on every backend.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Integer,
    String,
    Table,
    delete,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from enews import db
from enews.errors import ConflictError, DatabaseError, EnewsError
from enews.models import Base

FORMAT = "enews-dump"
VERSION = 1
BATCH = 1000

Row = dict[str, Any]
Progress = Callable[[str, int], None]
TableRows = Iterable[tuple[Table, Iterable[Row]]]


class DumpError(EnewsError):
    """A dump file that is not valid, or not one this enews can load."""


def tables() -> list[Table]:
    """Every table enews stores, parents before the tables that refer to them."""
    return list(Base.metadata.sorted_tables)


def label(engine: Engine) -> str:
    """The engine's URL for messages, without its password."""
    return engine.url.render_as_string(hide_password=True)


# ------------------------------------------------------------ connections


def _first_line(exc: BaseException) -> str:
    # Drivers explain themselves over several lines; errors here are one line.
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return lines[0].strip() if lines else type(orig).__name__


def check_connection(engine: Engine) -> None:
    """Fail with one line now if the database cannot be reached at all."""
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        raise DatabaseError(
            f"cannot connect to {label(engine)}: {_first_line(exc)}"
        ) from exc


@contextmanager
def _database_errors(engine: Engine) -> Iterator[None]:
    try:
        yield
    except OperationalError as exc:
        raise DatabaseError(f"{label(engine)}: {_first_line(exc)}") from exc


def _require_head(engine: Engine, role: str) -> None:
    current, head = db.current_revision(engine), db.head_revision()
    if current != head:
        raise DatabaseError(
            f"the {role} database {label(engine)} is at schema revision "
            f"{current or '(none)'}, enews needs {head}"
        )


def prepare_target(engine: Engine) -> None:
    """Give a brand-new database the schema; refuse one at another revision.

    A target that already has tables is never migrated here: a copy must
    either succeed or leave it exactly as it was.
    """
    check_connection(engine)
    current, head = db.current_revision(engine), db.head_revision()
    if current == head:
        return
    with engine.connect() as conn:
        has_tables = bool(inspect(conn).get_table_names())
    if current is None and not has_tables:
        db.upgrade(engine)
        return
    where = "has tables but no enews schema"
    if current is not None:
        where = f"is at schema revision {current}"
    raise DatabaseError(
        f"the target database {label(engine)} {where}, enews needs {head}; "
        f"use a new database, or first run: enews --db URL db upgrade"
    )


def _same_database(a: Engine, b: Engine) -> bool:
    if a.url.get_backend_name() != b.url.get_backend_name():
        return False
    if a.url.get_backend_name() == "sqlite":
        paths = [u.database or ":memory:" for u in (a.url, b.url)]
        if ":memory:" in paths:
            return False
        return Path(paths[0]).resolve() == Path(paths[1]).resolve()
    plain = [
        u.set(drivername=u.get_backend_name(), password=None) for u in (a.url, b.url)
    ]
    return plain[0] == plain[1]


# ---------------------------------------------------------- values <-> JSON


def _plain(value: Any) -> Any:
    return value


def _encode_datetime(value: dt.datetime | None, *, aware: bool) -> str | None:
    # SQLite hands back naive times (stored in UTC), PostgreSQL aware ones in
    # the session's zone: both become the same UTC string.
    if value is None:
        return None
    if aware:
        value = _utc(value)
    return value.isoformat()


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _encode_date(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _encoder(column: Column[Any]) -> Callable[[Any], Any]:
    kind = column.type
    if isinstance(kind, DateTime):
        return partial(_encode_datetime, aware=bool(kind.timezone))
    if isinstance(kind, Date):
        return _encode_date
    return _plain


def _parse_datetime(value: Any, *, aware: bool) -> dt.datetime:
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date and time")
    parsed = dt.datetime.fromisoformat(value)
    # SQLite stores the wall time it is given: hand it UTC, as the app does.
    return _utc(parsed) if aware else parsed


def _parse_date(value: Any) -> dt.date:
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date (YYYY-MM-DD)")
    return dt.date.fromisoformat(value)


def _parse_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _parse_int(value: Any) -> int:
    if type(value) is not int:
        raise ValueError("must be a whole number")
    return value


def _parse_text(value: Any, *, limit: int | None) -> str:
    # SQLite would store anything; refuse here what PostgreSQL would refuse.
    if not isinstance(value, str):
        raise ValueError("must be text")
    if limit is not None and len(value) > limit:
        raise ValueError(f"is longer than {limit} characters")
    return value


def _decoder(column: Column[Any]) -> Callable[[Any], Any]:
    kind = column.type
    if isinstance(kind, DateTime):
        return partial(_parse_datetime, aware=bool(kind.timezone))
    if isinstance(kind, Date):
        return _parse_date
    if isinstance(kind, Boolean):
        return _parse_bool
    if isinstance(kind, Integer):
        return _parse_int
    if isinstance(kind, String):
        return partial(_parse_text, limit=kind.length)
    return _plain


def _row_decoder(table: Table, where: str) -> Callable[[Any, int], Row]:
    """Check a dumped row of ``table`` against its columns, values typed."""
    columns = [(c.key, c.nullable, _decoder(c)) for c in table.columns]
    names = {key for key, _, _ in columns}

    def decode(row: Any, number: int) -> Row:
        at = f"{where}: table {table.name}, row {number}"
        if not isinstance(row, dict):
            raise DumpError(f"{at}: not a JSON object")
        unknown = sorted(set(row) - names)
        if unknown:
            raise DumpError(f"{at}: unknown column {unknown[0]!r}")
        values: Row = {}
        for key, nullable, parse in columns:
            if key not in row:
                raise DumpError(f"{at}: missing column {key!r}")
            value = row[key]
            if value is None and not nullable:
                raise DumpError(f"{at}: {key} cannot be null")
            try:
                values[key] = None if value is None else parse(value)
            except ValueError as exc:
                raise DumpError(f"{at}: {key} {exc}") from exc
        return values

    return decode


# ------------------------------------------------------------ reading a db


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """One read-only transaction that sees a single state of the database,
    so an edit made during a long dump cannot leave a row pointing nowhere."""
    with _database_errors(engine), engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # pysqlite runs each SELECT on its own; an explicit BEGIN holds
            # one WAL snapshot for all of them.
            conn.exec_driver_sql("BEGIN")
        else:
            conn.execution_options(isolation_level="REPEATABLE READ")
        try:
            yield conn
        finally:
            conn.rollback()


def read_rows(conn: Connection, table: Table) -> Iterator[Row]:
    """The rows of ``table`` by primary key, as JSON-ready dicts, streamed."""
    encoders = [(c.key, _encoder(c)) for c in table.columns]
    query = select(table).order_by(*table.primary_key.columns)
    result = conn.execute(query, execution_options={"yield_per": BATCH})
    for row in result:
        yield {
            key: encode(value)
            for (key, encode), value in zip(encoders, row, strict=True)
        }


def read_database(conn: Connection) -> Iterator[tuple[Table, Iterator[Row]]]:
    for table in tables():
        yield table, read_rows(conn, table)


# ---------------------------------------------------------- writing a dump


def write_dump(
    engine: Engine, out: TextIO, *, progress: Progress | None = None
) -> dict[str, int]:
    """Write the database to ``out`` as a dump; returns rows per table."""
    check_connection(engine)
    _require_head(engine, "source")
    header = {"format": FORMAT, "version": VERSION, "revision": db.head_revision()}
    counts: dict[str, int] = {}
    with snapshot(engine) as conn:
        out.write(json.dumps(header)[:-1] + ', "tables": {')
        for index, (table, rows) in enumerate(read_database(conn)):
            out.write(("\n" if index == 0 else ",\n") + json.dumps(table.name) + ": [")
            counts[table.name] = _write_rows(out, table.name, rows, progress)
        out.write("\n}}\n")
    return counts


def _write_rows(
    out: TextIO, name: str, rows: Iterable[Row], progress: Progress | None
) -> int:
    count = 0
    for count, row in enumerate(rows, 1):
        out.write(("\n" if count == 1 else ",\n") + json.dumps(row, ensure_ascii=False))
        if progress is not None and count % BATCH == 0:
            progress(name, count)
    out.write("\n]" if count else "]")
    return count


def dump_to_file(
    engine: Engine, path: Path, *, progress: Progress | None = None
) -> dict[str, int]:
    """Write the dump to ``path`` atomically: a failed dump leaves any older
    file in place. The file is readable by its owner only (password hashes)."""
    try:
        fd, tmp = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
    except OSError as exc:
        raise DumpError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            counts = write_dump(engine, handle, progress=progress)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)
    return counts


def _sync_folder(folder: Path) -> None:
    # The rename itself survives a power cut only once its folder is synced.
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ---------------------------------------------------------- reading a dump

_SPACE = re.compile(r"[ \t\n\r]*")


class _JsonStream:
    """Just enough of an incremental JSON reader to walk a dump without
    holding it in memory: punctuation by hand, each value (a row) with
    json's own decoder, reading more of the file when a value is cut."""

    CHUNK = 1 << 20

    def __init__(self, stream: TextIO, name: str) -> None:
        self.stream, self.name = stream, name
        self.buffer, self.pos, self.lines, self.eof = "", 0, 0, False
        self.decoder = json.JSONDecoder()

    def _more(self) -> bool:
        if self.eof:
            return False
        try:
            chunk = self.stream.read(self.CHUNK)
        except UnicodeDecodeError as exc:
            raise DumpError(f"{self.name} is not UTF-8 text") from exc
        if not chunk:
            self.eof = True
            return False
        self.lines += self.buffer.count("\n", 0, self.pos)
        self.buffer = self.buffer[self.pos :] + chunk
        self.pos = 0
        return True

    def error(self, problem: str, pos: int | None = None) -> DumpError:
        line = self.lines + self.buffer.count("\n", 0, pos or self.pos) + 1
        return DumpError(f"{self.name} is not valid JSON: {problem} (line {line})")

    def peek(self) -> str:
        """The next character that is not white space; "" at the end."""
        while True:
            match = _SPACE.match(self.buffer, self.pos)
            self.pos = match.end() if match else self.pos
            if self.pos < len(self.buffer):
                return self.buffer[self.pos]
            if not self._more():
                return ""

    def take(self, allowed: str) -> str:
        char = self.peek()
        if not char or char not in allowed:
            found = repr(char) if char else "the end of the file"
            raise self.error(
                f"expected {' or '.join(map(repr, allowed))}, found {found}"
            )
        self.pos += 1
        return char

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as exc:
                if self._more():
                    continue
                raise self.error(exc.msg, exc.pos) from exc
            if end == len(self.buffer) and self._more():
                continue  # a number may go on in the next chunk
            self.pos = end
            return value

    def key(self) -> str:
        key = self.value()
        if not isinstance(key, str):
            raise self.error("expected a key in double quotes")
        self.take(":")
        return key


class Dump:
    """A dump file being read: the header is checked on opening, the rows
    stream from ``tables()`` in the order the file holds them."""

    def __init__(self, stream: TextIO, name: str) -> None:
        self.name = name
        self._json = _JsonStream(stream, name)
        self.revision = self._read_header()

    def _read_header(self) -> str:
        reader, header = self._json, dict[str, Any]()
        if reader.peek() not in ("{", ""):
            raise DumpError(f"{self.name} is not an enews dump (not a JSON object)")
        reader.take("{")
        if reader.peek() != "}":
            while True:
                key = reader.key()
                if key == "tables":
                    return check_header(header, self.name)
                header[key] = reader.value()
                if reader.take(",}") == "}":
                    break
        else:
            reader.take("}")
        check_header(header, self.name)
        raise DumpError(f'{self.name} has no "tables" after its header')

    def tables(self) -> Iterator[tuple[Table, Iterator[Any]]]:
        """(table, rows) in file order; each table's rows must be read before
        asking for the next table. Checks the end of the file last."""
        reader, known = self._json, {t.name: t for t in tables()}
        seen: set[str] = set()
        reader.take("{")
        while reader.peek() == '"':
            name = reader.key()
            if name not in known or name in seen:
                problem = "repeated" if name in seen else "unknown"
                raise DumpError(f"{self.name}: {problem} table {name!r}")
            _check_parents(known[name], seen, self.name)
            seen.add(name)
            yield known[name], self._rows()
            if reader.take(",}") == "}":
                break
        else:
            reader.take("}")
        reader.take("}")
        if reader.peek():
            raise reader.error("unexpected data after the dump")

    def _rows(self) -> Iterator[Any]:
        reader = self._json
        reader.take("[")
        if reader.peek() == "]":
            reader.take("]")
            return
        while True:
            yield reader.value()
            if reader.take(",]") == "]":
                return


def _check_parents(table: Table, seen: set[str], name: str) -> None:
    # Loading in file order, a row may only refer to tables already loaded.
    later = sorted({fk.column.table.name for fk in table.foreign_keys} - seen)
    if later:
        raise DumpError(
            f"{name}: table {table.name!r} comes before {later[0]!r}, which it "
            "refers to (enews db dump writes parents first)"
        )


def known_revisions() -> set[str]:
    """Every schema revision this enews has a migration for."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", db.MIGRATIONS)
    return {s.revision for s in ScriptDirectory.from_config(config).walk_revisions()}


def check_header(header: dict[str, Any], name: str) -> str:
    """The dump's schema revision, if this enews can load it as it is."""
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
    if revision not in known_revisions():
        raise DumpError(
            f"{name} was made by a newer enews (schema revision {revision}; "
            f"this enews knows up to {head}); upgrade enews first"
        )
    raise DumpError(
        f"{name} was made by an older enews (schema revision {revision}; this "
        f"enews needs {head}); load it into a new database with that enews, "
        "then 'enews db upgrade' it and 'enews db copy' it here with this one"
    )


def read_dump(stream: TextIO, name: str) -> Dump:
    """Open a dump: refuses a file that is not one, or is from another enews."""
    return Dump(stream, name)


# ----------------------------------------------------------------- loading


def load(
    engine: Engine,
    source: TableRows,
    *,
    name: str,
    replace: bool = False,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Insert every table of ``source`` into an empty database (a new one is
    given the schema first) in one transaction, keeping the primary keys;
    returns rows per table.

    With ``replace`` what the database holds is deleted first, in the same
    transaction. ``name`` names the source in messages.
    """
    prepare_target(engine)
    counts: dict[str, int] = {}
    try:
        with _database_errors(engine), Session(engine) as session, session.begin():
            db.lock_for_writing(session)
            conn = session.connection()
            _make_room(conn, replace, engine)
            for table, rows in source:
                counts[table.name] = _insert(conn, table, rows, name, progress)
            missing = [t.name for t in tables() if t.name not in counts]
            if missing:
                raise DumpError(f"{name}: no table {missing[0]!r}")
            _reset_sequences(conn)
    except IntegrityError as exc:
        raise DumpError(
            f"{name}: its rows break a rule of the database: {_first_line(exc)}"
        ) from exc
    except DBAPIError as exc:  # DataError and the like: a value out of range
        raise DumpError(f"{name}: a value is not accepted: {_first_line(exc)}") from exc
    return counts


def _make_room(conn: Connection, replace: bool, engine: Engine) -> None:
    held = {t.name: conn.scalar(select(func.count()).select_from(t)) for t in tables()}
    stored = [f"{count} {name}" for name, count in held.items() if count]
    if not stored:
        return
    if not replace:
        raise ConflictError(
            f"the database {label(engine)} is not empty ({', '.join(stored)}); "
            "load into a new database, or use --replace to delete what it holds"
        )
    for table in reversed(tables()):
        conn.execute(delete(table))


def _insert(
    conn: Connection,
    table: Table,
    rows: Iterable[Any],
    name: str,
    progress: Progress | None,
) -> int:
    decode, statement = _row_decoder(table, name), insert(table)
    batch: list[Row] = []
    count = 0
    for count, row in enumerate(rows, 1):
        batch.append(decode(row, count))
        if len(batch) == BATCH:
            conn.execute(statement, batch)
            batch = []
            if progress is not None:
                progress(table.name, count)
    if batch:
        conn.execute(statement, batch)
    return count


def _reset_sequences(conn: Connection) -> None:
    """PostgreSQL: move each id sequence past the loaded ids, or the next
    row added would collide with a loaded one. SQLite needs nothing."""
    if conn.dialect.name != "postgresql":
        return
    quote = conn.dialect.identifier_preparer
    for table in tables():
        column = table.autoincrement_column
        if column is None:
            continue
        name, col = quote.format_table(table), quote.format_column(column)
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column), "
                f"coalesce(max({col}), 0) + 1, false) FROM {name}"
            ),
            {"table": name, "column": column.name},
        )


def copy_database(
    source: Engine,
    target: Engine,
    *,
    replace: bool = False,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Copy every row of ``source`` into ``target`` (given the schema if new).

    Streams, one transaction on the target; returns rows per table.
    """
    if _same_database(source, target):
        raise DatabaseError(f"{label(target)} is the database being copied")
    check_connection(source)
    _require_head(source, "source")
    with snapshot(source) as conn:
        return load(
            target,
            read_database(conn),
            name=label(source),
            replace=replace,
            progress=progress,
        )
