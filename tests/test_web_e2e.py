"""The workspace app end to end: a real server (werkzeug, as `enews serve`
runs it) and real Chromium (Debian's chromium, driven by Playwright).

Each test gets its own workspace, database and server on a free port; the
browser is shared by the module. Without chromium the tests are skipped.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from enews.compose.issues import get_issue, ordered_sections
from enews.config import load_settings
from enews.publish.build import build_issue
from enews.publish.samples import sample_values, with_samples
from enews.render.templates import PACKAGED_TEMPLATES
from enews.web import create_app
from enews.web.app import LOOPBACK_HOSTS
from enews.web.server import LocalServer
from enews.workspace import Workspace
from tests.chromium import launch, needs_chromium
from tests.factories import make_issue, make_item

pytestmark = needs_chromium
SLUG = "2020-10"
NEWS = ["News one", "News two", "News three"]
ARTICLES = ["Article one", "Article two", "Article three"]
expect = pytest.importorskip("playwright.sync_api").expect
TIMEOUT = 10_000  # ms, for anything that waits on the server


@dataclass
class Served:
    url: str
    ws: Workspace

    def composer(self, slug: str = SLUG) -> str:
        return f"{self.url}/issues/{slug}"


@pytest.fixture(scope="module")
def browser():
    yield from launch()


@pytest.fixture
def items(workspace: Workspace) -> dict[str, int]:
    """Six items of October 2020 in two kinds, with absolute https links (so
    the issue drafted from them passes every check); title -> item id."""
    days = (20, 19, 18)  # newest first, the order an issue is drafted in
    rows = [("News", t, d) for t, d in zip(NEWS, days, strict=True)]
    rows += [("Article", t, d - 10) for t, d in zip(ARTICLES, days, strict=True)]
    ids = {}
    with workspace.transaction() as session:
        for kind, title, day in rows:
            item = make_item(
                session,
                kind=kind,
                title=title,
                date=f"2020-10-{day}",
                url=f"https://coop.example/{kind.lower()}/{day}",
                summary=f"Summary of {title.lower()}.",
            )
            ids[title] = item.id
    return ids


@pytest.fixture
def issue(workspace: Workspace, items: dict[str, int]) -> str:
    with workspace.transaction() as session:
        make_issue(session, month="2020-10", title="October issue")
    return SLUG


@pytest.fixture
def server(workspace: Workspace) -> Iterator[Served]:
    app = create_app(workspace, trusted_hosts=LOOPBACK_HOSTS)
    httpd = LocalServer("127.0.0.1", 0, app)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield Served(f"http://127.0.0.1:{httpd.port}", workspace)
    finally:
        httpd.shutdown()
        thread.join(5)
        httpd.close()  # waits for request threads: none uses the database after


@pytest.fixture
def context(browser, server):
    # Depends on the server: its pages (and their long polls) go first.
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    ctx.set_default_timeout(TIMEOUT)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()


# --- helpers -----------------------------------------------------------------


def frame(page):
    """The preview iframe's content, re-found after every reload."""
    return page.frame_locator("#preview-frame")


def preview_frame(page):
    """The preview's Frame, for evaluating in its document."""
    found = page.frame(url=lambda u: "/preview." in u)
    assert found is not None, [f.url for f in page.frames]
    return found


def entries(page, section: str = "News"):
    return page.locator(f'ol.entries[data-section="{section}"] li.entry')


def stored_titles(ws: Workspace, section: str = "News") -> list[str]:
    with ws.transaction() as session:
        issue = get_issue(session, SLUG)
        sections = dict(ordered_sections(issue, load_settings(ws.root)))
        return [entry.item.title for entry in sections[section]]


def stored_subject(ws: Workspace) -> str | None:
    with ws.transaction() as session:
        return get_issue(session, SLUG).subject


def open_composer(page, served: Served) -> None:
    page.goto(served.composer())
    page.wait_for_function("typeof Sortable === 'function' && !!window.htmx")
    expect(frame(page).locator("h3")).to_have_text(NEWS + ARTICLES)


def drag(page, source, target) -> None:
    """SortableJS in fallback mode: mouse down, move in steps, mouse up."""
    start = source.bounding_box()
    end = target.bounding_box()
    page.mouse.move(start["x"] + 40, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + 40, end["y"] + end["height"] * 0.75, steps=15)
    page.mouse.up()


# --- tests -------------------------------------------------------------------


def test_create_issue_from_the_form_opens_the_composer(page, server, items):
    page.goto(f"{server.url}/issues")
    page.fill("#f-title", "Harvest bulletin")
    page.fill("#f-month", "2020-10")
    page.click("button:has-text('Create issue')")
    expect(page).to_have_url(server.composer(SLUG))
    expect(page.locator("main h1")).to_contain_text("Harvest bulletin")
    expect(frame(page).locator("h1")).to_have_text("Harvest bulletin")
    expect(frame(page).locator("h3")).to_have_text(NEWS + ARTICLES)
    with server.ws.transaction() as session:
        assert get_issue(session, SLUG).title == "Harvest bulletin"


def test_drag_and_drop_reorders_list_preview_and_database(page, server, issue):
    open_composer(page, server)
    news = entries(page)
    drag(page, news.nth(0), news.nth(2))
    moved = ["News two", "News three", "News one"]
    expect(news.locator(".title")).to_have_text(moved)
    expect(frame(page).locator("h3")).to_have_text(moved + ARTICLES)
    assert [
        t.strip() for t in preview_frame(page).locator("h3").all_inner_texts()
    ] == moved + ARTICLES
    assert stored_titles(server.ws) == moved
    assert stored_titles(server.ws, "Article") == ARTICLES


def test_the_composer_finds_an_item_of_another_month_and_includes_it(
    page, server, issue
):
    with server.ws.transaction() as session:
        make_item(
            session,
            kind="News",
            title="Lucía's September report",
            date="2020-09-12",
            url="https://coop.example/september",
        )
    open_composer(page, server)
    page.fill("form.find input[name=q]", "lucia")
    page.click("form.find button")
    found = page.locator("#found li")
    expect(found).to_have_count(1)
    found.locator("button").click()
    expect(entries(page).locator(".title")).to_have_text(
        [*NEWS, "Lucía's September report"]
    )
    expect(frame(page).locator("h3")).to_contain_text(["Lucía's September report"])
    assert stored_titles(server.ws) == [*NEWS, "Lucía's September report"]


def test_keyboard_move_down_keeps_focus_on_the_moved_item(page, server, items, issue):
    open_composer(page, server)
    button_id = f"down-{items['News one']}"
    page.focus(f"#{button_id}")
    page.keyboard.press("Enter")
    expected = ["News two", "News one", "News three"]
    expect(entries(page).locator(".title")).to_have_text(expected)
    expect(frame(page).locator("h3")).to_have_text(expected + ARTICLES)
    # The list was re-rendered; focus is on the same item's button again,
    # so a keyboard user can press Enter once more.
    expect(page.locator(f"#{button_id}")).to_be_focused()
    page.keyboard.press("Enter")
    expected = ["News two", "News three", "News one"]
    expect(entries(page).locator(".title")).to_have_text(expected)
    assert stored_titles(server.ws) == expected


def luminance(css_colour: str) -> float:
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+", css_colour)[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_phone_width_dark_mode_and_plain_text(page, server, issue):
    open_composer(page, server)
    light = preview_frame(page).evaluate(
        "getComputedStyle(document.body).backgroundColor"
    )
    assert luminance(light) > 0.8, light

    page.click("button[data-width=phone]")
    expect(page.locator("button[data-width=phone]")).to_have_attribute(
        "aria-pressed", "true"
    )
    iframe = page.locator("#preview-frame")
    expect(iframe).to_have_js_property("offsetWidth", 375)
    inner = preview_frame(page)
    inner.wait_for_function("document.documentElement.clientWidth === 375")
    assert inner.evaluate("document.documentElement.scrollWidth") <= 375

    with page.expect_event(
        "framenavigated", predicate=lambda f: "dark=1" in f.url
    ) as navigated:
        page.click("button[data-scheme=dark]")
    dark_frame = navigated.value
    dark_frame.wait_for_load_state()
    dark = dark_frame.evaluate("getComputedStyle(document.body).backgroundColor")
    assert luminance(dark) < 0.1, dark
    expect(iframe).to_have_js_property("offsetWidth", 375)  # width kept

    page.click("button[data-part=text]")
    expect(iframe).to_have_attribute("src", re.compile(r"/preview\.txt\?"))
    with server.ws.transaction() as session:
        bundle = build_issue(
            session,
            SLUG,
            settings=load_settings(server.ws.root),
            workspace=server.ws.root,
        )
    body = frame(page).locator("body")
    expect(body).to_contain_text("News one")
    swaps = sample_values(load_settings(server.ws.root), SLUG)
    assert (
        body.inner_text().strip()
        == with_samples(bundle.text, swaps, escape=False).strip()
    )
    assert frame(page).locator("h3").count() == 0
    page.click("button[data-tags=raw]")  # the tags, as index.txt holds them
    expect(iframe).to_have_attribute("src", re.compile(r"/preview\.txt\?.*raw=1"))
    expect(frame(page).locator("body")).to_contain_text("{{unsubscribe_url}}")
    assert frame(page).locator("body").inner_text().strip() == bundle.text.strip()


def test_download_html_is_the_built_issue(page, server, issue):
    from tests.helpers_web import approve

    approve(server.ws)
    open_composer(page, server)
    expect(page.locator("#checks .check-summary")).to_contain_text("KB of HTML")
    with page.expect_download() as download:
        page.click('a[href$="/download/html"]')
    assert download.value.suggested_filename == f"{SLUG}-index.html"
    data = Path(download.value.path()).read_bytes()
    with server.ws.transaction() as session:
        built = build_issue(
            session,
            SLUG,
            settings=load_settings(server.ws.root),
            workspace=server.ws.root,
        )
    assert data == built.html.encode("utf-8")


def test_stale_tab_gets_a_conflict_and_loses_nothing(context, server, issue):
    tab_a, tab_b = context.new_page(), context.new_page()
    open_composer(tab_a, server)
    open_composer(tab_b, server)

    tab_a.bring_to_front()
    tab_a.locator("li.entry button[value=down]").first.click()
    moved = ["News two", "News one", "News three"]
    expect(entries(tab_a).locator(".title")).to_have_text(moved)

    tab_b.bring_to_front()
    tab_b.fill("#f-subject", "A subject from the stale tab")
    tab_b.click("button:has-text('Save texts')")
    expect(tab_b.locator("#messages")).to_contain_text("changed in another tab")
    # The typed text is still there to copy after a reload.
    expect(tab_b.locator("#f-subject")).to_have_value("A subject from the stale tab")
    assert stored_subject(server.ws) is None
    assert stored_titles(server.ws) == moved

    # After a reload tab B shows A's order and can save.
    tab_b.reload()
    expect(entries(tab_b).locator(".title")).to_have_text(moved)
    tab_b.fill("#f-subject", "A subject from the stale tab")
    tab_b.click("button:has-text('Save texts')")
    expect(tab_b.locator("#fields")).to_contain_text("Saved.")
    assert stored_subject(server.ws) == "A subject from the stale tab"
    assert stored_titles(server.ws) == moved


def test_template_change_reloads_the_preview(page, server, issue):
    marker = "Printed on recycled electrons"
    with page.expect_request(
        lambda r: "/_reload?since=" in r.url and not r.url.endswith("since=")
    ):
        open_composer(page, server)  # the long poll is waiting with a stamp
    expect(frame(page).locator("body")).not_to_contain_text(marker)

    packaged = (PACKAGED_TEMPLATES / "partials" / "footer.mjml.j2").read_text()
    assert "</mj-text>" in packaged
    override = server.ws.root / "templates" / "partials" / "footer.mjml.j2"
    override.parent.mkdir(parents=True, exist_ok=True)
    override.write_text(
        packaged.replace("</mj-text>", f'<p class="foot">{marker}</p></mj-text>', 1)
    )
    expect(frame(page).locator("body")).to_contain_text(marker, timeout=5000)


def test_item_text_is_escaped_in_composer_and_preview(page, server, workspace):
    title = "<img src=x onerror=alert(1)>"
    summary = "Watch out for <script>alert(2)</script> in summaries."
    with workspace.transaction() as session:
        make_item(
            session,
            kind="News",
            title=title,
            date="2020-10-09",
            url="https://coop.example/evil",
            summary=summary,
            summary_format="text",
        )
        make_item(
            session,
            kind="News",
            title="Harmless",
            date="2020-10-08",
            url="https://coop.example/harmless",
        )
        make_issue(session, month="2020-10")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server.composer())

    expect(entries(page).locator(".title")).to_have_text([title, "Harmless"])
    assert page.locator("img").count() == 0

    expect(frame(page).locator("h3")).to_have_text([title, "Harmless"])
    expect(frame(page).locator("body")).to_contain_text(summary)
    inner = preview_frame(page)
    assert inner.evaluate("document.querySelectorAll('script').length") == 0
    assert inner.evaluate("document.querySelectorAll('img[src=x]').length") == 0
    assert dialogs == []


def test_signed_in_the_sandboxed_preview_still_loads(page, server, issue):
    """Once the workspace has an account: the sign-in page first, then the
    composer, and the sandboxed iframe's request carries the session."""
    from enews.store.accounts import add_user

    with server.ws.transaction() as session:
        add_user(session, "amy", "a long password")
    page.goto(server.composer())
    expect(page).to_have_url(re.compile(r"/signin\?next=/issues/2020-10$"))
    page.fill("#f-name", "amy")
    page.fill("#f-password", "a long password")
    page.click("button:has-text('Sign in')")
    expect(page).to_have_url(server.composer())
    expect(frame(page).locator("h3")).to_have_text(NEWS + ARTICLES)
    page.click("button:has-text('Sign out')")
    expect(page).to_have_url(re.compile(r"/signin$"))
