"""Shared fixtures: a fresh SQLite file per test, real migrations, real pipeline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from enews.config import Settings
from enews.workspace import Workspace, init_workspace

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """An initialised workspace folder with its own db.sqlite (Alembic at head)."""
    root = tmp_path / "ws"
    init_workspace(root)
    return Workspace(root)


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
