"""Routes of the browser workspace through Flask's test client: security,
items and import by upload (the composer and preview: test_web_issues.py).

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

import pytest
from lxml import html as lxml_html  # type: ignore[import-untyped]
from sqlalchemy import func, select

from enews.store.models import Item
from tests.factories import make_issue, make_item
from tests.helpers_web import (
    DATA,
    Browser,
    count_items,
    item_id,
    order,
    stored,
    version,
)

# Fixtures, found by pytest under these names (``as``: a deliberate re-export).
from tests.helpers_web import app as app
from tests.helpers_web import issue as issue
from tests.helpers_web import tab as tab

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
