"""Start-up: what a command imports, and the schema check that needs no Alembic.

Each command runs as a real ``python -m enews`` process (through runpy,
as ``-m`` does) that then reports the top-level packages it loaded:
importing Alembic, premailer or SQLAlchemy is what makes a command slow to
start, so these tests pin down which commands may load them. The process
also freezes its objects at exit, which spares the shutdown collections.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text

from enews.errors import DatabaseError
from enews.store import db
from enews.workspace import Workspace
from tests.factories import make_issue, make_item

# Runs `python -m enews ARGS...` in this process; at exit (after every other
# exit handler: they run last registered first) it writes the top-level
# packages loaded and how many objects the gc had frozen to the file named
# first.
PROBE = """
import atexit, gc, json, runpy, sys
report, args = sys.argv[1], sys.argv[2:]

def write_report():
    loaded = sorted({name.split(".")[0] for name in sys.modules})
    with open(report, "w") as out:
        json.dump({"modules": loaded, "frozen": gc.get_freeze_count()}, out)

atexit.register(write_report)
sys.argv = ["enews", *args]
runpy.run_module("enews", run_name="__main__", alter_sys=True)
"""
SLOW = {"alembic", "premailer", "cssutils", "requests"}
HEAVY = SLOW | {"sqlalchemy", "jinja2", "mjml", "lxml", "nh3", "flask", "mako"}

RICH = '<p>Delegates met; <a href="https://coop.example/r">the report</a>.</p>'


def run_probe(tmp_path: Path, *args: str) -> tuple[dict[str, Any], str]:
    """Run ``python -m enews ARGS``: (its report, its stdout)."""
    report = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(report), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(report.read_text()), done.stdout


def enews(tmp_path: Path, *args: str) -> tuple[set[str], str]:
    """Run ``enews ARGS`` as a process: (packages it loaded, its stdout)."""
    report, out = run_probe(tmp_path, *args)
    return set(report["modules"]), out


def test_help_loads_nothing_heavy(tmp_path):
    loaded, out = enews(tmp_path, "--help")
    assert "Commands:" in out
    assert loaded & HEAVY == set()


def test_item_list_loads_neither_alembic_nor_the_renderer(workspace, tmp_path):
    with workspace.transaction() as session:  # schema at head before the command
        make_item(session, title="Forum opens in Nairobi")
    loaded, out = enews(tmp_path, "-w", str(workspace.root), "item", "list")
    assert "Forum opens in Nairobi" in out
    assert "sqlalchemy" in loaded  # it did read the database
    assert loaded & (HEAVY - {"sqlalchemy"}) == set()


def issue_with(ws: Workspace, summary: str, summary_format: str) -> None:
    with ws.transaction() as session:
        make_item(session, summary=summary, summary_format=summary_format)
        make_item(session)
        make_issue(session)


def test_plain_text_build_loads_neither_alembic_nor_premailer(workspace, tmp_path):
    # The packaged templates inline only .rich rules: with no rich-text
    # summary in the issue there is nothing for premailer to do.
    issue_with(workspace, "Plain words & figures.", "text")
    loaded, _ = enews(
        tmp_path, "-w", str(workspace.root), "build", "2020-10", "--force"
    )
    html = (workspace.root / "issues" / "2020-10" / "index.html").read_text()
    assert "Plain words &amp; figures." in html
    assert {"mjml", "jinja2"} <= loaded  # it did build
    assert loaded & SLOW == set()


def test_rich_text_build_loads_premailer_but_not_alembic(workspace, tmp_path):
    issue_with(workspace, RICH, "html")
    loaded, _ = enews(
        tmp_path, "-w", str(workspace.root), "build", "2020-10", "--force"
    )
    html = (workspace.root / "issues" / "2020-10" / "index.html").read_text()
    style = 'style="color:#1f5f8b; text-decoration:underline"'
    assert f'href="https://coop.example/r" {style}' in html  # the .rich rule inlined
    assert "premailer" in loaded
    assert "alembic" not in loaded


def test_only_a_new_database_loads_alembic(tmp_path, monkeypatch):
    # The probe does see Alembic when a command migrates: a new workspace.
    monkeypatch.delenv("DATABASE_URL", raising=False)
    root = tmp_path / "new"
    root.mkdir()  # a folder of its own, no database yet
    loaded, _ = enews(tmp_path, "-w", str(root), "item", "list")
    assert "alembic" in loaded
    engine = db.make_engine(db.default_url(root))
    try:
        assert db.current_revision(engine) == db.HEAD_REVISION
    finally:
        engine.dispose()
    loaded, _ = enews(tmp_path, "-w", str(root), "item", "list")
    assert "alembic" not in loaded


def test_the_command_line_process_freezes_its_objects_at_exit(workspace, tmp_path):
    # Shutting down, the interpreter collects garbage over every object a
    # command built; frozen objects are left out of that walk.
    with workspace.transaction() as session:
        make_item(session)
    report, _ = run_probe(tmp_path, "-w", str(workspace.root), "item", "list")
    assert report["frozen"] > 10_000  # SQLAlchemy's and enews's objects


# ------------------------------------ the revision, read without Alembic


def alembic_reads(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_current_revision_agrees_with_alembic(empty_engine):
    assert db.current_revision(empty_engine) is None is alembic_reads(empty_engine)
    for revision in ("0001", "0002", db.HEAD_REVISION):
        command.upgrade(db._alembic_config(empty_engine), revision)
        assert (
            db.current_revision(empty_engine) == revision == alembic_reads(empty_engine)
        )


def test_an_empty_version_table_is_unstamped(empty_engine):
    with empty_engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
    assert db.current_revision(empty_engine) is None is alembic_reads(empty_engine)


def test_two_stamped_revisions_are_refused(empty_engine):
    with empty_engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('0002'), ('0003')"))
    with pytest.raises(DatabaseError, match=r"several revisions \(0002, 0003\)"):
        db.ensure_schema(empty_engine)
