"""The web workspace and the inputs of issue 14: never an HTTP 500.

Each case is a request a user (or a stray link) can make with a value the
library refuses: an upload that makes the import fail, a huge id, a month at
or beyond the edges, an unparsable link. Every one must be a 4xx page that
says what is wrong, and must leave the database as it was.
"""

from __future__ import annotations

import io

import pytest

# Fixtures, found by pytest under these names (``as``: a deliberate re-export).
from tests.helpers_web import app as app
from tests.helpers_web import count_items
from tests.helpers_web import issue as issue
from tests.helpers_web import tab as tab

HUGE = str(2**64)
DEEP = b"[" * 100_000 + b"]" * 100_000
FEED_HEAD = b"<rss version='2.0'><channel><title>t</title>"

UPLOADS = {  # file name, bytes: the issue's import cases, as uploads
    "json-deep": ("items.json", DEEP),
    "json-5000-digits": ("items.json", b'[{"title": ' + b"9" * 5000 + b"}]"),
    "json-lone-surrogate": ("items.json", b'[{"title": "\\ud800"}]'),
    "json-nan-title": ("items.json", b'[{"title": NaN, "date": "2020-10-01"}]'),
    "json-true-title": ("items.json", b'[{"title": true, "date": "2020-10-01"}]'),
    "json-huge-float": ("items.json", b'[{"title": 1e999999, "date": "2020-10-01"}]'),
    "json-duplicate-key": (
        "items.json",
        b'[{"kind": "News", "title": "a", "title": "b", "date": "2020-10-01"}]',
    ),
    "csv-nul": ("items.csv", b"kind,title,date\nNews,a\0b,2020-10-01\n"),
    "csv-bad-ipv6-link": (
        "items.csv",
        b"kind,title,date,url\nNews,a,2020-10-01,https://[::1/\n",
    ),
    "csv-year-9999": ("items.csv", b"kind,title,date\nNews,a,9999-12-31\n"),
    "csv-control-char": ("items.csv", b"kind,title,date\nNews,a\x01b,2020-10-01\n"),
    "feed-foreign-root": ("feed.xml", b"<x:rss xmlns:x='urn:x'><channel/></x:rss>"),
    "feed-entity-control": (
        "feed.xml",
        FEED_HEAD + b"<item><title>a&#1;b</title><link>https://e.example/a</link>"
        b"<category>News</category></item></channel></rss>",
    ),
    "listing-year-0": ("paste.txt", b"1. News\nA title\n0000-01-01\n"),
}


def upload(tab, name: str, data: bytes):
    tab.get("/import")
    return tab.client.post(
        "/import",
        data={"file": (io.BytesIO(data), name), "kind": "News"},
        headers={"X-CSRFToken": tab.token},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize("case", sorted(UPLOADS))
def test_an_upload_the_import_refuses_is_a_4xx_and_imports_nothing(
    tab, workspace, case
):
    name, data = UPLOADS[case]
    response = upload(tab, name, data)
    body = response.get_data(as_text=True)
    assert 400 <= response.status_code < 500, (response.status_code, body[-500:])
    assert "Traceback" not in body
    assert name in body  # the message names the source (and its line)
    assert count_items(workspace) == 0


@pytest.mark.parametrize(
    "url",
    [
        f"/items/{HUGE}/edit",
        f"/items?after={HUGE}",
        "/items?month=9999-12",
        "/items?month=0000-01",
        "/items?month=2020-13",
        "/issues/9999-12",
        "/issues/0000-01",
        f"/issues/9999-12/preview.html?x={HUGE}",
        "/issues/2020-10%0d%0aX-Injected:%201/check",
        "/signin?next=%0d%0aSet-Cookie:%20x=1",
    ],
)
def test_a_bad_address_is_a_4xx_or_a_safe_page(tab, issue, url):
    response = tab.get(url)
    assert response.status_code < 500, (url, response.status_code)
    assert "X-Injected" not in response.headers
    assert "x=1" not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize(
    ("path", "form"),
    [
        (f"/items/{HUGE}/edit", {"title": "x"}),
        (f"/items/{HUGE}/delete", {}),
        (f"/issues/2020-10/entries/{HUGE}", {"action": "feature"}),
        (f"/issues/2020-10/include/{HUGE}", {}),
        ("/issues", {"month": "9999-12"}),
        ("/issues", {"month": "0000-01"}),
        ("/issues/9999-12/fields", {"title": "x"}),
    ],
)
def test_a_bad_post_is_a_4xx_and_changes_nothing(tab, workspace, issue, path, form):
    before = count_items(workspace)
    response = tab.post(path, form)
    assert 400 <= response.status_code < 500, (path, response.status_code)
    assert count_items(workspace) == before


@pytest.mark.parametrize(
    "link",
    ["https://[::1/", 'https://e.example/"x', "https://e.example:99999/", "https:///x"],
)
def test_the_item_form_refuses_an_unusable_link_beside_its_field(tab, workspace, link):
    tab.get("/items/new")
    response = tab.post(
        "/items/new",
        {"kind": "News", "title": "A", "date": "2020-10-01", "url": link},
    )
    assert response.status_code == 422, response.status_code
    assert "is not an absolute http(s) link" in response.get_data(as_text=True)
    assert count_items(workspace) == 0
