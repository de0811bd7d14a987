"""A pasted link made into an item (enews.collect.unfurl): saved pages of
several shapes read as they are, then served by a real HTTP server on
127.0.0.1 (`enews item add --from-url`: test_unfurl_cli.py)."""

from __future__ import annotations

import datetime as dt
import socket
import time

import pytest

from enews.collect.records import FIELDS, SourceError
from enews.collect.unfurl import Unfurled, unfurl, unfurl_html
from enews.collect.unfurl_fields import fill_in, form_values
from enews.errors import ValidationError
from tests.helpers_unfurl import HTML, PAGES, SITE, Site

# Fixtures, found by pytest under these names (``as``: a deliberate re-export).
from tests.helpers_unfurl import site as site


def page(name: str, path: str = "/stories/") -> Unfurled:
    """A saved page read as if served at SITE + path + name."""
    return unfurl_html((PAGES / name).read_bytes(), f"{SITE}{path}{name}", HTML)


def test_open_graph_only():
    found = page("og.html")
    assert found.title == "Members vote for 24 new homes at Mill Lane"  # not <title>
    # An attribute's line break means nothing; &amp; is the page's "&".
    assert found.summary == (
        "The co-operative approved the second phase: "
        "solar roofs, shared gardens & a community room."
    )
    assert found.image_url == "https://cdn.riverside.example/media/mill-lane.jpg"
    assert found.image_alt == "Drawing of the Mill Lane terraces"
    # The publisher's own day, not the UTC one (2020-11-28 04:30 UTC).
    assert found.date == dt.date(2020, 11, 27)
    assert found.url == f"{SITE}/news/mill-lane"  # og:url, on the same site
    assert found.page_url == f"{SITE}/stories/og.html"
    assert found.kind is None  # og:type "article" alone says neither News nor Article
    assert found.notes == ()


def test_twitter_cards_only():
    found = page("twitter.html")
    assert found.title == "ILO COOP 100: an interview with Lucía Ramírez"
    assert found.summary == (
        "\u201cCo-operatives outlasted every crisis of the century,\u201d she says."
    )
    assert found.image_url == "https://img.coop.example/lucia.jpg"
    assert found.image_alt == "Lucía Ramírez in her office in Bogotá"
    # No date in the metadata: the article's <time datetime>, not the sidebar's.
    assert found.date == dt.date(2020, 10, 29)
    assert found.url == found.page_url == f"{SITE}/stories/twitter.html"


def test_json_ld_news_article_with_an_image_object():
    found = page("jsonld.html")
    assert found.kind == "News"
    assert found.title == "A regional forum opens in Nairobi"  # not "Forum | News"
    # The description's markup is sanitized away: a summary from a page is text.
    assert found.summary == "Two days, 300 delegates & one question."
    assert found.image_url == f"{SITE}/media/forum/hall.jpg"  # made absolute
    assert found.image_alt == "Delegates in the main hall"  # the caption
    assert found.date == dt.date(2020, 10, 29)  # datePublished, not dateModified
    assert found.notes == ()  # the broken script before it hid nothing


def test_microdata_blog_posting():
    found = page("microdata.html")
    assert found.kind == "Article"
    assert found.title == "What we learnt from the community garden"
    assert found.summary == (
        "Three summers, forty households and one very stubborn pumpkin."
    )
    assert found.image_url == f"{SITE}/stories/images/garden.jpg"
    assert found.image_alt is None  # microdata gives the image's URL only
    assert found.date == dt.date(2020, 9, 14)


def test_meta_description_only():
    found = page("description.html")
    assert found.title == "Annual report 2020"  # <title>, its white space folded
    assert found.summary == (
        "Our members, our money and our plans for 2021, in twelve pages."
    )
    assert (found.image_url, found.date, found.kind) == (None, None, None)
    assert found.url == found.page_url


def test_relative_og_image_and_an_og_url_on_another_site():
    found = page("relative-og.html", "/stories/summer/")
    assert found.image_url == f"{SITE}/stories/media/cover.png"
    # og:url points at another site (a copy): the link stays the page's.
    assert found.url == f"{SITE}/stories/summer/relative-og.html"
    assert found.date == dt.date(2020, 8, 3)


def test_canonical_link_wins_over_the_page_address():
    found = page("canonical.html", "/print/")
    assert found.url == f"{SITE}/stories/forum-opens"  # rel="Canonical", any case
    assert found.image_url == f"{SITE}/print/img/forum.jpg"
    assert found.date == dt.date(2020, 10, 30)


def test_canonical_on_another_site_is_not_the_link():
    html = b'<link rel="canonical" href="https://elsewhere.example/x"><title>T</title>'
    assert unfurl_html(html, f"{SITE}/a", HTML).url == f"{SITE}/a"
    www = b'<link rel="canonical" href="https://www.news.example/a"><title>T</title>'
    assert unfurl_html(www, f"{SITE}/a?utm=1", HTML).url == "https://www.news.example/a"


def test_values_that_break_the_rules_are_left_out_with_a_note():
    html = (
        '<html><head><meta property="og:title" content="' + "Long " * 70 + '">'
        '<meta name="twitter:title" content="Short \x07 bell">'
        "<title>The title that passes</title>"
        '<meta property="og:description" content="A \x01 b">'
        '<meta property="og:image" content="javascript:alert(1)">'
        '<meta property="article:published_time" content="0999-01-01">'
        "</head></html>"
    ).encode()
    found = unfurl_html(html, f"{SITE}/x", HTML)
    # Too long, then a control character: the next value that passes.
    assert found.title == "The title that passes"
    assert (found.summary, found.image_url, found.date) == (None, None, None)
    assert found.notes == (
        "image: left out 'javascript:alert(1)', not an http(s) link",
        "summary: left out what the page gives, which holds a control "
        "character, U+0001, at character 3",
        "date: left out what the page gives, which is '0999-01-01', "
        "not a date enews takes",
    )


def test_markup_in_a_description_never_reaches_the_email():
    html = (
        b'<meta property="og:description" content="&lt;script&gt;x()&lt;/script&gt;'
        b"&lt;p onclick=&quot;y()&quot;&gt;Read &lt;a href=&quot;javascript:z()&quot;"
        b'&gt;this&lt;/a&gt;&lt;/p&gt;"><title>T</title>'
    )
    assert unfurl_html(html, f"{SITE}/x", HTML).summary == "Read this"


CAFE = "Café “quoted”"
CP, U8 = CAFE.encode("cp1252"), CAFE.encode()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<title>" + CP, "text/html; charset=windows-1252"),
        (b'<meta charset="windows-1252"><title>' + CP, None),
        (b'<meta charset="utf-8"><title>' + CP, "text/html; charset=cp1252"),  # wins
        (b"\xef\xbb\xbf<title>" + U8, "text/html"),
        (b"<title>" + U8, "text/html; charset=no-such"),
    ],
)
def test_encodings(body: bytes, content_type: str | None):
    assert unfurl_html(body, f"{SITE}/x", content_type).title == CAFE


@pytest.mark.parametrize(
    ("body", "content_type", "problem"),
    [
        (b"\x89PNG\r\n", "image/png", "is not a web page but image/png"),
        (b"%PDF-1.4", "application/pdf", "is not a web page but application/pdf"),
        (b"  \n", HTML, "the page is empty"),
        (b"<!-- nothing -->", None, "the page cannot be read as HTML"),
    ],
)
def test_what_is_not_a_page(body: bytes, content_type: str | None, problem: str):
    with pytest.raises(SourceError) as caught:
        unfurl_html(body, f"{SITE}/x", content_type)
    assert str(caught.value) == f"{SITE}/x: {problem}"


GIVEN_NOTHING = dict.fromkeys(FIELDS)  # the `item add` options, none given


def test_fill_in_the_page_fills_what_is_not_given():
    values, warnings = fill_in(page("jsonld.html"), GIVEN_NOTHING)
    assert values == {
        "kind": "News",
        "title": "A regional forum opens in Nairobi",
        "date": "2020-10-29",
        "url": f"{SITE}/stories/jsonld.html",
        "summary": "Two days, 300 delegates & one question.",
        "summary_format": "text",  # never guessed as Markdown or HTML
        "image": f"{SITE}/media/forum/hall.jpg",
        "image_alt": "Delegates in the main hall",
        "source": f"{SITE}/stories/jsonld.html",
    }
    assert warnings == []


def test_fill_in_what_is_given_wins_even_empty():
    given = GIVEN_NOTHING | {
        "kind": "Interview",
        "title": "My title",
        "date": "1 December 2020",
        "summary": "My *own* words",
        "image": "",  # cleared: no image
    }
    values, _ = fill_in(page("jsonld.html"), given)
    assert all(values[k] == v for k, v in given.items() if v is not None)
    assert "summary_format" not in values  # the user's summary: guessed as usual
    assert values["image_alt"] == "Delegates in the main hall"


def test_fill_in_an_image_without_alt_takes_the_title_and_says_so():
    values, warnings = fill_in(page("microdata.html"), GIVEN_NOTHING)
    assert values["image_alt"] == "What we learnt from the community garden"
    assert warnings == [
        "image_alt: the page gives none, so it is the title (--image-alt)"
    ]
    given = GIVEN_NOTHING | {"image_alt": "Raised beds"}
    assert fill_in(page("microdata.html"), given)[0]["image_alt"] == "Raised beds"


NO_KIND = "no kind (no schema.org NewsArticle or Article)"


@pytest.mark.parametrize(
    ("name", "given", "field_name", "message"),
    [
        (
            "description.html",
            {"kind": "News"},
            "date",
            "no publication date: pass --date",
        ),
        ("og.html", {}, "kind", f"{NO_KIND}: pass --kind"),
        (
            "description.html",
            {},
            "date",
            f"no publication date, {NO_KIND}: pass --date --kind",
        ),
    ],
)
def test_fill_in_names_what_the_page_lacks(name, given, field_name, message):
    with pytest.raises(ValidationError) as caught:
        fill_in(page(name), GIVEN_NOTHING | given)
    assert caught.value.field == field_name
    assert caught.value.problem == f"{SITE}/stories/{name} gives {message}"


def test_form_values_fill_the_web_form():
    assert form_values(page("microdata.html")) == {
        "kind": "Article",
        "title": "What we learnt from the community garden",
        "date": "2020-09-14",
        "url": f"{SITE}/stories/microdata.html",
        "summary": "Three summers, forty households and one very stubborn pumpkin.",
        "image_url": f"{SITE}/stories/images/garden.jpg",
        "image_alt": "",  # for the editor to write: the form asks for it
    }


def test_unfurl_a_served_page(site: Site):
    found = unfurl(f"  {site.origin}/stories/og.html\n")  # as pasted
    assert found.title == "Members vote for 24 new homes at Mill Lane"
    assert found.url == f"{site.origin}/news/mill-lane"
    assert found.page_url == f"{site.origin}/stories/og.html"


def test_a_redirect_then_a_canonical_link(site: Site):
    site.redirects["/old/link"] = "/moved/canonical.html"
    found = unfurl(f"{site.origin}/old/link")
    assert found.title == "The forum opens its doors"
    assert found.url == f"{site.origin}/stories/forum-opens"


def test_after_a_redirect_relative_images_are_made_absolute_on_the_final_url(
    site: Site,
):
    site.redirects["/old/link"] = "/moved/canonical.html"
    found = unfurl(f"{site.origin}/old/link")
    assert found.page_url == f"{site.origin}/moved/canonical.html"
    assert found.image_url == f"{site.origin}/moved/img/forum.jpg"


@pytest.mark.parametrize(
    "link",
    [
        "tests/data/unfurl/og.html",  # open_source would open a local file
        "/etc/passwd",
        "file:///etc/passwd",
        "ftp://news.example/x.html",
        "javascript:alert(1)",
        "news.example/x.html",
        "",
    ],
)
def test_only_web_links_are_unfurled(link: str):
    with pytest.raises(ValidationError) as caught:
        unfurl(link)
    assert caught.value.field == "from_url"
    assert "is not an absolute http(s) link" in caught.value.problem


@pytest.mark.parametrize(
    ("served", "problem"),
    [
        (
            (HTML, b"<title>Big</title>" + b" " * 20_000),
            "the download is larger than the 9.77 KiB limit",
        ),
        (("image/jpeg", b"\xff\xd8\xff\xe0"), "is not a web page but image/jpeg"),
    ],
)
def test_what_is_served_that_is_refused(site: Site, served, problem):
    site.pages["/x"] = served
    with pytest.raises(SourceError) as caught:
        unfurl(f"{site.origin}/x", max_bytes=10_000)
    assert str(caught.value) == f"{site.origin}/x: {problem}"


def test_a_server_that_trickles_meets_the_deadline(site: Site):
    site.trickle.add("/slow")
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"no complete answer within 0\.5 s"):
        unfurl(f"{site.origin}/slow", deadline=0.5)
    assert time.monotonic() - started < 2


def test_an_unreachable_site():
    with socket.socket() as free:  # a port nobody listens on
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    with pytest.raises(SourceError, match="could not connect: connection refused"):
        unfurl(f"http://127.0.0.1:{port}/news")
