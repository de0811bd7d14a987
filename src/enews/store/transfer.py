"""Move a whole database: dump it to a file, load a dump back, copy it.

The database side of ``enews db dump / load / copy``; the file format is
``enews.store.dumpfile``. Generic over the schema: every table of
``Base.metadata`` is moved in dependency order, so a table a later
migration adds travels without a change here. Rows stream through in
batches (server-side cursors on PostgreSQL) and a load or copy is one
transaction on the target, so a failure leaves it as it was. Columns a
dump leaves out (``dumprows.dumped_columns``: the session stamps) get new
values in the target, so a restored or copied database signs everyone out.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from enews import safefiles
from enews.errors import ConflictError, DatabaseError, DumpError
from enews.store import db, dumpfile, dumprows
from enews.store.dumpfile import TableRows
from enews.store.dumprows import Row

BATCH = 1000  # rows per fetch, per insert, per progress report

Progress = Callable[[str, int], None]


def label(engine: Engine) -> str:
    """The engine's URL for messages, without its password."""
    return engine.url.render_as_string(hide_password=True)


# ------------------------------------------------------------ connections


def check_connection(engine: Engine) -> None:
    """Fail with one line now if the database cannot be reached at all."""
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        raise DatabaseError(
            f"cannot connect to {label(engine)}: {db.first_line(exc)}"
        ) from exc


@contextmanager
def _database_errors(engine: Engine) -> Iterator[None]:
    # A connection lost halfway through: one line naming the database.
    try:
        yield
    except OperationalError as exc:
        raise DatabaseError(f"{label(engine)}: {db.first_line(exc)}") from exc


def _require_head(engine: Engine, role: str) -> None:
    # Rows are moved as they are, so both ends must have the same schema.
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
    if current is None and not db.has_tables(engine):
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
    # Copying a database into itself would delete (--replace) what it reads.
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
    encode = dumprows.row_encoder(table)
    columns = dumprows.dumped_columns(table)
    query = select(*columns).order_by(*table.primary_key.columns)
    result = conn.execute(query, execution_options={"yield_per": BATCH})
    for row in result:
        yield encode(row)


def read_database(
    conn: Connection, progress: Progress | None = None
) -> Iterator[tuple[Table, Iterator[Row]]]:
    """Every table with its rows, in dump order, read through ``conn``."""
    for table in dumpfile.tables():
        yield table, _reported(table.name, read_rows(conn, table), progress)


def _reported(
    name: str, rows: Iterator[Row], progress: Progress | None
) -> Iterator[Row]:
    # Reports once each BATCH of rows has been used (written), not fetched.
    if progress is None:
        yield from rows
        return
    for count, row in enumerate(rows, 1):
        yield row
        if count % BATCH == 0:
            progress(name, count)


# ---------------------------------------------------------- writing a dump


def write_dump(
    engine: Engine, out: TextIO, *, progress: Progress | None = None
) -> dict[str, int]:
    """Write the database to ``out`` as a dump; returns rows per table."""
    check_connection(engine)
    _require_head(engine, "source")
    revision = db.head_revision()
    with snapshot(engine) as conn:
        return dumpfile.write(out, revision, read_database(conn, progress))


def dump_to_file(
    engine: Engine, path: Path, *, progress: Progress | None = None
) -> dict[str, int]:
    """Write the dump to ``path`` atomically: a failed dump leaves any older
    file in place. The file is readable by its owner only (password hashes)."""
    try:
        with safefiles.atomic_file(path, mode=0o600) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
            counts = write_dump(engine, text, progress=progress)
            text.flush()
            text.detach()  # atomic_file syncs and closes the file itself
    except OSError as exc:
        raise DumpError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return counts


# ----------------------------------------------------------------- loading


def load(
    engine: Engine,
    source: TableRows,
    *,
    name: str,
    replace: bool = False,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Insert every table of ``source`` (rows checked and typed by
    ``dumprows.row_decoder``, as a read dump gives them) into an empty
    database (a new one is given the schema first) in one transaction,
    keeping the primary keys; returns rows per table.

    With ``replace`` what the database holds is deleted first, in the same
    transaction. ``name`` names the source in messages.
    """
    prepare_target(engine)
    try:
        with _database_errors(engine), Session(engine) as session, session.begin():
            db.lock_for_writing(session)
            return _load_all(session.connection(), source, name, replace, progress)
    except IntegrityError as exc:
        raise DumpError(
            f"{name}: its rows break a rule of the database: {db.first_line(exc)}"
        ) from exc
    except DBAPIError as exc:  # DataError and the like: a value out of range
        raise DumpError(
            f"{name}: a value is not accepted: {db.first_line(exc)}"
        ) from exc


def _load_all(
    conn: Connection,
    source: TableRows,
    name: str,
    replace: bool,
    progress: Progress | None,
) -> dict[str, int]:
    # Inside the load's transaction: any error undoes the delete too. A
    # source checks that it holds every table (a dump's end line says so).
    _make_room(conn, replace, conn.engine)
    counts = {table.name: 0 for table in dumpfile.tables()}
    for table, rows in source:
        counts[table.name] = _insert(conn, table, rows, progress)
    _reset_sequences(conn)
    return counts


def _make_room(conn: Connection, replace: bool, engine: Engine) -> None:
    # Loading next to other rows would mix two databases' ids: refuse, or
    # delete them (children first) when asked to replace.
    everything = dumpfile.tables()
    held = {
        t.name: conn.scalar(select(func.count()).select_from(t)) for t in everything
    }
    stored = [f"{count} {name}" for name, count in held.items() if count]
    if not stored:
        return
    if not replace:
        raise ConflictError(
            f"the database {label(engine)} is not empty ({', '.join(stored)}); "
            "load into a new database, or use --replace to delete what it holds"
        )
    for table in reversed(everything):
        conn.execute(delete(table))


def _insert(
    conn: Connection, table: Table, rows: Iterable[Row], progress: Progress | None
) -> int:
    statement = insert(table)
    batch: list[Row] = []
    count = 0
    for count, row in enumerate(rows, 1):
        batch.append(row)
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
    for table in dumpfile.tables():
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


# ----------------------------------------------------------------- copying


def copy_database(
    source: Engine,
    target: Engine,
    *,
    replace: bool = False,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Copy every row of ``source`` into ``target`` (given the schema if new).

    Streams, one transaction on the target; returns rows per table. Rows go
    through the dump's encoding, so a copy checks them as a load does.
    """
    if _same_database(source, target):
        raise DatabaseError(f"{label(target)} is the database being copied")
    check_connection(source)
    _require_head(source, "source")
    name = label(source)
    with snapshot(source) as conn:
        return load(
            target,
            _checked(read_database(conn), name),
            name=name,
            replace=replace,
            progress=progress,
        )


def _checked(source: TableRows, name: str) -> TableRows:
    # The rows as a dump would give them back: a bad one is named here.
    for table, rows in source:
        yield table, dumprows.decode_rows(table, rows, name)
