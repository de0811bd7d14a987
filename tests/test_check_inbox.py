"""``enews check`` as an inbox check: the checks ``check_bundle`` adds
(no items, contrast, unsubscribe headers, init's examples, client support)
through the CLI and the workspace's report, and ``--spam``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import enews.cli.check_cmds  # noqa: F401  (registers `enews check` on cli)
from enews.cli import cli
from enews.compose.demo import DEMO_SLUG, load_demo
from enews.config import Settings
from enews.publish.build import build_issue, write_bundle
from enews.publish.bundle_check import (
    check_settings,
    check_unsubscribe_headers,
)
from enews.workspace import Workspace, init_workspace
from tests.factories import make_issue

OWN = (
    'organisation = "Harbour Co-op"\n'
    'postal_address = "2 Quay Road, Cork, Ireland"\n'
    'sender_email = "news@harbour.example"\n'
)


def workspace(tmp_path: Path, toml: str = OWN, *, demo: bool = True) -> Path:
    """A workspace with ``toml`` as enews.toml and the demo issue built
    (or an empty October issue built)."""
    root = tmp_path / "ws"
    init_workspace(root)
    (root / "enews.toml").write_text(toml, encoding="utf-8")
    ws = Workspace(root)
    try:
        with ws.transaction() as session:
            if demo:
                load_demo(session)
            else:
                make_issue(session)
        with ws.transaction() as session:
            bundle = build_issue(
                session, DEMO_SLUG, settings=ws.settings, workspace=root
            )
        write_bundle(bundle, ws.issues_dir)
    finally:
        ws.close()
    return root


def invoke(root: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli,
        ["-w", str(root), "check", DEMO_SLUG, *args],
        env={"DATABASE_URL": None, "ENEWS_WORKSPACE": None},
    )


def statuses(result: Result) -> dict[str, str]:
    data = json.loads(result.stdout)
    return {c["name"]: c["status"] for c in data["checks"]}


def test_an_issue_without_items_fails_the_check(tmp_path):
    result = invoke(workspace(tmp_path, demo=False), "--json")
    assert result.exit_code == 1
    assert statuses(result)["items"] == "fail"


def test_own_settings_pass_and_init_examples_warn(tmp_path):
    assert check_settings(Settings(organisation="Harbour Co-op")).status == "warn"
    result = invoke(workspace(tmp_path), "--json")
    assert statuses(result)["settings"] == "pass"
    assert statuses(result)["items"] == "pass"
    assert statuses(result)["contrast"] == "pass"


def test_a_brand_colour_too_faint_in_dark_mode_fails(tmp_path):
    root = workspace(tmp_path, OWN + '[brand]\ndark_text = "#2a343c"\n')
    result = invoke(root)
    assert result.exit_code == 1
    assert "FAIL contrast" in result.stdout
    assert "dark text on surface: #2a343c on #1b242b" in result.stdout


def test_a_one_click_header_without_an_https_uri_fails():
    eml = (
        b"Subject: x\r\nList-Unsubscribe: <mailto:out@coop.example>\r\n"
        b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\r\nbody\r\n"
    )
    check = check_unsubscribe_headers(eml, Settings())
    assert check.status == "fail" and "RFC 8058" in check.message
    fine = eml.replace(b"mailto:out@coop.example", b"https://coop.example/u?id=1")
    assert check_unsubscribe_headers(fine, Settings()).status == "pass"


def test_the_built_headers_pass_for_a_fixed_https_link_and_a_service(tmp_path):
    link = 'unsubscribe_url = "https://coop.example/unsubscribe"\n'
    result = invoke(workspace(tmp_path / "a", OWN + link), "--json")
    assert statuses(result)["unsubscribe-header"] == "pass"
    result = invoke(workspace(tmp_path / "b", OWN + 'profile = "mailchimp"\n'))
    assert "mailchimp writes its own List-Unsubscribe headers" in result.stdout


def test_clients_chooses_the_families(tmp_path):
    root = workspace(tmp_path)
    result = invoke(root, "--clients", "gmail", "--json")
    assert result.exit_code in (0, 1), result.output
    clients = next(
        c for c in json.loads(result.stdout)["checks"] if c["name"] == "clients"
    )
    assert "Outlook" not in " ".join([clients["message"], *clients["details"]])
    bad = invoke(root, "--clients", "gmail,hotmail-1999")
    assert bad.exit_code != 0
    assert "hotmail-1999" in bad.stderr and bad.stderr.count("\n") == 1


@pytest.mark.skipif(not shutil.which("spamassassin"), reason="needs spamassassin")
def test_spam_scores_the_built_message(tmp_path):
    result = invoke(workspace(tmp_path), "--spam")
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stdout.splitlines() if x.split()[1:2] == ["spam"])
    assert line.startswith("PASS spam") and "SpamAssassin" in line
