"""Engine and sessions: the only module that knows URLs, pragmas and migrations."""

from __future__ import annotations

import os
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, String, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    NoSuchModuleError,
    OperationalError,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.functions import FunctionElement

from enews.errors import ConflictError, DatabaseError

DEFAULT_DB_FILE = "db.sqlite"
MIGRATIONS = str(Path(__file__).with_name("migrations"))

# The newest migration in migrations/versions/. Known here, without Alembic,
# so that a command checks the schema with one query instead of importing
# Alembic (a tenth of a second) every time; a new migration updates it, and
# tests/test_db.py fails while the two disagree.
HEAD_REVISION = "0005"
VERSION_TABLE = "alembic_version"  # Alembic's default, which env.py keeps
_SELECT_VERSION = text(f"SELECT version_num FROM {VERSION_TABLE}")


def database_url(workspace: Path, explicit: str | None = None) -> str:
    """``--db`` wins, then ``DATABASE_URL``, then ``db.sqlite`` in the workspace."""
    url = explicit or os.environ.get("DATABASE_URL")
    return url or default_url(workspace)


def default_url(workspace: Path) -> str:
    return f"sqlite:///{(workspace / DEFAULT_DB_FILE).resolve()}"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    try:
        parsed = _with_driver(make_url(url))
        engine = create_engine(parsed)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise DatabaseError(f"cannot use database URL {url!r}: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _with_driver(url: URL) -> URL:
    # postgres:// and postgresql:// (as hosting services hand them out) mean
    # psycopg 3, the driver enews installs; SQLAlchemy's default is psycopg2.
    if url.drivername in ("postgres", "postgresql"):
        return url.set(drivername="postgresql+psycopg")
    return url


def _accent_table() -> tuple[str, str]:
    """Latin letters with accents (both cases) and their plain small letter:
    "Í" and "í" -> "i". One character for one, as PostgreSQL's translate()
    needs; letters without a one-letter base (ß, æ, ø) stay as they are."""
    accented, plain = [], []
    for code in range(0xC0, 0x250):
        letter = chr(code)
        decomposed = unicodedata.normalize("NFD", letter.lower())
        base, marks = decomposed[0], decomposed[1:]
        plain_letter = base.isascii() and base.isalpha()
        if marks and plain_letter and all(map(unicodedata.combining, marks)):
            accented.append(letter)
            plain.append(base)
    return "".join(accented), "".join(plain)


_ACCENTED, _PLAIN = _accent_table()
_UNACCENT = str.maketrans(_ACCENTED, _PLAIN)


def fold_text(value: str) -> str:
    """Text as search compares it: case and Latin accents do not matter
    ("Lucía" and "LUCIA" are "lucia"). ``fold`` is the same in SQL."""
    return value.lower().translate(_UNACCENT)


class fold(FunctionElement[str]):
    """``fold_text`` in SQL, on both backends.

    SQLite's lower() only folds ASCII, so on SQLite this calls fold_text,
    registered on each connection; PostgreSQL runs lower() and translate()
    with the same table.
    """

    type = String()
    inherit_cache = True
    name = "fold"


@compiles(fold)
def _fold_default(element: fold, compiler: Any, **kw: Any) -> str:
    # The table holds letters only: safe as a literal.
    inner = compiler.process(element.clauses, **kw)
    return f"translate(lower({inner}), '{_ACCENTED}', '{_PLAIN}')"


@compiles(fold, "sqlite")
def _fold_sqlite(element: fold, compiler: Any, **kw: Any) -> str:
    return f"enews_fold({compiler.process(element.clauses, **kw)})"


def _py_fold(value: str | None) -> str | None:
    return None if value is None else fold_text(value)


BUSY_TIMEOUT_MS = 30_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.create_function("enews_fold", 1, _py_fold, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # Long enough for a command started beside another one that is making a
    # new database's schema (migrations rebuild tables), on a loaded machine.
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # Only when not WAL yet: setting it again still asks for a lock, which
    # an import's write transaction in another process may hold for a while.
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] not in ("wal", "memory"):
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


WRITE_LOCK_WAIT_MS = 120_000


def lock_for_writing(session: Session) -> None:
    """Take the database's write lock now, at the start of a transaction.

    For long writers (an import): on SQLite a transaction that read first
    and writes later fails outright if another writer committed in between;
    taking the lock first makes the second import wait for the first, then
    see its rows. PostgreSQL needs nothing: its row locks and ON CONFLICT do
    the same.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA busy_timeout={WRITE_LOCK_WAIT_MS}")
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _alembic_config(engine: Engine | None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    """The newest schema revision this version of enews knows."""
    return HEAD_REVISION


def known_revisions() -> set[str]:
    """Every schema revision this version of enews has a migration for."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(_alembic_config(None))
    return {script.revision for script in scripts.walk_revisions()}


def _stamped_rows(engine: Engine, seconds: float = 10.0) -> list[str] | None:
    """The version table's rows (None without the table). SQLite may answer
    "database is locked" at once, without its busy timeout, while another
    process opens the same new WAL database or makes its schema: a command
    started beside an import then asks again for a while before giving up."""
    deadline = time.monotonic() + seconds
    pause = 0.05
    while True:
        try:
            with engine.connect() as conn:
                if not inspect(conn).has_table(VERSION_TABLE):
                    return None
                return list(conn.execute(_SELECT_VERSION).scalars().all())
        except OperationalError as exc:
            locked = "locked" in str(exc.orig) or "busy" in str(exc.orig)
            if not locked or time.monotonic() + pause > deadline:
                raise DatabaseError(f"cannot open database: {first_line(exc)}") from exc
        time.sleep(pause)
        pause = min(pause * 2, 1.0)


def current_revision(engine: Engine) -> str | None:
    """The revision stamped in the database, None for an empty database.

    A plain query of Alembic's version table, so that an ordinary command
    never imports Alembic; an absent or empty table means unstamped.
    """
    rows = _stamped_rows(engine)
    if rows is None:
        return None
    if len(rows) > 1:  # branches merged by hand: never guess which one counts
        stamped = ", ".join(sorted(rows))
        raise DatabaseError(
            f"the database is stamped with several revisions ({stamped}); "
            "enews needs one"
        )
    return rows[0] if rows else None


def first_line(exc: BaseException) -> str:
    """The first line of a driver's error (of ``exc.orig`` when wrapped).

    psycopg explains itself over several lines (DETAIL, HINT, a caret under
    the SQL); an enews error is one line.
    """
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return lines[0].strip() if lines else type(orig).__name__


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to head; returns (revision before, revision after)."""
    from alembic import command
    from alembic.util import CommandError

    before = current_revision(engine)
    try:
        command.upgrade(_alembic_config(engine), "head")
    except CommandError as exc:
        # e.g. a database written by a newer enews: never guess, never touch it
        raise DatabaseError(
            f"the database is at revision {before}, which this enews does not "
            f"know (its newest is {head_revision()}); upgrade enews or use "
            "another database"
        ) from exc
    return before, head_revision()


def ensure_schema(engine: Engine) -> None:
    """Create a new database's schema; refuse one that is behind or unknown.

    A brand-new (empty) database is brought to head silently so the first
    command in a fresh workspace just works; an existing one is never
    migrated behind the user's back.
    """
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    if current is None and not has_tables(engine):
        _create_schema(engine)
        return
    if current is None and has_version_table(engine):
        # Alembic's table, no stamp yet: another process may be creating the
        # schema right now. Without that table it is no enews database.
        current = _wait_for_stamp(engine)
        if current == head:
            return
    where = "has no enews schema" if current is None else f"is at revision {current}"
    raise DatabaseError(
        f"the database {where}, enews needs {head}; "
        "run 'enews db upgrade' (or 'enews init') to upgrade it"
    )


def _create_schema(engine: Engine) -> None:
    """Bring a brand-new database to head. Two commands started at once on
    it both try; the loser's DDL fails (its transaction rolls back) and it
    then waits for the winner's stamp instead of failing."""
    try:
        upgrade(engine)
    except DBAPIError:
        if _wait_for_stamp(engine) != head_revision():
            raise


def _wait_for_stamp(engine: Engine, seconds: float = 10.0) -> str | None:
    deadline = time.monotonic() + seconds
    while (current := current_revision(engine)) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    return current


def has_version_table(engine: Engine) -> bool:
    with engine.connect() as conn:
        return inspect(conn).has_table(VERSION_TABLE)


def has_tables(engine: Engine) -> bool:
    """Whether the database holds any table at all (enews's or another's)."""
    with engine.connect() as conn:
        return bool(inspect(conn).get_table_names())


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


STALE = (
    "the issue was changed by someone else while this change was being made; "
    "nothing was saved: look at it again and repeat the change"
)
BUSY = "the database is busy with another change (an import?); try again shortly"


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error.

    A lost race becomes one clear error: the optimistic version check of an
    issue (StaleDataError) a ConflictError, SQLite's lock timeout a
    DatabaseError.
    """
    try:
        with factory() as session, session.begin():
            yield session
    except StaleDataError as exc:
        raise ConflictError(STALE) from exc
    except OperationalError as exc:
        if "database is locked" in str(exc.orig):
            raise DatabaseError(BUSY) from exc
        raise
