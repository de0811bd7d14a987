"""Fuzzing every importer and every form field (issue 14, point 7).

For every entry point -- the library's item add/edit, issue new/set and
issue arrangement (section, position), the four importers and format
detection, the web item, new-issue, issue-fields and upload forms and the
ids and months in its addresses, ``enews item add``, ``enews issue
new/set`` and ``enews issue add/move`` -- any input is either refused with
an enews error naming the field or the line and the database unchanged, or
stored; and then an issue holding it builds for real (mjml-python,
premailer), passes the checks, keeps its text and downloads
(tests/helpers_fuzz_run.py says exactly what is checked).

A small, derandomized budget here (the same inputs on every run); the first
few stored cases of each entry point get the build. benchmarks/fuzz.py runs
the same properties for 10,000 cases and more.
"""

from __future__ import annotations

import pytest

from tests.helpers_fuzz_points import ENTRY_POINTS, run
from tests.helpers_fuzz_run import Broken, Fuzzer, builds_and_downloads
from tests.helpers_web import Browser, app

__all__ = ["app"]

CASES = 60  # per entry point
BUILDS = 5  # stored cases per entry point that are built, checked, downloaded


@pytest.fixture
def fuzzer(workspace, app):
    browser = Browser(app)
    browser.get("/issues")  # the CSRF token of the workspace
    return Fuzzer(workspace, browser, builds_left=BUILDS)


@pytest.mark.sqlite_only
@pytest.mark.parametrize("name", sorted(ENTRY_POINTS))
def test_every_input_is_refused_by_name_or_stored_and_built(fuzzer, name):
    run(fuzzer, name, CASES)
    counts = fuzzer.counts
    assert counts["cases"] >= CASES
    assert counts["refused"] + counts["stored"] + counts["nothing"] == counts["cases"]


# Inputs that once broke an entry point (issue 14, and what this fuzzing
# found), each put through its entry point's case with the build.
BASE = {"kind": "News", "title": "Forum opens", "date": "2020-10-15"}
DEEP = "<em>" * 500 + "deep" + "</em>" * 500
ALT = "Cafe\u0301 \u2764\ufe0f a\\b"  # once "Cafe\u{301} \u2764\u{fe0f} a\\b"
HINDI = "https://hi.example/\u0928\u092e\u0938\u094d\u0924\u0947"
IMAGE = {"image_url": "https://e.org/i.png"}
REFUSED = [
    ("item add", BASE | {"summary": DEEP, "summary_format": "html"}),
    ("item add", BASE | {"url": "https://[::1/"}),
    ("item add", BASE | {"url": "https://e.org:99999/"}),
    ("item add", BASE | {"url": "https://e.org/\x80"}),
    ("item add", BASE | {"url": "https://e.org/\ufffe"}),
    ("item add", BASE | {"url": "https://e.org/a\u200bb"}),
    ("item add", BASE | {"url": "https://e.org/" + "a" * 2000}),
    ("item add", BASE | IMAGE | {"image_alt": "a\x7fb"}),
    ("item add", BASE | {"title": "[[enews:unsubscribe]] now"}),
    ("item add", BASE | {"summary": "<p>&#1; &#65534;</p>", "summary_format": "html"}),
    ("item add", BASE | {"date": "9999-12-31"}),
    ("item edit", {"date": "0000-01-01"}),
    ("issue new+set", ("October", "0000-01", {})),
    ("issue new+set", ("October", "2020-10", {"intro": "Hi [[enews:web_version]]"})),
    ("issue arrange", ("S" * 41, "1")),
    ("import csv", b"kind,title,Title,date\nNews,A,,2020-10-01\n"),
    ("import csv", f"title,date,kind,summary\nA,2020-10-01,News,{DEEP}\n".encode()),
    ("import feed", b'<?xml version="1.0"?>\n<r\x00ss version="2.0"></rss>'),
    ("import json", b"[" * 100_000 + b"]" * 100_000),
    ("web addresses", (str(2**64), "9999-12")),
    ("web item form", BASE | {"url": "https://[::1/"}),
    ("cli item add", BASE | {"title": "caf\udce9"}),
]
STORED = [
    ("item add", BASE | {"summary": "<strong>" * 300 + "x"}),  # no end tag: text
    ("item add", BASE | {"summary": '<a href="https://[::1/">x</a> y'}),  # "x y"
    ("item add", BASE | IMAGE | {"image_alt": ALT}),
    ("item add", BASE | {"url": HINDI}),
    ("issue new+set", ("October", "2020-10", {"subject": ALT})),
    ("import csv", b"title,date,kind\rA,2020-10-01,News\rB,2020-10-02,News\r"),
]
KNOWN = [(*case, "refused") for case in REFUSED] + [(*c, "stored") for c in STORED]


@pytest.mark.sqlite_only
@pytest.mark.parametrize(("name", "value", "outcome"), KNOWN)
def test_inputs_that_once_broke_an_entry_point(fuzzer, name, value, outcome):
    fuzzer.reset()
    assert ENTRY_POINTS[name][1](fuzzer, value) == outcome
    assert fuzzer.counts["built"] == (outcome == "stored")


# What writes to the database, once more on each backend: PostgreSQL checks
# column lengths (and refuses NUL) where SQLite stores anything.
WRITERS = ["item add", "item edit", "issue new+set", "issue arrange", "import csv"]
WRITERS += ["import json", "web item form"]


@pytest.mark.parametrize("name", WRITERS)
def test_the_same_holds_on_each_database(fuzzer, name):
    run(fuzzer, name, CASES // 3)
    counts = fuzzer.counts
    assert counts["refused"] + counts["stored"] + counts["nothing"] == counts["cases"]


def test_the_property_fails_on_a_broken_build(fuzzer, workspace):
    """The build step can fail: a row holding a control character (written
    behind enews's back) makes it raise, not pass."""
    from sqlalchemy import update

    from enews.compose.issues import draft_issue
    from enews.compose.items import add_item, make_draft
    from enews.errors import EnewsError
    from enews.store.models import Item

    with workspace.transaction() as session:
        add_item(session, make_draft(kind="News", title="T", date="2020-10-01"))
        session.execute(update(Item).values(title="bad\x01"))
        draft_issue(session, "Fuzz", month="2020-10", slug="broken")
    with pytest.raises(EnewsError, match="title holds a control character"):
        builds_and_downloads(fuzzer, "broken")


def test_a_refusal_that_changed_the_database_is_caught(fuzzer, workspace):
    from enews.compose.items import add_item, make_draft

    before = fuzzer.snapshot()
    with workspace.transaction() as session:
        add_item(session, make_draft(kind="News", title="T", date="2020-10-01"))
    with pytest.raises(Broken, match="the database changed"):
        fuzzer.refused(before)


def test_alt_text_and_title_keep_marks_and_emoji(workspace):
    """Found by this fuzzing: mjml-python wrote "Cafe\\u{301}" in attributes
    and <title>; render/compiler.py now passes such characters as references."""
    from lxml import html as lxml_html

    from enews.compose.issues import draft_issue, set_fields
    from enews.compose.items import add_item, make_draft
    from enews.publish.build import build_issue

    # An accent as macOS writes it (NFD), an emoji with its selector, Hindi,
    # a backslash (doubled in an attribute).
    alt = "Cafe\u0301 \u2764\ufe0f, \u0928\u092e\u0938\u094d\u0924\u0947 a\\b"
    with workspace.transaction() as session:
        values = {"kind": "News", "title": "T", "date": "2020-10-01"}
        add_item(
            session,
            make_draft(**values, image_url="https://e.org/i.png", image_alt=alt),
        )
        draft_issue(session, "October", month="2020-10")
        set_fields(session, "2020-10", subject=f"October {alt}")
    with workspace.transaction() as session:
        bundle = build_issue(
            session, "2020-10", settings=workspace.settings, workspace=workspace.root
        )
    page = lxml_html.document_fromstring(bundle.html.encode())
    assert [img.get("alt") for img in page.iter("img")] == [alt]
    assert page.find(".//title").text_content().startswith(f"October {alt}")
