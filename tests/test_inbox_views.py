"""The preview's inbox views (web/preview.py), served by the real workspace
and shown in real Chromium: no style support, images off, forced dark; and
the composer's Inbox buttons that switch between them.
"""

from __future__ import annotations

import colorsys
import re
import threading
from collections.abc import Iterator

import pytest

from enews.web import create_app
from enews.web.app import LOOPBACK_HOSTS
from enews.web.preview import images_off, invert_colours, no_styles
from enews.web.server import LocalServer
from enews.workspace import Workspace
from tests.chromium import launch, needs_chromium
from tests.factories import make_issue, make_item

SLUG = "2020-10"
TITLES = ["Open day at the dairy", "Members vote on the new hall"]
ALT = "Members raising their hands in a wooden hall"
expect = pytest.importorskip("playwright.sync_api").expect
TIMEOUT = 10_000  # ms


# --- the colour transform and the parts no browser is needed for ---------------


def _lightness(hex_colour: str) -> tuple[float, float, float]:
    rgb = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return colorsys.rgb_to_hls(*rgb)


def test_invert_colours_turns_lightness_over_and_keeps_hue():
    assert invert_colours("#fff") == "#000000"
    assert invert_colours("black") == "#ffffff"
    assert invert_colours("White") == "#000000"
    assert invert_colours("rgb(255, 255, 255)") == "#000000"
    assert invert_colours("rgba(0,0,0,.5)") == "rgba(255, 255, 255, 0.5)"
    assert invert_colours("#ff0000") == "#ff0000"  # L = 0.5 is its own inverse
    hue, light, sat = _lightness("#1f5f8b")
    inverted = invert_colours("1px solid #1f5f8b !important")
    found = re.fullmatch(r"1px solid (#[0-9a-f]{6}) !important", inverted)
    assert found, inverted
    hue2, light2, sat2 = _lightness(found[1])
    assert light2 == pytest.approx(1 - light, abs=0.005)
    assert (hue2, sat2) == pytest.approx((hue, sat), abs=0.01)
    # Not colours: left alone.
    for value in ("url(#fff)", "transparent", "#12345", "'White Sans'", "inherit"):
        assert invert_colours(value) == value


def test_no_styles_keeps_inline_styles():
    page = (
        "<!doctype html><html><head><style>p{color:red}</style>"
        '<link rel="stylesheet" href="x.css"><link rel="icon" href="i.png"></head>'
        '<body><p style="color:#123456">Kept</p><style>b{}</style> tail</body></html>'
    )
    out = no_styles(page)
    assert "<style" not in out and "x.css" not in out
    assert 'rel="icon"' in out and 'style="color:#123456"' in out
    assert "Kept" in out and " tail" in out


def test_images_off_drops_background_images_too():
    page = (
        '<html><body><table><tr><td background="bg.jpg" '
        'style="background:#fff url(bg.jpg) no-repeat;background-image:url(b.png);'
        'color:#000"><img src="a.png" alt=""><img src="b.png" alt=" A  cow ">'
        "</td></tr></table></body></html>"
    )
    out = images_off(page)
    assert "<img" not in out and "url(" not in out and "background=" not in out
    assert "background:#fff  no-repeat" in out and "color:#000" in out
    assert "<span>A cow</span>" in out  # the empty alt shows nothing


# --- the workspace's preview route in Chromium ------------------------------------


@pytest.fixture(scope="module")
def browser():
    yield from launch()


@pytest.fixture
def server(workspace: Workspace) -> Iterator[str]:
    with workspace.transaction() as session:
        make_item(
            session,
            title=TITLES[0],
            date="2020-10-20",
            image_url="https://coop.example/hall.jpg",
            image_alt=ALT,
        )
        make_item(session, title=TITLES[1], date="2020-10-19")
        make_issue(session, month="2020-10", title="October issue")
    httpd = LocalServer(
        "127.0.0.1", 0, create_app(workspace, trusted_hosts=LOOPBACK_HOSTS)
    )
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.port}"
    finally:
        httpd.shutdown()
        thread.join(5)
        httpd.close()


@pytest.fixture
def context(browser, server):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    ctx.set_default_timeout(TIMEOUT)
    yield ctx
    ctx.close()


def preview(context, server, query="", scheme="light"):
    """The preview page of the issue, opened directly; its response too."""
    page = context.new_page()
    page.emulate_media(color_scheme=scheme)
    response = page.goto(f"{server}/issues/{SLUG}/preview.html{query}")
    return page, response


def titles(page) -> list[str]:
    return [t.strip() for t in page.locator("h3").all_inner_texts()]


def luminance(css_colour: str) -> float:
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+", css_colour)[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


STYLE_SHEETS = "document.querySelectorAll('style, link[rel~=stylesheet]').length"
CARD_BG = "getComputedStyle(document.querySelector('.card')).backgroundColor"
TEXT = ".card td.pad > div"
HEADER_BG = "getComputedStyle(document.querySelector('.header')).backgroundColor"


@needs_chromium
def test_no_styles_view_has_no_style_sheet_and_still_shows_the_items(context, server):
    designed, _ = preview(context, server)
    assert designed.evaluate(STYLE_SHEETS) > 0
    page, response = preview(context, server, "?view=nostyle")
    assert response.status == 200
    assert "sandbox" in response.headers["content-security-policy"]
    assert page.evaluate("document.head.querySelectorAll('style').length") == 0
    assert page.evaluate(STYLE_SHEETS) == 0
    assert titles(page) == TITLES
    # The inline styles are what such a client keeps: the header band.
    assert page.evaluate(HEADER_BG) == designed.evaluate(HEADER_BG)
    assert page.evaluate(HEADER_BG) == "rgb(31, 95, 139)"  # #1f5f8b


@needs_chromium
def test_images_off_view_shows_alt_text_in_place_of_images(context, server):
    designed, _ = preview(context, server)
    assert designed.locator(f'img[alt="{ALT}"]').count() == 1
    page, response = preview(context, server, "?view=imagesoff")
    assert response.status == 200
    assert page.evaluate("document.images.length") == 0
    expect(page.locator("body")).to_contain_text(ALT)
    shown = page.locator(f"span:text-is('{ALT}')")
    assert shown.is_visible()
    assert titles(page) == TITLES


@needs_chromium
def test_forced_dark_view_inverts_and_ignores_the_emails_dark_mode(context, server):
    # Viewer in dark mode: as designed, the email's own dark palette shows.
    designed, _ = preview(context, server, scheme="dark")
    assert designed.evaluate(CARD_BG) == "rgb(27, 36, 43)"  # #1b242b
    page, response = preview(context, server, "?view=forceddark", scheme="dark")
    assert response.status == 200
    assert page.evaluate(CARD_BG) == "rgb(0, 0, 0)"  # #ffffff inverted
    body = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert luminance(body) < 0.1, body
    # The body text (#1d2329) and the dates (#4f5b66): light now.
    text = page.evaluate(f"getComputedStyle(document.querySelector({TEXT!r})).color")
    assert luminance(text) > 0.7, text
    muted = page.evaluate("getComputedStyle(document.querySelector('.meta')).color")
    assert luminance(muted) > 0.5, muted
    # The header band: lightness over, hue kept (#1f5f8b -> #74b4e0).
    assert page.evaluate(HEADER_BG) == "rgb(116, 180, 224)"
    assert page.evaluate("getComputedStyle(document.images[0]).filter") == "none"
    assert titles(page) == TITLES


@needs_chromium
def test_inbox_views_combine_with_dark_and_raw_tags(context, server):
    page, response = preview(context, server, "?view=imagesoff&dark=1&raw=1")
    assert response.status == 200
    assert page.evaluate("document.images.length") == 0
    assert page.evaluate(CARD_BG) == "rgb(27, 36, 43)"
    assert page.locator('a[href="{{unsubscribe_url}}"]').count() == 1


@needs_chromium
@pytest.mark.parametrize("part", ["html", "txt"])
def test_an_unknown_view_is_refused(context, server, part):
    page = context.new_page()
    response = page.goto(f"{server}/issues/{SLUG}/preview.{part}?view=inverted")
    assert response.status == 400
    expect(page.locator("body")).to_contain_text("view: must be one of")


# --- the composer's Inbox buttons --------------------------------------------------


def switch(page, button: str, view: str | None):
    """Click an Inbox button; the preview frame it navigates to."""
    wanted = (lambda u: f"view={view}" in u) if view else (lambda u: "view=" not in u)
    with page.expect_event(
        "framenavigated", predicate=lambda f: "/preview.html" in f.url and wanted(f.url)
    ) as navigated:
        page.click(f"button[data-view={button}]")
    expect(page.locator(f"button[data-view={button}]")).to_have_attribute(
        "aria-pressed", "true"
    )
    frame = navigated.value
    frame.wait_for_load_state()
    return frame


@needs_chromium
def test_the_inbox_buttons_switch_the_preview(context, server):
    page = context.new_page()
    page.goto(f"{server}/issues/{SLUG}")
    iframe = page.locator("#preview-frame")
    buttons = page.locator("[role=group][aria-label=Inbox] button")
    expect(buttons).to_have_text(
        ["As designed", "No styles", "Images off", "Forced dark"]
    )
    for i in range(4):
        assert buttons.nth(i).get_attribute("title")
    expect(buttons.first).to_have_attribute("aria-pressed", "true")

    frame = switch(page, "nostyle", "nostyle")
    assert frame.evaluate(STYLE_SHEETS) == 0
    expect(buttons.first).to_have_attribute("aria-pressed", "false")

    frame = switch(page, "imagesoff", "imagesoff")
    assert frame.evaluate("document.images.length") == 0
    assert ALT in frame.locator("body").inner_text()

    frame = switch(page, "forceddark", "forceddark")
    body = frame.evaluate("getComputedStyle(document.body).backgroundColor")
    assert luminance(body) < 0.1, body

    page.click("button[data-part=text]")  # the text part has no inbox view
    expect(iframe).to_have_attribute("src", re.compile(r"/preview\.txt\?(?!.*view=)"))
    page.click("button[data-part=html]")
    expect(iframe).to_have_attribute("src", re.compile(r"view=forceddark"))

    frame = switch(page, "designed", None)
    assert frame.evaluate("document.images.length") == 1
    assert frame.evaluate(STYLE_SHEETS) > 0
