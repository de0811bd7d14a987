"""Shared fixtures: a fresh database per test, real migrations, real pipeline.

Every test that uses the ``workspace`` fixture runs twice: on a SQLite file
and on a real PostgreSQL server the suite starts itself (tests/pgserver.py),
unless it is marked ``sqlite_only``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from enews.config import Settings
from enews.store import db
from enews.workspace import Workspace, init_workspace
from tests import pgserver
from tests.pgserver import PgServer

REPO = Path(__file__).resolve().parent.parent


BACKENDS = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        only = metafunc.definition.get_closest_marker("sqlite_only")
        metafunc.parametrize("backend", BACKENDS[:1] if only else BACKENDS)


@pytest.fixture(scope="session")
def pg() -> Iterator[PgServer]:
    """One PostgreSQL server for the whole run, with a template at head."""
    reason = pgserver.available()
    if reason:
        pytest.skip(reason)
    server = PgServer().start(_migrate)
    yield server
    server.stop()


def _migrate(url: str) -> None:
    engine = db.make_engine(url)
    db.ensure_schema(engine)
    engine.dispose()


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for the workspace's own db.sqlite, else a new PostgreSQL database."""
    if backend == "sqlite":
        yield None
        return
    server: PgServer = request.getfixturevalue("pg")
    url = server.new_database()
    yield url
    server.drop_database(url)


@pytest.fixture
def workspace(
    tmp_path: Path, database_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Workspace]:
    """An initialised workspace folder and its database (Alembic at head).

    On PostgreSQL, DATABASE_URL is set too, so `enews` commands the test runs
    in this workspace use the same database, as they would for a user.
    """
    root = tmp_path / "ws"
    init_workspace(root)
    if database_url:
        monkeypatch.setenv("DATABASE_URL", database_url)
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    ws = Workspace(root, db_url=database_url)
    yield ws
    ws.close()  # release connections before the database is dropped


@pytest.fixture
def session(workspace: Workspace) -> Iterator[Session]:
    """A session on the workspace database, rolled back at the end."""
    with workspace.sessions()() as session:
        yield session
        session.rollback()


@pytest.fixture
def settings() -> Settings:
    return Settings()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite tests/golden/ from the current output (do it on purpose only).",
    )


@pytest.fixture
def empty_engine(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Engine]:
    """An engine on an empty database (no schema at all) of this backend."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    else:
        url = request.getfixturevalue("pg").new_database(empty=True)
    engine = db.make_engine(url)
    yield engine
    engine.dispose()
    if backend != "sqlite":
        request.getfixturevalue("pg").drop_database(url)
