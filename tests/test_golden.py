"""The fixture issue, built end to end for every mailing-service profile and
diffed against tests/golden/<profile>/ (html, text, .eml, manifest).

After an intended template change, regenerate on purpose with
``pytest tests/test_golden.py --update-golden`` and review the diff.
"""

from __future__ import annotations

import datetime as dt
import difflib
from pathlib import Path

import pytest

from enews.compose.issues import get_issue, move_in_issue, set_featured, set_fields
from enews.config import Settings
from enews.profiles import PROFILES
from enews.publish.build import build_issue, write_bundle
from tests.factories import make_issue, make_item

GOLDEN = Path(__file__).parent / "golden"
FILES = ("index.html", "index.txt", "message.eml", "manifest.json")

FIXTURE_ITEMS = [
    dict(kind="News", title="Savings co-ops in Uganda grow youth membership by 12%",
         date="2020-10-13", url="https://coop.example/news/uganda-youth",
         summary="A national survey shows members under 30 grew by 12%.\n\n"
                 "Mobile savings products did most of the work."),
    dict(kind="News", title="Regional forum opens in Nairobi", date="2020-10-05",
         url=None, summary="Three days, 600 delegates, 30 countries."),
    dict(kind="News", title="Headline only, no link & no summary", date="2020-10-20",
         url=None, summary=None),
    dict(kind="Article", title="Digital payments and rural SACCOs <a field note>",
         date="2020-10-22", url="https://coop.example/articles/payments?a=1&b=2",
         summary='Lower costs, new "fraud" risks.'),
    dict(kind="Interview", title="Zoë Ólafsdóttir on Reykjavík's energy co-op",
         date="2020-10-07", url="https://coop.example/interviews/zoe",
         summary="How 1,200 households bought into a geothermal plant.",
         image_url="https://coop.example/media/zoe.jpg",
         image_alt="Zoë Ólafsdóttir at the plant"),
    dict(kind="Podcast", title="Episode 4: co-op housing in Vienna", date="2020-10-30",
         url="https://coop.example/podcast/4", summary=None),
    dict(kind="News", title="A November item stays out", date="2020-11-02",
         url="https://coop.example/news/november"),
]  # fmt: skip


def build_fixture(session, workspace, profile):
    ids = [make_item(session, **values).id for values in FIXTURE_ITEMS]
    make_issue(session, title="October issue", month="2020-10")
    set_fields(
        session,
        "2020-10",
        intro="Hello, co-operators.\n\nTwo lines of intro.",
        preheader="Uganda, Nairobi and Reykjavík",
        subject="Co-op News: October",
    )
    set_featured(session, "2020-10", ids[4])
    move_in_issue(session, "2020-10", ids[1], position=1)  # an editor's reorder
    issue = get_issue(session, "2020-10")
    issue.updated_at = dt.datetime(2020, 11, 2, 9, 30)  # a fixed Date header
    session.flush()
    settings = Settings(profile=profile)
    bundle = build_issue(session, "2020-10", settings=settings, workspace=None)
    return write_bundle(bundle, workspace.issues_dir)


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_fixture_issue_matches_golden(session, workspace, request, profile):
    folder = build_fixture(session, workspace, profile)
    golden = GOLDEN / profile
    if request.config.getoption("--update-golden"):
        golden.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            (golden / name).write_bytes((folder / name).read_bytes())
        pytest.skip("golden files rewritten")
    for name in FILES:
        expected = (golden / name).read_bytes().decode("utf-8")
        actual = (folder / name).read_bytes().decode("utf-8")
        if actual != expected:
            diff = difflib.unified_diff(
                expected.splitlines(),
                actual.splitlines(),
                "golden",
                "built",
                lineterm="",
            )
            pytest.fail(
                f"{name} differs from tests/golden:\n" + "\n".join(list(diff)[:60])
            )
