"""``enews archive``: real database, real builds, real files."""

from __future__ import annotations

import re
from pathlib import Path

import feedparser
from click.testing import CliRunner, Result

import enews.cli.archive_cmds  # registers `enews archive` on the group
from enews.cli import cli
from tests.helpers_archive import (
    BASE,
    add_issue,
)

# ---------------------------------------------------------------------- the CLI


def enews(root: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli,
        ["-w", str(root), *args],
        env={"ENEWS_WORKSPACE": None},  # DATABASE_URL: the workspace fixture's
    )


def test_cli_archives_and_reports_what_is_not_built(session, workspace):
    add_issue(session, workspace, "2020-10")
    add_issue(session, workspace, "2020-11", build=False)
    add_issue(session, workspace, "2020-12", build=False)
    session.commit()

    result = enews(workspace.root, "archive")

    assert result.exit_code == 0, (result.output, result.exception)
    index = workspace.root / "archive" / "index.html"
    assert result.stdout == f"{index.resolve()}\n"
    assert result.stderr == "1 issue archived, 2 not built yet: 2020-12, 2020-11\n"
    assert index.is_file()


def test_cli_base_url_comes_from_the_option_or_the_settings(session, workspace):
    add_issue(session, workspace, "2020-10")
    session.commit()
    config = workspace.root / "enews.toml"
    config.write_text(
        'base_url = "https://news.example.org"\n' + config.read_text("utf-8"), "utf-8"
    )
    out = workspace.root / "site"

    def links(*args: str) -> list[str]:
        result = enews(workspace.root, "archive", "--out", str(out), *args)
        assert result.exit_code == 0, (result.output, result.exception)
        assert result.stdout == f"{(out / 'index.html').resolve()}\n"
        assert result.stderr == "1 issue archived\n"
        return [
            e.link for e in feedparser.parse((out / "feed.xml").read_bytes()).entries
        ]

    assert links() == ["https://news.example.org/2020-10/"]
    assert links("--base-url", BASE) == [f"{BASE}/2020-10/"]
    assert links("--base-url", "") == ["2020-10/"]


def test_cli_with_nothing_built_fails_in_one_line(session, workspace):
    add_issue(session, workspace, "2020-10", build=False)
    session.commit()

    result = enews(workspace.root, "archive")

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    assert result.stderr == (
        "error: no issue is built yet (2020-10); build one with 'enews build SLUG' "
        "first\n"
    )
    assert not (workspace.root / "archive").exists()


def test_cli_help_has_an_example():
    result = CliRunner().invoke(cli, ["archive", "--help"], prog_name="enews")
    assert result.exit_code == 0
    assert re.search(r"Example:\n\s+enews archive\n", result.output)
