"""Routes of the browser workspace through Flask's test client.

Real SQLite file, real pipeline (mjml-python, premailer), CSRF protection on:
every POST here carries the token a page handed out, as a browser does.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from lxml import html as lxml_html  # type: ignore[import-untyped]
from sqlalchemy import func, select

from enews.compose.issues import get_issue, ordered_sections
from enews.config import Settings
from enews.publish.build import build_issue
from enews.render.templates import PACKAGED_TEMPLATES
from enews.store.models import Issue, Item
from enews.web import create_app
from enews.web.preview import force_dark
from tests.factories import make_issue, make_item

DATA = Path(__file__).parent / "data"
TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')


class Browser:
    """A test client that behaves like one browser tab: it keeps the cookie
    and sends the CSRF token of the last page it loaded."""

    def __init__(self, app):
        self.client = app.test_client()
        self.token = ""

    def get(self, url, **kw):
        response = self.client.get(url, **kw)
        if response.mimetype == "text/html" and (
            found := TOKEN.search(response.get_data(as_text=True))
        ):
            self.token = found[1]
        return response

    def post(self, url, data=None, *, htmx=True, **kw):
        headers = {"X-CSRFToken": self.token}
        if htmx:
            headers["HX-Request"] = "true"
        return self.client.post(url, data=data or {}, headers=headers, **kw)


@pytest.fixture
def app(workspace):
    app = create_app(workspace, trusted_hosts=["localhost", "127.0.0.1"])
    app.config["SERVER_NAME"] = "localhost"
    return app


@pytest.fixture
def tab(app):
    browser = Browser(app)
    browser.get("/issues")
    return browser


@pytest.fixture
def issue(workspace):
    """An October issue: three News items, two Articles, all passing checks."""
    with workspace.transaction() as session:
        for day in (3, 9, 21):
            make_item(session, title=f"News of day {day}", date=f"2020-10-{day:02}")
        for day in (5, 12):
            make_item(
                session,
                kind="Article",
                title=f"Article {day}",
                date=f"2020-10-{day:02}",
            )
        make_item(session, title="September news", date="2020-09-30")
        make_issue(session)
    return "2020-10"


def order(workspace, slug="2020-10", section="News"):
    with workspace.transaction() as session:
        sections = dict(ordered_sections(get_issue(session, slug), Settings()))
        return [entry.item.title for entry in sections.get(section, [])]


def stored(workspace, slug="2020-10"):
    with workspace.transaction() as session:
        return get_issue(session, slug)


def item_id(workspace, title):
    with workspace.transaction() as session:
        return session.scalar(select(Item.id).where(Item.title == title))


def version(workspace, slug="2020-10"):
    return stored(workspace, slug).version


# --- security ---------------------------------------------------------------


def test_pages_carry_a_strict_csp_and_the_preview_a_sandboxing_one(tab, issue):
    page = tab.get(f"/issues/{issue}")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert 'sandbox=""' in page.get_data(as_text=True)
    preview = tab.get(f"/issues/{issue}/preview.html")
    policy = preview.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy
    assert "script-src" not in policy  # no script source at all
    assert "frame-ancestors 'self'" in policy
    assert preview.headers["X-Content-Type-Options"] == "nosniff"


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    app, workspace, issue
):
    client = app.test_client()
    before = version(workspace)
    response = client.post(
        f"/issues/{issue}/fields", data={"subject": "x", "version": before}
    )
    assert response.status_code == 400
    assert "reload the page" in response.get_data(as_text=True)
    assert stored(workspace).subject is None
    assert version(workspace) == before


def test_a_token_from_another_session_is_refused(app, tab, issue, workspace):
    other = Browser(app)  # a second browser, its own cookie
    other.token = tab.token
    response = other.post(f"/issues/{issue}/fields", {"subject": "x", "version": 1})
    assert response.status_code == 400
    assert stored(workspace).subject is None


def test_an_unexpected_host_header_is_refused(app):
    # DNS rebinding: a page on evil.example must not reach the loopback app.
    response = app.test_client().get("/issues", headers={"Host": "evil.example"})
    assert response.status_code == 400


def test_item_text_is_escaped_in_every_page_and_the_preview(tab, workspace):
    title = '<img src=x onerror="alert(1)"> & <b>bold</b>'
    with workspace.transaction() as session:
        make_item(session, title=title, summary="<script>alert(2)</script>Text")
        make_issue(session)
    for url in ("/items?month=2020-10", "/issues/2020-10", "/issues"):
        body = tab.get(url).get_data(as_text=True)
        assert "<img src=x" not in body and "<script>alert" not in body
    assert "&lt;img src=x" in tab.get("/issues/2020-10").get_data(as_text=True)
    preview = tab.get("/issues/2020-10/preview.html").get_data(as_text=True)
    doc = lxml_html.fromstring(preview)
    assert not doc.xpath("//script | //img[@src='x']")
    assert not [a for el in doc.iter() for a in el.attrib if a.startswith("on")]
    assert title in doc.text_content()  # shown as the text it is


# --- items ------------------------------------------------------------------


def test_items_list_filters_by_month_kind_and_text(tab, issue):
    october = tab.get("/items?month=2020-10").get_data(as_text=True)
    assert "News of day 21" in october and "September news" not in october
    articles = tab.get("/items?month=2020-10&kind=article").get_data(as_text=True)
    assert "Article 12" in articles and "News of day 3" not in articles
    found = tab.get("/items?month=2020-10&q=day+21").get_data(as_text=True)
    assert "News of day 21" in found and "News of day 3<" not in found


def test_items_list_defaults_to_the_newest_month(tab, issue):
    assert "October 2020" in tab.get("/items").get_data(as_text=True)


def test_a_bad_month_filter_is_a_4xx_message(tab, issue):
    response = tab.get("/items?month=2020-13")
    assert response.status_code == 422
    assert "is not a month like 2020-10" in response.get_data(as_text=True)


def test_a_big_month_is_listed_in_pages_that_keep_the_filters(tab, workspace):
    from enews.web.items_views import PAGE

    with workspace.transaction() as session:
        for n in range(2 * PAGE + 30):  # several items share each date
            kind = "News" if n % 3 else "Article"
            day = f"2020-10-{n % 28 + 1:02}"
            make_item(session, kind=kind, title=f"Item {n}", date=day)
        make_item(session, title="Item in September", date="2020-09-30")
    news = [n for n in range(2 * PAGE + 30) if n % 3]
    url, seen, pages = "/items?month=2020-10&kind=News", [], 0
    while url:
        page = lxml_html.fromstring(tab.get(url).get_data(as_text=True))
        rows = page.xpath("//table[contains(@class, 'items')]/tbody/tr")
        assert 0 < len(rows) <= PAGE
        seen += [row.xpath("string(td[3]/a)") for row in rows]
        count = page.get_element_by_id("item-count").text_content()
        assert count.startswith(f"{len(rows)} of {len(news)} items")
        older = page.xpath("//a[@rel='next']/@href")
        url = older[0] if older else None
        if url:
            assert "month=2020-10" in url and "kind=News" in url
        pages += 1
    assert pages == 2 and len(seen) == len(news)
    # every News item once, newest first
    with workspace.transaction() as session:
        expected = session.scalars(
            select(Item.title)
            .where(Item.kind == "News", Item.published_on >= dt.date(2020, 10, 1))
            .order_by(Item.published_on.desc(), Item.id.desc())
        ).all()
    assert seen == expected


def test_a_bad_page_position_is_a_4xx_message(tab, issue):
    response = tab.get("/items?month=2020-10&after=yesterday")
    assert response.status_code == 422
    assert "after: &#39;yesterday&#39; is not a page position" in response.get_data(
        as_text=True
    )


ITEM = {
    "kind": "News",
    "title": "Forum opens",
    "date": "29 October 2020",
    "url": "https://coop.example/forum",
    "summary": "Two days, **300** delegates.",
    "image_url": "",
    "image_alt": "",
}


def test_add_an_item_from_the_form(tab, workspace):
    tab.get("/items/new")
    response = tab.post("/items/new", ITEM, htmx=False)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/items?month=2020-10")
    with workspace.transaction() as session:
        item = session.scalar(select(Item).where(Item.title == "Forum opens"))
        assert item.published_on.isoformat() == "2020-10-29"
        assert "<strong>300</strong>" in item.summary  # Markdown, sanitized
    listing = tab.get("/items?month=2020-10").get_data(as_text=True)
    assert "Added item" in listing  # the flash message


def test_every_bad_field_is_shown_beside_it_and_nothing_is_written(tab, workspace):
    bad = ITEM | {
        "title": "",
        "date": "31 Smarch 2020",
        "url": "javascript:alert(1)",
        "image_url": "https://coop.example/a.jpg",
    }
    response = tab.post("/items/new", bad, htmx=False)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    for field in ("title", "date", "url", "image_alt"):
        assert f'id="e-{field}"' in body, field
    assert "unknown month name" in body and "not an absolute http(s) link" in body
    assert 'value="31 Smarch 2020"' in body  # what was typed is kept
    with workspace.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Item)) == 0


def test_a_duplicate_link_is_shown_beside_the_link_field(tab, workspace):
    tab.post("/items/new", ITEM, htmx=False)
    response = tab.post("/items/new", ITEM | {"title": "Other"}, htmx=False)
    assert response.status_code == 422
    assert 'id="e-url"' in response.get_data(as_text=True)


def test_edit_an_item(tab, workspace, issue):
    target = item_id(workspace, "News of day 3")
    form = tab.get(f"/items/{target}/edit").get_data(as_text=True)
    assert 'value="News of day 3"' in form
    changed = ITEM | {"title": "News of day 3, corrected", "date": "2020-10-03"}
    response = tab.post(f"/items/{target}/edit", changed, htmx=False)
    assert response.status_code == 303
    assert "News of day 3, corrected" in order(workspace)
    bad = tab.post(f"/items/{target}/edit", changed | {"date": "soon"}, htmx=False)
    assert bad.status_code == 422
    assert "News of day 3, corrected" in order(workspace)


def test_editing_a_missing_item_is_a_404(tab):
    assert tab.get("/items/999/edit").status_code == 404


def test_deleting_an_item_in_an_issue_removes_it_and_bumps_the_version(
    tab, workspace, issue
):
    before = version(workspace)
    target = item_id(workspace, "News of day 9")
    response = tab.post(f"/items/{target}/delete", htmx=False)
    assert response.status_code == 303
    assert order(workspace) == ["News of day 21", "News of day 3"]
    assert version(workspace) > before
    page = tab.get(response.headers["Location"]).get_data(as_text=True)
    assert "it left issue 2020-10" in page


def test_a_composer_change_to_an_item_deleted_meanwhile_is_a_conflict(
    tab, workspace, issue
):
    seen = version(workspace)
    target = item_id(workspace, "News of day 9")
    tab.post(f"/items/{target}/delete", htmx=False)
    response = tab.post(
        f"/issues/{issue}/entries/{target}", {"action": "up", "version": seen}
    )
    assert response.status_code == 409
    assert response.headers["HX-Retarget"] == "#messages"
    assert "changed in another tab" in response.get_data(as_text=True)


# --- import by upload ---------------------------------------------------------


def upload(tab, path_or_bytes, name, **fields):
    data = (
        path_or_bytes
        if isinstance(path_or_bytes, bytes)
        else path_or_bytes.read_bytes()
    )
    form = {"file": (io.BytesIO(data), name), **fields}
    tab.get("/import")
    return tab.client.post(
        "/import",
        data=form,
        headers={"X-CSRFToken": tab.token},
        content_type="multipart/form-data",
    )


def count_items(workspace):
    with workspace.transaction() as session:
        return session.scalar(select(func.count()).select_from(Item))


@pytest.mark.parametrize(
    "name", ["items.csv", "items.json", "feed-rss1.xml", "feed-atom.xml", "listing.txt"]
)
def test_import_every_format_by_upload_and_again_changes_nothing(tab, workspace, name):
    first = upload(tab, DATA / name, name, kind="News")
    assert first.status_code == 200, first.get_data(as_text=True)
    added = count_items(workspace)
    assert added > 0
    assert f"{added} added" in first.get_data(as_text=True)
    again = upload(tab, DATA / name, name, kind="News")
    assert "0 added" in again.get_data(as_text=True)
    assert count_items(workspace) == added


def test_an_upload_with_a_bad_record_imports_nothing_and_names_the_line(tab, workspace):
    response = upload(tab, DATA / "items-bad.csv", "items-bad.csv")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "nothing was imported" in body
    assert re.search(r"items-bad\.csv:\d+: \w+", body)
    assert count_items(workspace) == 0


def test_skip_invalid_imports_the_valid_records(tab, workspace):
    response = upload(tab, DATA / "items-bad.csv", "items-bad.csv", skip_invalid="1")
    assert response.status_code == 200
    assert count_items(workspace) > 0


def test_dry_run_writes_nothing(tab, workspace):
    response = upload(tab, DATA / "items.csv", "items.csv", dry_run="1")
    assert response.status_code == 200
    assert "Dry run" in response.get_data(as_text=True)
    assert count_items(workspace) == 0


@pytest.mark.parametrize(
    ("data", "fields", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\0\0\0", {}, "items.png"),
        (b"", {}, "the file is empty"),
        (b"kind,title,date\nNews,A,2020-10-01\n", {"format": "feed"}, "items.png"),
        (b"kind,title\n", {"format": "yaml"}, "format: must be one of"),
    ],
)
def test_an_upload_in_a_wrong_format_is_a_400_with_a_message(
    tab, workspace, data, fields, message
):
    response = upload(tab, data, "items.png", **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count_items(workspace) == 0


def test_an_import_without_a_file_is_a_400(tab):
    tab.get("/import")
    response = tab.post("/import", {}, htmx=False)
    assert response.status_code == 400
    assert "choose a file" in response.get_data(as_text=True)


def test_an_upload_over_the_limit_is_a_413_with_a_message(app, tab):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = upload(tab, b"x" * 5000, "big.csv")
    assert response.status_code == 413
    assert "larger than" in response.get_data(as_text=True)


# --- issues and the composer ------------------------------------------------------


def test_create_an_issue_from_a_month(tab, workspace, issue):
    response = tab.post(
        "/issues", {"title": "Autumn", "month": "2020-10", "slug": "autumn"}, htmx=False
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/issues/autumn")
    assert order(workspace, "autumn") == [
        "News of day 21",
        "News of day 9",
        "News of day 3",
    ]
    composer = tab.get("/issues/autumn").get_data(as_text=True)
    assert "Autumn" in composer and "Article 12" in composer


@pytest.mark.parametrize(
    ("form", "status", "field", "message"),
    [
        ({"title": "X", "month": "2020-10"}, 409, "slug", "already exists"),
        ({"title": "X", "month": "October"}, 422, "month", "is not a month"),
        ({"title": " ", "month": "2020-11"}, 422, "title", "must not be empty"),
        (
            {"title": "X", "month": "2020-11", "slug": "No Way"},
            422,
            "slug",
            "lower-case",
        ),
    ],
)
def test_bad_new_issue_forms_show_the_problem_beside_the_field(
    tab, issue, form, status, field, message
):
    response = tab.post("/issues", form, htmx=False)
    body = response.get_data(as_text=True)
    assert response.status_code == status
    assert f'id="e-{field}"' in body and message in body


def test_the_composer_lists_sections_and_the_months_items_left_out(
    tab, workspace, issue
):
    target = item_id(workspace, "Article 5")
    tab.post(
        f"/issues/{issue}/entries/{target}",
        {"action": "remove", "version": version(workspace)},
    )
    page = tab.get(f"/issues/{issue}").get_data(as_text=True)
    outside = page.split('class="outside"')[1]
    assert "Article 5" in outside and "News of day 3" not in outside
    assert "September news" not in page  # another month's item


def test_saving_texts_bumps_the_version_and_asks_for_a_preview_reload(
    tab, workspace, issue
):
    before = version(workspace)
    response = tab.post(
        f"/issues/{issue}/fields",
        {"subject": "Co-op news, October", "intro": "Hello.", "version": before},
    )
    assert response.status_code == 200
    assert "preview-changed" in response.headers["HX-Trigger"]
    body = response.get_data(as_text=True)
    assert f'value="{before + 1}" hx-swap-oob="true"' in body
    assert stored(workspace).subject == "Co-op news, October"
    preview = tab.get(f"/issues/{issue}/preview.html").get_data(as_text=True)
    assert "<title>Co-op news, October</title>" in preview


def test_a_stale_version_gets_a_conflict_and_loses_nothing(tab, app, workspace, issue):
    seen = version(workspace)
    other = Browser(app)
    other.get(f"/issues/{issue}")
    first = other.post(
        f"/issues/{issue}/fields", {"subject": "From tab A", "version": seen}
    )
    assert first.status_code == 200
    second = tab.post(
        f"/issues/{issue}/fields", {"subject": "From tab B", "version": seen}
    )
    assert second.status_code == 409
    assert "changed in another tab" in second.get_data(as_text=True)
    assert stored(workspace).subject == "From tab A"


def test_a_form_without_a_version_is_refused(tab, workspace, issue):
    response = tab.post(f"/issues/{issue}/fields", {"subject": "x"})
    assert response.status_code == 422
    assert stored(workspace).subject is None


def test_invalid_text_values_are_4xx_and_not_saved(tab, workspace, issue):
    response = tab.post(
        f"/issues/{issue}/fields", {"title": "", "version": version(workspace)}
    )
    assert response.status_code == 422
    assert "title: must not be empty" in response.get_data(as_text=True)
    assert stored(workspace).title == "October issue"


def test_move_puts_an_item_at_a_position(tab, workspace, issue):
    target = item_id(workspace, "News of day 3")
    response = tab.post(
        f"/issues/{issue}/move",
        {"item_id": target, "position": 1, "version": version(workspace)},
    )
    assert response.status_code == 200
    assert order(workspace) == ["News of day 3", "News of day 21", "News of day 9"]
    listed = re.findall(r'class="title">([^<]+)<', response.get_data(as_text=True))
    assert listed[:3] == ["News of day 3", "News of day 21", "News of day 9"]


@pytest.mark.parametrize(
    ("form", "status"),
    [({"position": 9}, 422), ({"position": "two"}, 422), ({"item_id": 999}, 404)],
)
def test_bad_moves_are_4xx_and_change_nothing(tab, workspace, issue, form, status):
    data = {"item_id": item_id(workspace, "News of day 3"), "position": 1}
    data |= form | {"version": version(workspace)}
    response = tab.post(f"/issues/{issue}/move", data)
    assert response.status_code == status
    assert order(workspace) == ["News of day 21", "News of day 9", "News of day 3"]


def test_up_down_feature_remove_include(tab, workspace, issue):
    def act(title, action):
        response = tab.post(
            f"/issues/{issue}/entries/{item_id(workspace, title)}",
            {"action": action, "version": version(workspace)},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        return response

    act("News of day 3", "up")
    assert order(workspace) == ["News of day 21", "News of day 3", "News of day 9"]
    act("News of day 21", "down")
    assert order(workspace) == ["News of day 3", "News of day 21", "News of day 9"]
    act("News of day 3", "up")  # already first: stays
    assert order(workspace)[0] == "News of day 3"
    act("News of day 9", "feature")
    with workspace.transaction() as session:
        featured = [
            e.item.title for e in get_issue(session, issue).entries if e.featured
        ]
    assert featured == ["News of day 9"]
    act("News of day 9", "unfeature")
    with workspace.transaction() as session:
        assert not any(e.featured for e in get_issue(session, issue).entries)
    act("News of day 9", "remove")
    assert "News of day 9" not in order(workspace)
    body = tab.post(
        f"/issues/{issue}/include/{item_id(workspace, 'News of day 9')}",
        {"version": version(workspace)},
    ).get_data(as_text=True)
    assert order(workspace)[-1] == "News of day 9"
    assert "<html" not in body  # the fragment, not a page


def test_an_unknown_action_is_a_422(tab, workspace, issue):
    target = item_id(workspace, "News of day 3")
    response = tab.post(
        f"/issues/{issue}/entries/{target}",
        {"action": "explode", "version": version(workspace)},
    )
    assert response.status_code == 422


def test_delete_an_issue_keeps_its_items(tab, workspace, issue):
    response = tab.post(
        f"/issues/{issue}/delete", {"version": version(workspace)}, htmx=False
    )
    assert response.status_code == 303
    with workspace.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Issue)) == 0
    assert count_items(workspace) == 6


def test_an_unknown_issue_is_a_404_page(tab):
    response = tab.get("/issues/2099-01")
    assert response.status_code == 404
    assert "no issue with slug &#39;2099-01&#39;" in response.get_data(as_text=True)


# --- preview, checks, downloads, build --------------------------------------------


def built(workspace, slug="2020-10"):
    with workspace.transaction() as session:
        return build_issue(
            session, slug, settings=workspace.settings, workspace=workspace.root
        )


def test_the_preview_is_the_built_email_byte_for_byte(tab, workspace, issue):
    bundle = built(workspace)
    html = tab.get(f"/issues/{issue}/preview.html")
    assert html.get_data(as_text=True) == bundle.html
    text = tab.get(f"/issues/{issue}/preview.txt")
    assert text.headers["Content-Type"].startswith("text/plain")
    assert text.get_data(as_text=True) == bundle.text


def test_the_dark_preview_applies_the_dark_palette_unconditionally(tab, issue):
    dark = tab.get(f"/issues/{issue}/preview.html?dark=1").get_data(as_text=True)
    assert "prefers-color-scheme: dark" not in dark
    assert "@media all" in dark and "#11181d" in dark


def test_force_dark_only_touches_the_dark_media_query():
    phone = "@media only screen and (max-width: 480px) {}"
    html = f"{phone} @media (prefers-color-scheme:dark) {{}}"
    assert force_dark(html) == f"{phone} @media all {{}}"


def test_the_check_report_is_shown(tab, issue):
    body = tab.get(f"/issues/{issue}/check").get_data(as_text=True)
    assert "All checks pass" in body and "unsubscribe" in body


@pytest.mark.parametrize(
    ("fmt", "name", "mime"),
    [
        ("html", "2020-10-index.html", "text/html"),
        ("txt", "2020-10-index.txt", "text/plain"),
        ("eml", "2020-10-message.eml", "message/rfc822"),
        ("zip", "2020-10.zip", "application/zip"),
    ],
)
def test_downloads_are_the_bundle_files(tab, workspace, issue, fmt, name, mime):
    response = tab.get(f"/issues/{issue}/download/{fmt}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(mime)
    assert f'filename="{name}"' in response.headers["Content-Disposition"]
    files = built(workspace).files()
    if fmt == "zip":
        with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
            assert archive.read("2020-10/index.html") == files["index.html"]
    else:
        expected = {"html": "index.html", "txt": "index.txt", "eml": "message.eml"}
        assert response.data == files[expected[fmt]]


def test_an_empty_issue_is_not_downloaded_unless_forced(tab, workspace):
    with workspace.transaction() as session:
        make_issue(session, month="2021-01")
    refused = tab.get("/issues/2021-01/download/html")
    assert refused.status_code == 409
    assert "has no items" in refused.get_data(as_text=True)
    assert tab.get("/issues/2021-01/download/html?force=1").status_code == 200


def test_an_unknown_download_format_is_a_404(tab, issue):
    assert tab.get(f"/issues/{issue}/download/pdf").status_code == 404


def test_build_writes_the_bundle(tab, workspace, issue):
    response = tab.post(f"/issues/{issue}/build", {"zip": "1"})
    assert response.status_code == 200
    folder = workspace.issues_dir / issue
    assert (folder / "index.html").read_bytes() == built(workspace).files()[
        "index.html"
    ]
    assert (workspace.issues_dir / f"{issue}.zip").is_file()
    assert "Built 5 items" in response.get_data(as_text=True)


def test_build_refuses_failing_checks_and_writes_nothing(tab, workspace, issue):
    (workspace.root / "enews.toml").write_text(
        'unsubscribe_url = "https://coop.example/bye"\n'
        'base_url = "https://coop.example"\n',
        encoding="utf-8",
    )
    override = workspace.root / "templates" / "partials" / "footer.mjml.j2"
    override.parent.mkdir(parents=True, exist_ok=True)
    # A footer without the unsubscribe link fails the check.
    override.write_text(
        "<mj-section><mj-column><mj-text>Bye</mj-text></mj-column></mj-section>"
    )
    response = tab.post(f"/issues/{issue}/build", {})
    assert response.status_code == 409
    assert "unsubscribe" in response.get_data(as_text=True)
    assert not (workspace.issues_dir / issue).exists()
    forced = tab.post(f"/issues/{issue}/build", {"force": "1"})
    assert forced.status_code == 200
    assert (workspace.issues_dir / issue / "index.html").is_file()


def test_a_broken_template_shows_in_the_preview_as_a_4xx(tab, workspace, issue):
    override = workspace.root / "templates" / "partials" / "footer.mjml.j2"
    override.parent.mkdir(parents=True, exist_ok=True)
    override.write_text("{% if %}")
    response = tab.get(f"/issues/{issue}/preview.html")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "footer.mjml.j2" in body and "could not be built" in body
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert tab.get(f"/issues/{issue}/check").status_code == 422


# --- live reload ----------------------------------------------------------------


def test_live_reload_stamp_changes_with_templates_and_enews_toml(tab, workspace, issue):
    stamp = tab.get("/_reload").get_json()["stamp"]
    assert tab.get(f"/_reload?since=x{stamp}").get_json()["stamp"] == stamp
    config = workspace.root / "enews.toml"
    config.write_text('name = "Renamed News"\n', encoding="utf-8")
    after_config = tab.get(f"/_reload?since={stamp}").get_json()["stamp"]
    assert after_config != stamp
    preview = tab.get(f"/issues/{issue}/preview.html").get_data(as_text=True)
    assert "Renamed News" in preview  # settings read again
    override = workspace.root / "templates" / "partials" / "footer.mjml.j2"
    override.parent.mkdir(parents=True, exist_ok=True)
    override.write_text(
        (PACKAGED_TEMPLATES / "partials" / "footer.mjml.j2").read_text() + "\n"
    )
    assert tab.get(f"/_reload?since={after_config}").get_json()["stamp"] != after_config


def test_a_broken_enews_toml_is_shown_not_a_500(tab, workspace, issue):
    (workspace.root / "enews.toml").write_text("name = [unclosed\n", encoding="utf-8")
    response = tab.get(f"/issues/{issue}/preview.html")
    assert response.status_code == 422
    assert "enews.toml" in response.get_data(as_text=True)
    assert tab.get(f"/issues/{issue}").status_code == 422


# --- the command ------------------------------------------------------------------


def test_enews_serve_listens_on_loopback_and_serves_the_workspace(workspace):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "enews",
            "-w",
            str(workspace.root),
            "serve",
            "--port",
            "0",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stderr.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert found, line
        import urllib.request

        deadline = time.monotonic() + 10
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{found[1]}/issues") as r:
                    assert r.status == 200
                    assert "New issue from a month" in r.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stderr.close()


def test_enews_serve_on_a_missing_workspace_is_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "enews", "-w", str(tmp_path / "none"), "serve"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "does not exist" in result.stderr
