"""The built email in real Chromium (Debian's chromium, driven by Playwright):
no horizontal scrolling at 320 px, one 600 px column on a desktop, dark mode.

`make test` installs chromium when it is missing (it needs root for apt);
without it these tests are skipped with the reason.
"""

from __future__ import annotations

import pytest

from enews.config import Settings
from enews.publish.build import build_issue, write_bundle
from tests.chromium import launch, needs_chromium
from tests.factories import make_issue, make_item

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def browser():
    yield from launch()


@pytest.fixture
def email_url(session, workspace):
    long_word = "Genossenschaftsverbandsversammlungsbeschluss" * 2
    make_item(
        session,
        title=f"A very long title with {long_word}",
        date="2020-10-05",
        image_url="https://coop.example/a.jpg",
        image_alt="A hall",
        summary=f"Summary with https://coop.example/{long_word}/x and more.",
    )
    make_item(session, title="Second item", date="2020-10-06")
    make_issue(session).intro = "Welcome."
    session.flush()
    bundle = build_issue(session, "2020-10", settings=Settings(), workspace=None)
    return (write_bundle(bundle, workspace.issues_dir) / "index.html").as_uri()


def page_at(browser, url, width, scheme="light"):
    page = browser.new_page(
        viewport={"width": width, "height": 900}, color_scheme=scheme
    )
    page.goto(url)
    return page


def test_no_horizontal_scrolling_at_320px(browser, email_url):
    page = page_at(browser, email_url, 320)
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1] == 320


def test_desktop_body_is_600px(browser, email_url):
    page = page_at(browser, email_url, 1000)
    width = page.evaluate(
        "document.querySelector('.card').getBoundingClientRect().width"
    )
    assert width == 600


def test_dark_mode_switches_the_palette(browser, email_url):
    light = page_at(browser, email_url, 600).evaluate(
        "getComputedStyle(document.querySelector('.card')).backgroundColor"
    )
    dark = page_at(browser, email_url, 600, "dark").evaluate(
        "getComputedStyle(document.querySelector('.card')).backgroundColor"
    )
    assert light == "rgb(255, 255, 255)"
    assert dark == "rgb(27, 36, 43)"  # #1b242b
