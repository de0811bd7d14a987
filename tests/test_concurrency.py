"""Several writers at once, on SQLite (WAL, busy timeout) and PostgreSQL:
no duplicates, no lost update, a clear error for the loser of a race."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from enews.compose.issues import get_issue, set_fields
from enews.errors import ConflictError
from enews.store.models import Item
from tests.factories import make_issue, make_item


def big_csv(path: Path, rows: int, *, with_urls: bool) -> Path:
    lines = ["kind,title,date,url,summary"]
    for n in range(rows):
        url = f"https://coop.example/feed/{n}" if with_urls else ""
        lines.append(f"News,Item number {n},2020-10-{n % 28 + 1:02},{url},Text {n}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def start_import(workspace, path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "enews", "-w", str(workspace.root), "import", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "DATABASE_URL": workspace.url},
    )


def count_items(workspace) -> int:
    with workspace.transaction() as session:
        return session.scalar(select(func.count()).select_from(Item))


@pytest.mark.parametrize("with_urls", [True, False], ids=["urls", "no-urls"])
def test_two_imports_of_the_same_source_at_once_make_no_duplicates(
    workspace, tmp_path, with_urls
):
    source = big_csv(tmp_path / "feed.csv", 3000, with_urls=with_urls)
    first, second = start_import(workspace, source), start_import(workspace, source)
    results = [(*p.communicate(timeout=120), p.returncode) for p in (first, second)]
    for _stdout, stderr, code in results:
        assert code == 0, stderr
    assert count_items(workspace) == 3000
    with workspace.transaction() as session:
        keys = session.execute(
            select(Item.title_key, Item.published_on)
            .group_by(Item.title_key, Item.published_on)
            .having(func.count() > 1)
        ).all()
    assert keys == []


def test_an_import_skips_rows_stored_meanwhile_and_counts_them(workspace):
    """The upsert: a row that appeared after the import looked is not doubled."""
    from enews.collect.importer import ImportReport, _apply_batch, _Valid
    from enews.compose.items import make_draft

    draft = make_draft(kind="News", title="Raced", date="2020-10-05")
    record = _Valid("feed.csv:2", draft, ("title", "raced", "2020-10-05"))
    with workspace.transaction() as session:
        make_item(session, title="Raced", date="2020-10-05", url=None)
    report = ImportReport(source="feed.csv", format="csv")
    with workspace.sessions()() as session:
        # Look before the other writer commits, insert after: simulated by
        # hiding the stored row from the lookup.
        import enews.collect.importer as importer

        original = importer._stored_matches
        importer._stored_matches = lambda *_: {}
        try:
            _apply_batch(session, [record], report)
        finally:
            importer._stored_matches = original
        session.commit()
    assert (report.added, report.unchanged) == (0, 1)
    assert count_items(workspace) == 1


def test_two_editors_of_one_issue_the_second_save_is_a_conflict(workspace):
    with workspace.transaction() as session:
        make_item(session)
        make_issue(session)
    first = workspace.sessions()()
    try:
        with (
            pytest.raises(ConflictError, match="changed by someone else"),
            workspace.transaction() as second,
        ):
            opened = get_issue(second, "2020-10")  # the second editor has it...
            set_fields(first, "2020-10", subject="From the first editor")
            first.commit()  # ...open when the first one saves
            set_fields(second, "2020-10", subject="From the second editor")
            assert opened.subject == "From the second editor"  # (not reached)
    finally:
        first.close()
    with workspace.transaction() as session:
        assert get_issue(session, "2020-10").subject == "From the first editor"


def test_a_cli_conflict_is_one_line(workspace, monkeypatch):
    """`enews issue set` losing the race prints one line and exits 1."""
    from click.testing import CliRunner

    from enews.cli import cli
    from enews.compose import issues as assemble

    with workspace.transaction() as session:
        make_item(session)
        make_issue(session)

    original = assemble.get_issue

    def racing(session, slug):
        issue = original(session, slug)  # this process has read the issue...
        with workspace.transaction() as other:  # ...another one saves first
            original(other, slug).intro = "Saved by someone else"
        return issue

    monkeypatch.setattr(assemble, "get_issue", racing)
    result = CliRunner().invoke(
        cli, ["-w", str(workspace.root), "issue", "set", "2020-10", "--subject", "Mine"]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("error: the issue was changed by someone else")
    assert result.stderr.count("\n") == 1
    with workspace.transaction() as session:
        issue = get_issue(session, "2020-10")
        assert (issue.subject, issue.intro) == (None, "Saved by someone else")


@pytest.mark.sqlite_only
def test_sqlite_runs_in_wal_mode_so_readers_and_a_writer_work_at_once(workspace):
    with workspace.transaction() as session:
        make_item(session)
    engine = workspace.engine
    with engine.connect() as reader:
        assert reader.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        reader.exec_driver_sql("BEGIN")
        assert reader.exec_driver_sql("SELECT count(*) FROM items").scalar() == 1
        with workspace.transaction() as session:  # writes while a read is open
            make_item(session)
        # The reader keeps its snapshot; a new read sees the write.
        assert reader.exec_driver_sql("SELECT count(*) FROM items").scalar() == 1
        reader.exec_driver_sql("COMMIT")
    assert count_items(workspace) == 2


@pytest.mark.sqlite_only
def test_a_web_save_waits_for_a_cli_writer_instead_of_failing(workspace):
    """The busy timeout: a short CLI transaction holding the write lock makes
    the web workspace's save wait, not fail."""
    from enews.web import create_app
    from tests.test_web import Browser

    with workspace.transaction() as session:
        make_item(session)
        make_issue(session)
    tab = Browser(create_app(workspace))
    tab.get("/issues/2020-10")
    locked = threading.Event()

    def hold_the_lock():
        with workspace.engine.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            conn.execute(text("UPDATE items SET kind = kind"))
            locked.set()
            time.sleep(0.6)
            conn.exec_driver_sql("COMMIT")

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    locked.wait(5)
    started = time.monotonic()
    response = tab.post("/issues/2020-10/fields", {"subject": "Saved", "version": 1})
    waited = time.monotonic() - started
    holder.join()
    assert response.status_code == 200, response.get_data(as_text=True)
    assert waited >= 0.3  # it really waited for the lock
    with workspace.transaction() as session:
        assert get_issue(session, "2020-10").subject == "Saved"


@pytest.mark.sqlite_only
def test_commands_started_at_once_on_a_new_workspace_all_succeed(tmp_path):
    """The first command creates the schema; the others, racing it, wait
    for it instead of failing on the half-made tables."""
    from enews.workspace import init_workspace

    for attempt in range(3):
        root = tmp_path / f"ws{attempt}"
        init_workspace(root)  # no database yet
        env = {**os.environ}
        env.pop("DATABASE_URL", None)
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "enews", "-w", str(root), "item", "list"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            for _ in range(4)
        ]
        for process in processes:
            _, stderr = process.communicate(timeout=60)
            assert process.returncode == 0, stderr


def test_losing_the_race_to_create_the_schema_is_not_an_error(tmp_path, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from enews.store import db

    engine = db.make_engine(f"sqlite:///{tmp_path / 'new.sqlite'}")
    real_upgrade = db.upgrade

    def lose(engine):
        real_upgrade(engine)  # another process got there first...
        raise OperationalError("CREATE TABLE alembic_version", {}, Exception("exists"))

    monkeypatch.setattr(db, "upgrade", lose)
    db.ensure_schema(engine)  # ...so this one waits for its stamp and goes on
    assert db.current_revision(engine) == db.head_revision()
    engine.dispose()
