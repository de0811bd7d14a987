"""The workspace's "Paste a link": the new-item form filled from a page
served on 127.0.0.1, shown for editing, saved only by Add item."""

from __future__ import annotations

import re

from lxml import html as lxml_html  # type: ignore[import-untyped]

# Fixtures, found by pytest under these names (``as``: a deliberate re-export).
from tests.helpers_unfurl import site as site
from tests.helpers_web import app as app
from tests.helpers_web import count_items
from tests.helpers_web import tab as tab

HTML = "text/html; charset=utf-8"


def paste(tab, link: str):
    tab.get("/items/new")
    return tab.post("/items/unfurl", {"link": link}, htmx=False)


def field_values(response) -> dict[str, str]:
    doc = lxml_html.fromstring(response.get_data(as_text=True))
    found = {i.get("name"): i.get("value") or "" for i in doc.iter("input")}
    found |= {t.get("name"): t.text_content() for t in doc.iter("textarea")}
    return found


def test_a_pasted_link_fills_the_form_and_saves_nothing(tab, workspace, site):
    link = f"{site.origin}/stories/jsonld.html"
    response = paste(tab, link)
    assert response.status_code == 200
    values = field_values(response)
    assert values["link"] == link
    assert values["kind"] == "News"
    assert values["title"] == "A regional forum opens in Nairobi"
    assert values["date"] == "2020-10-29"
    assert values["image_url"] == f"{site.origin}/media/forum/hall.jpg"
    assert values["summary"] == "Two days, 300 delegates & one question."
    assert "Nothing is saved yet" in response.get_data(as_text=True)
    assert count_items(workspace) == 0
    # Add item with what the page filled in: now it is stored.
    form = {k: values[k] for k in ("kind", "title", "date", "url", "summary")}
    form |= {"image_url": values["image_url"], "image_alt": values["image_alt"]}
    saved = tab.post("/items/new", form, htmx=False)
    assert saved.status_code == 303, saved.get_data(as_text=True)[-800:]
    assert count_items(workspace) == 1


def test_what_the_page_gives_that_is_refused_is_a_note_not_markup(tab, site):
    evil = (
        '<html><head><meta property="og:title" content="Fine title">'
        '<meta property="og:image" content="javascript:alert(1)">'
        '<meta name="description" content="&lt;script&gt;alert(2)&lt;/script&gt;Hi">'
        "</head><body></body></html>"
    )
    site.pages["/evil"] = (HTML, evil.encode())
    response = paste(tab, f"{site.origin}/evil")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script" not in body.split("<main", 1)[1]
    assert not re.search(r'value="javascript:', body)
    assert "left out" in body  # the note says what was dropped, as text
    assert field_values(response)["title"] == "Fine title"


def test_a_link_that_cannot_be_read_is_a_422_beside_the_link_field(
    tab, workspace, site
):
    for link, problem in [
        ("ftp://news.example/x", "is not an absolute http(s) link"),
        (f"{site.origin}/missing.html", "404"),
        ("", "is not an absolute http(s) link"),
    ]:
        response = paste(tab, link)
        assert response.status_code == 422, link
        doc = lxml_html.fromstring(response.get_data(as_text=True))
        error = doc.get_element_by_id("e-link").text_content()
        assert problem in error, (link, error)
    assert count_items(workspace) == 0


def test_the_edit_form_has_no_paste_field(tab, workspace, site):
    paste(tab, f"{site.origin}/stories/og.html")
    with workspace.transaction() as session:
        from tests.factories import make_item

        item = make_item(session)
    page = tab.get(f"/items/{item.id}/edit").get_data(as_text=True)
    assert 'name="link"' not in page
