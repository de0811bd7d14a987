"""Fixtures and helpers of the ``enews`` command line tests
(tests/test_cli*.py), which import what they use.

Every test has its own workspace folder and db.sqlite (a real SQLite file),
or its own PostgreSQL database; builds run the real Jinja2 -> mjml-python ->
premailer pipeline.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from enews.cli import cli

REPO = Path(__file__).resolve().parent.parent
SAMPLE_ITEMS = json.loads(
    (REPO / "src/enews/data/sample_items.json").read_text(encoding="utf-8")
)

Run = Callable[..., Result]


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """The workspace folder of this test (not created: commands create it)."""
    return tmp_path / "ws"


@pytest.fixture
def run(ws: Path, database_url: str | None) -> Run:
    """Invoke ``enews -w WS ...`` in-process, blind to the caller's environment;
    on PostgreSQL runs, DATABASE_URL names this test's database."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(
            cli,
            ["-w", str(ws), *args],
            env={"DATABASE_URL": database_url, "ENEWS_WORKSPACE": None},
            input=input,
        )

    return invoke


@pytest.fixture
def initialised(run: Run, ws: Path) -> Path:
    ok(run("init"))
    return ws


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.output, result.exception)
    assert result.exception is None
    return result


def data(result: Result) -> Any:
    return json.loads(ok(result).stdout)


def one_line_error(result: Result, *mentions: str) -> str:
    """Assert the failure convention: non-zero exit, one 'error:' line, no traceback."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("error:"), line
    for word in mentions:
        assert word in line, f"{word!r} not in {line!r}"
    assert result.stdout == ""
    return line


def add(run: Run, **fields: str) -> dict[str, Any]:
    """``enews item add ... --json``; fields use option names (image_alt)."""
    values = {"kind": "News", "date": "2020-10-15"} | fields
    args = [f"--{k.replace('_', '-')}={v}" for k, v in values.items()]
    return data(run("item", "add", *args, "--json"))


def item_count(run: Run) -> int:
    return len(data(run("item", "list", "--json")))


def section_titles(issue: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(s["name"], [i["title"] for i in s["items"]]) for s in issue["sections"]]


@pytest.fixture
def october(run: Run, initialised: Path) -> dict[str, int]:
    """Items from September to November; the October ones drafted as 2020-10."""
    items = [
        ("sept", "News", "September news", "2020-09-30"),
        ("news1", "News", "Forum opens", "2020-10-05"),
        ("art1", "Article", "Savings article", "2020-10-02"),
        ("int1", "Interview", "Coffee talk", "2020-10-07"),
        ("news2", "News", "Awards open", "29 October 2020"),
        ("art2", "Article", "Identity at 25", "2020-10-29"),
        ("nov", "News", "November news", "2020-11-01"),
    ]
    ids = {
        key: add(run, kind=kind, title=title, date=date)["id"]
        for key, kind, title, date in items
    }
    ok(run("issue", "new", "October issue", "--month", "2020-10"))
    return ids


# -- ``enews -w WS ...`` on an initialised workspace ------------------------------

Enews = Callable[..., Result]


@pytest.fixture
def enews(tmp_path: Path, database_url: str | None) -> Enews:
    """``enews -w WS ...`` on this test's database (SQLite or PostgreSQL)."""
    runner = CliRunner()
    ws = tmp_path / "ws"
    env = {"DATABASE_URL": database_url, "ENEWS_WORKSPACE": None}
    assert runner.invoke(cli, ["-w", str(ws), "init"], env=env).exit_code == 0

    def run(*args: str) -> Result:
        return runner.invoke(cli, ["-w", str(ws), *args], env=env)

    return run


def items(enews: Enews) -> list[dict[str, Any]]:
    """Every stored item, as `enews item list --json` gives them."""
    result = enews("item", "list", "--json")
    assert result.exit_code == 0, result.output
    return list(json.loads(result.stdout))
