"""``enews check``, and the real demo build, which must pass every check."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import enews.cli.check_cmds  # noqa: F401  (registers `enews check` on cli)
from enews.cli import cli
from enews.compose.demo import DEMO_SLUG, load_demo
from enews.publish.build import build_issue
from enews.publish.check import check_issue, format_report
from enews.workspace import Workspace, init_workspace
from tests.helpers_check import (
    BUNDLE_CHECKS,
    CHECKS,
    ITEM,
    KB,
    TEXT,
    padded,
    page,
    statuses,
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, int]:
    """The real demo issue, built once: (html, text, number of items)."""
    root = tmp_path_factory.mktemp("demo") / "ws"
    init_workspace(root)
    ws = Workspace(root)
    with ws.transaction() as session:
        load_demo(session)
        bundle = build_issue(session, DEMO_SLUG, settings=ws.settings, workspace=root)
    return bundle.html, bundle.text, len(bundle.view.items)


def test_demo_build_passes_every_check(demo):
    html, text, items = demo
    report = check_issue(html, text)
    assert set(statuses(report).values()) == {"pass"}, format_report(report)
    # The room estimate counts the demo's items (div.item plus the featured).
    size = len(html.encode())
    more = int((90 * KB - size) // (size / items))
    assert f"about {more} more items fit under 90 KB" in report.get("size").message


# ----------------------------------------------------------------------- CLI


def invoke(ws: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli,
        ["-w", str(ws), "check", *args],
        env={"DATABASE_URL": None, "ENEWS_WORKSPACE": None},
    )


def built(tmp_path: Path, html: str, text: str = TEXT) -> Path:
    """A workspace whose issue 2020-10 has these files (no database needed)."""
    folder = tmp_path / "ws" / "issues" / "2020-10"
    folder.mkdir(parents=True)
    (folder / "index.html").write_text(html, encoding="utf-8")
    (folder / "index.txt").write_text(text, encoding="utf-8")
    return tmp_path / "ws"


@pytest.mark.parametrize("missing", ["index.html", "index.txt", "both"])
def test_cli_not_built_is_a_one_line_error(tmp_path, missing):
    ws = built(tmp_path, page())
    for name in ("index.html", "index.txt"):
        if missing in (name, "both"):
            (ws / "issues/2020-10" / name).unlink()
    result = invoke(ws, "2020-10")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "error: issue 2020-10 is not built yet; run 'enews build 2020-10'\n"
    )


def test_cli_built_demo_passes(tmp_path, demo):
    html, text, _ = demo
    result = invoke(built(tmp_path, html, text), "2020-10")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [x.split()[:2] for x in lines[: len(CHECKS)]] == [
        ["PASS", name] for name in CHECKS
    ]
    named = [x.split()[1] for x in lines if x[:4] in ("PASS", "WARN", "FAIL")]
    assert named == [*CHECKS, *BUNDLE_CHECKS]
    assert re.fullmatch(r"0 failed, \d+ warned, \d+ passed", lines[-1])
    # A workspace left at enews init's examples is told so.
    assert any(x.startswith("WARN settings") for x in lines)


@pytest.mark.parametrize(
    ("tamper", "line", "detail"),
    [
        ("<script>alert(1)</script>", "FAIL safety", "<script>"),
        ('<a href="news/1.html">More</a>', "FAIL links", 'href="news/1.html"'),
    ],
)
def test_cli_tampered_issue_fails_after_printing_the_report(
    tmp_path, demo, tamper, line, detail
):
    html, text, _ = demo
    ws = built(tmp_path, html.replace("</body>", tamper + "</body>"), text)
    result = invoke(ws, "2020-10")
    assert result.exit_code == 1
    assert any(x.startswith(line) for x in result.stdout.splitlines())
    assert detail in result.stdout
    assert re.fullmatch(
        r"1 failed, \d+ warned, \d+ passed", result.stdout.splitlines()[-1]
    )


def test_cli_warnings_alone_exit_zero(tmp_path):
    result = invoke(built(tmp_path, padded(page(), 95 * KB)), "2020-10")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("WARN size ")


def test_cli_json(tmp_path, demo):
    html, text, _ = demo
    result = invoke(built(tmp_path, html, text), "2020-10", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["ok"] is True
    assert [c["name"] for c in data["checks"]] == [*CHECKS, *BUNDLE_CHECKS]

    bad = built(tmp_path / "bad", page(ITEM + "<iframe></iframe>"))
    result = invoke(bad, "2020-10", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["counts"]["fail"] == 1


def test_cli_configured_unsubscribe_url_counts_as_the_link(tmp_path):
    leave = "https://coop.example/leave"
    ws = built(tmp_path, page(unsubscribe=f'<a href="{leave}">Leave</a>'), TEXT + leave)
    assert invoke(ws, "2020-10").exit_code == 1
    (ws / "enews.toml").write_text(f'unsubscribe_url = "{leave}"\n', encoding="utf-8")
    result = invoke(ws, "2020-10")
    assert result.exit_code == 0, result.output
    assert "PASS unsubscribe" in result.stdout


def test_cli_help_has_an_example():
    result = CliRunner().invoke(cli, ["check", "--help"])
    assert result.exit_code == 0
    assert re.search(r"Example:\n\s+enews check 2020-10\n", result.output)
