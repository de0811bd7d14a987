"""The ``enews`` command line, end to end with click's CliRunner: the
workspace, builds and the demo, database versions, the entry point.

Items and issues are in test_cli_items.py, refused input in
test_cli_errors.py; the fixtures in tests/helpers_cli.py.
"""

from __future__ import annotations

import html
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from enews.store.db import head_revision
from tests.helpers_cli import (
    SAMPLE_ITEMS,
    Run,
    add,
    data,
    item_count,
    ok,
    one_line_error,
)

# Fixtures, found by pytest under these names (``as``: a deliberate re-export).
from tests.helpers_cli import initialised as initialised
from tests.helpers_cli import october as october
from tests.helpers_cli import run as run
from tests.helpers_cli import ws as ws

# ------------------------------------------------------------------ workspace


@pytest.mark.sqlite_only  # about db.sqlite itself
def test_init_creates_workspace_and_is_repeatable(run: Run, ws: Path):
    first = ok(run("init"))
    for name in ("enews.toml", "templates", "issues", "db.sqlite"):
        assert (ws / name).exists(), name
    assert (ws / "templates").is_dir()
    assert (ws / "issues").is_dir()
    assert "created" in first.stdout
    with sqlite3.connect(ws / "db.sqlite") as conn:
        (version,) = conn.execute("select version_num from alembic_version").fetchone()
    assert version == head_revision()

    (ws / "enews.toml").write_text('name = "My News"\n', encoding="utf-8")
    second = ok(run("init"))
    assert "created" not in second.stdout
    assert "workspace ready" in second.stdout
    # init never overwrites what the user changed
    assert (ws / "enews.toml").read_text(encoding="utf-8") == 'name = "My News"\n'


def test_db_current_prints_head_after_init(run: Run, initialised: Path):
    head = head_revision()
    out = ok(run("db", "current")).stdout
    assert out.startswith(f"{head} (head {head})")
    assert "up to date" in out


@pytest.mark.sqlite_only  # about db.sqlite itself
def test_schema_is_created_on_first_use(run: Run, ws: Path):
    ws.mkdir()
    add(run, title="First")
    assert (ws / "db.sqlite").is_file()
    assert [i["title"] for i in data(run("item", "list", "--json"))] == ["First"]


# ---------------------------------------------------------------- build & demo


def test_build_writes_index_files_byte_identically(
    run: Run, ws: Path, october: dict[str, int]
):
    first = ok(run("build", "2020-10", "--force"))
    index = (ws / "issues" / "2020-10" / "index.html").resolve()
    assert first.stdout.strip().splitlines()[-1] == str(index)
    assert Path(first.stdout.strip().splitlines()[-1]).is_absolute()
    text = index.with_name("index.txt")
    assert index.is_file()
    assert text.is_file()
    page = html.unescape(index.read_text(encoding="utf-8"))
    for title in ("Awards open", "Forum opens", "Coffee talk", "Identity at 25"):
        assert title in page
        assert title in text.read_text(encoding="utf-8")
    assert "November news" not in page
    assert "5 items" in first.stderr

    before = {p.name: p.read_bytes() for p in (index, text)}
    second = ok(run("build", "2020-10", "--force"))
    assert second.stdout == first.stdout
    assert {p.name: p.read_bytes() for p in (index, text)} == before


def test_build_follows_issue_changes(run: Run, ws: Path, october: dict[str, int]):
    ok(run("issue", "set", "2020-10", "--intro", "Hello from the editors."))
    ok(run("issue", "remove", "2020-10", str(october["int1"])))
    ok(run("build", "2020-10", "--force"))
    page = html.unescape(
        (ws / "issues" / "2020-10" / "index.html").read_text(encoding="utf-8")
    )
    assert "Hello from the editors." in page
    assert "Coffee talk" not in page


def test_build_out_folder(run: Run, ws: Path, tmp_path: Path, october):
    out = tmp_path / "export"
    result = ok(run("build", "2020-10", "--out", str(out), "--force"))
    index = out / "2020-10" / "index.html"
    assert result.stdout.strip().splitlines()[-1] == str(index.resolve())
    assert index.is_file()
    assert not (ws / "issues" / "2020-10").exists()


def test_demo_builds_sample_issue_once(run: Run, ws: Path):
    first = ok(run("demo"))
    index = Path(first.stdout.strip().splitlines()[-1])
    assert index.is_absolute()
    assert index == (ws / "issues" / "2020-10" / "index.html").resolve()
    page = html.unescape(index.read_text(encoding="utf-8"))
    october = [r for r in SAMPLE_ITEMS if r["date"].startswith("2020-10")]
    november = [r for r in SAMPLE_ITEMS if r["date"].startswith("2020-11")]
    assert october
    assert november
    for record in october:
        assert record["title"] in page, record["title"]
    assert "Zoë Ólafsdóttir" in page
    assert not any(r["title"] in page for r in november)
    assert item_count(run) == len(SAMPLE_ITEMS) == 30
    html_bytes = index.read_bytes()

    second = ok(run("demo"))
    assert second.stdout == first.stdout
    assert item_count(run) == 30
    issues = data(run("issue", "list", "--json"))
    assert [i["slug"] for i in issues] == ["2020-10"]
    assert issues[0]["items"] == len(october)
    assert index.read_bytes() == html_bytes


# ----------------------------------------------------------- database versions


def old_database(path: Path, revision: str | None) -> str:
    """A SQLite file with some table and (optionally) a stamped revision."""
    with sqlite3.connect(path) as conn:
        conn.execute("create table notes (id integer primary key, body text)")
        conn.execute("insert into notes (body) values ('keep me')")
        if revision is not None:
            conn.execute(
                "create table alembic_version (version_num varchar(32) primary key)"
            )
            conn.execute("insert into alembic_version values (?)", (revision,))
    conn.close()
    return f"sqlite:///{path}"


def tables(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("select name from sqlite_master where type='table'")
        names = sorted(name for (name,) in rows)
    conn.close()
    return names


@pytest.mark.parametrize("revision", ["0000", None], ids=["stamped", "unstamped"])
@pytest.mark.parametrize(
    "args",
    [
        ["item", "list"],
        ["item", "add", "--kind", "News", "--title", "T", "--date", "2020-10-01"],
        ["issue", "list", "--json"],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_database_behind_is_refused(
    run: Run, tmp_path: Path, revision: str | None, args: list[str]
):
    path = tmp_path / "old.sqlite"
    url = old_database(path, revision)
    before = tables(path)
    one_line_error(run("--db", url, *args), "enews db upgrade")
    assert tables(path) == before  # never migrated behind the user's back


def test_db_current_on_database_behind(run: Run, tmp_path: Path):
    url = old_database(tmp_path / "old.sqlite", "0000")
    out = ok(run("--db", url, "db", "current")).stdout
    assert out.startswith(f"0000 (head {head_revision()})")
    assert "enews db upgrade" in out


def test_db_upgrade_brings_unstamped_database_to_head(run: Run, tmp_path: Path):
    path = tmp_path / "old.sqlite"
    url = old_database(path, None)
    out = ok(run("--db", url, "db", "upgrade")).stdout
    assert head_revision() in out
    assert "items" in tables(path)
    assert "notes" in tables(path)
    add_args = ["--kind", "News", "--title", "T", "--date", "2020-10-01"]
    ok(run("--db", url, "item", "add", *add_args))
    assert ok(run("--db", url, "db", "upgrade")).stdout.startswith("already at")


@pytest.mark.parametrize("args", [["db", "upgrade"], ["init"]], ids=" ".join)
def test_db_upgrade_unknown_revision(run: Run, tmp_path: Path, args: list[str]):
    path = tmp_path / "old.sqlite"
    url = old_database(path, "0000")
    one_line_error(run("--db", url, *args), "0000")


# ------------------------------------------------------------------ entry point


def test_python_m_enews_help():
    result = subprocess.run(
        [sys.executable, "-m", "enews", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout
    for name in ("init", "demo", "item", "issue", "build", "db"):
        assert name in result.stdout
    assert result.stderr == ""


def test_version(run: Run):
    out = ok(run("--version")).stdout
    assert "version" in out
