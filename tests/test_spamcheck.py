"""The spam check (publish/spamcheck.py) with the real spamassassin.

Debian's package, its shipped rules, local tests only; `make test` installs
it when missing, and without it these tests are skipped. SpamAssassin takes
about a second to start, so every message is scored once, two at a time,
by one module fixture, and the tests read the results.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from enews.errors import EnewsError
from enews.profiles import PROFILES
from enews.publish.check import Check
from enews.publish.spamcheck import (
    WARN_SCORE,
    Hit,
    SpamReport,
    as_check,
    parse_report,
    spam_check,
)
from enews.workspace import Workspace, init_workspace
from tests.factories import make_issue, make_item

needs_spamassassin = pytest.mark.skipif(
    shutil.which("spamassassin") is None, reason="spamassassin is not installed"
)
MANY = 80
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
# What an honest newsletter never does: no To:, an HTML-only body with a
# line in white 1px text (words hidden from the reader, shown to filters).
HIDDEN_TEXT = (
    b"From: Deals <deals@shop.example>\r\n"
    b"Subject: Act now\r\n"
    b"Date: Wed, 02 Dec 2020 10:00:00 +0000\r\n"
    b"Message-ID: <x@y>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n"
    b"\r\n"
    b"<html><body><p>Buy cheap now, click here</p>"
    b'<p style="font-size:1px;color:#ffffff">invisible words hidden text '
    b"padding random words xyz abc</p></body></html>\r\n"
)


def _gtube() -> bytes:
    return (
        "From: a@example.com\r\nTo: b@example.com\r\nSubject: test\r\n"
        f"Date: Wed, 02 Dec 2020 10:00:00 +0000\r\n\r\n{GTUBE}\r\n"
    ).encode()


def _built(root: Path, fill: Callable[[Workspace], None], profiles: list[str]):
    """The .eml of issue 2020-10 built for each profile, from one workspace."""
    from enews.publish.build import build_issue

    init_workspace(root)
    ws = Workspace(root)
    fill(ws)
    emls = {}
    with ws.transaction() as session:
        for profile in profiles:
            settings = dataclasses.replace(ws.settings, profile=profile)
            bundle = build_issue(session, "2020-10", settings=settings, workspace=root)
            emls[profile] = bundle.eml
    ws.close()
    return emls


def _demo(ws: Workspace) -> None:
    from enews.compose.demo import load_demo

    with ws.transaction() as session:
        load_demo(session)


def _many(ws: Workspace) -> None:
    with ws.transaction() as session:
        for n in range(MANY):
            make_item(
                session,
                summary=f"Delegates from {n + 3} cooperatives met to discuss "
                "<b>deposit guarantees</b>, youth membership and "
                '<a href="https://coop.example/report">the annual report</a>.',
            )
        make_issue(session)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """HOME while the messages are scored: it must stay empty."""
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def checks(tmp_path_factory: pytest.TempPathFactory, home: Path) -> dict[str, Check]:
    """Every message of this file scored once."""
    tmp = tmp_path_factory.mktemp("spam")
    emls = {
        f"demo, {p}": eml
        for p, eml in _built(tmp / "demo", _demo, list(PROFILES)).items()
    }
    emls[f"{MANY} items"] = _built(tmp / "many", _many, ["generic"])["generic"]
    emls["gtube"] = _gtube()
    emls["hidden text"] = HIDDEN_TEXT
    with pytest.MonkeyPatch.context() as patch, ThreadPoolExecutor(2) as pool:
        patch.setenv("HOME", str(home))
        patch.setenv("LANGUAGE", "de")  # SpamAssassin has German descriptions
        scored = pool.map(spam_check, emls.values())  # two cores here
        return dict(zip(emls, scored, strict=True))


def _score(check: Check) -> float:
    return float(check.message.split()[1])  # "score 0.3 (SpamAssassin, ..."


def _names(check: Check) -> list[str]:
    return [line.split()[1] for line in check.details]


@needs_spamassassin
@pytest.mark.parametrize("case", [*(f"demo, {p}" for p in PROFILES), f"{MANY} items"])
def test_built_issues_score_under_one(checks, case):
    check = checks[case]
    assert check.name == "spam"
    assert check.status == "pass", "\n".join([check.message, *check.details])
    assert _score(check) < WARN_SCORE
    assert check.message.endswith("(SpamAssassin, local tests; 5.0 marks spam)")


@needs_spamassassin
def test_gtube_fails_and_the_report_names_the_rule(checks):
    check = checks["gtube"]
    assert check.status == "fail"
    assert _score(check) >= 1000
    # Heaviest rule first, with its points and SpamAssassin's description.
    assert check.details[0].startswith("+1000.0 GTUBE  ")
    assert "Generic Test for Unsolicited Bulk Email" in check.details[0]


@needs_spamassassin
def test_hidden_text_and_no_recipient_warn(checks):
    check = checks["hidden text"]
    assert check.status == "warn", "\n".join([check.message, *check.details])
    assert {"MISSING_HEADERS", "HTML_FONT_LOW_CONTRAST"} <= set(_names(check))
    # In English whatever the user's language (LANGUAGE=de in the fixture).
    assert any(line.endswith("  Missing To: header") for line in check.details)
    assert any(
        line.endswith("BODY: HTML font color similar or identical to background")
        for line in check.details
    )


@needs_spamassassin
def test_scoring_leaves_home_alone(checks, home):
    # SpamAssassin makes ~/.spamassassin and a user_prefs file unless told.
    assert list(home.iterdir()) == []


@needs_spamassassin
def test_a_timeout_stops_spamassassin_and_says_so():
    with pytest.raises(EnewsError, match=r"more than 0\.01 s .* stopped"):
        spam_check(_gtube(), timeout=0.01)


def test_missing_spamassassin_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder
    with pytest.raises(EnewsError, match=r"not installed.*apt-get install spamass"):
        spam_check(_gtube())


@pytest.mark.parametrize(
    ("score", "status"),
    [(0.0, "pass"), (0.9, "pass"), (1.0, "warn"), (4.9, "warn"), (5.0, "fail")],
)
def test_status_by_score(score, status):
    check = as_check(SpamReport(score, 5.0, (Hit("X", score, "x"),)))
    assert check.status == status


def test_negative_zero_reads_as_zero():
    # The informational rules score -0.001: SpamAssassin shows -0.0.
    report = parse_report(" -0.0 5.0\n-0.0 NO_RECEIVED          Informational\n")
    assert as_check(report).message.startswith("score 0.0 ")
    assert as_check(report).details == ("-0.0 NO_RECEIVED  Informational",)


def test_wrapped_descriptions_are_joined():
    # The summary's layout: "%4.1f %-22s <area><description>", a long
    # description wrapped onto lines indented by 28 spaces.
    summary = (
        " 3.1 5.0\n"
        " 2.5 A_RULE_WITH_A_VERY_LONG_NAME BODY: a description long enough to\n"
        "                            be wrapped\n"
        "  10 TEN                    Ten points\n"
    )
    assert parse_report(summary) == SpamReport(
        3.1,
        5.0,
        (
            Hit(
                "A_RULE_WITH_A_VERY_LONG_NAME",
                2.5,
                "BODY: a description long enough to be wrapped",
            ),
            Hit("TEN", 10.0, "Ten points"),
        ),
    )


def test_an_unreadable_report_is_an_error():
    with pytest.raises(EnewsError, match="could not be read"):
        parse_report(" not a score\n")
