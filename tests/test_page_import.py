"""`enews import` of a news web page: by URL from a local HTTP server, and
as a saved file; pages of several shapes in tests/data/pages, each with
navigation, header, footer, pager and share links around the news."""

from __future__ import annotations

import io
import time

import pytest

from enews.collect import detect_format
from enews.collect.fetch import open_source
from enews.collect.records import SourceError
from tests.helpers_page import (
    PAGES,
    RDFA_PAGE,
    SEED,
    SEED_ITEMS,
    SHAPES,
    items,
    ok,
    seen,
)
from tests.helpers_page import enews as enews
from tests.helpers_page import server as server
from tests.helpers_web import app as app
from tests.helpers_web import count_items
from tests.helpers_web import tab as tab


def test_the_seed_page_by_url_then_again_changes_nothing(enews, server):
    out = ok(enews("import", f"{server}/news"))
    assert out.strip().endswith("4 added, 0 updated, 0 unchanged, 0 invalid")
    stored = items(enews)
    assert seen(stored) == [(k, t, d, server + u, s) for k, t, d, u, s in SEED_ITEMS]
    assert stored[0]["summary"].startswith("The ILO's Cooperatives Unit celebrates")
    assert all(i["source"] == f"{server}/news" for i in stored)
    again = ok(enews("import", f"{server}/news"))
    assert again.strip().endswith("0 added, 0 updated, 4 unchanged, 0 invalid")
    assert items(enews) == stored


def test_the_saved_seed_page_with_base_url_is_the_same_items(enews):
    base = "https://www.ilo.example/global/topics/cooperatives/news"
    page = str(PAGES / SEED)
    ok(enews("import", page, "--base-url", base, "--format", "html"))
    expected = [
        (k, t, d, "https://www.ilo.example" + u, s) for k, t, d, u, s in SEED_ITEMS
    ]
    assert seen(items(enews)) == expected
    again = ok(enews("import", page, "--base-url", base))
    assert again.strip().endswith("0 added, 0 updated, 4 unchanged, 0 invalid")


def test_a_saved_page_with_relative_links_needs_base_url(enews):
    result = enews("import", str(PAGES / SEED))
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "the page has relative links" in result.stderr
    assert "(--base-url URL" in result.stderr
    assert items(enews) == []


@pytest.mark.sqlite_only
def test_a_bad_base_url_is_one_line(enews):
    result = enews("import", str(PAGES / SEED), "--base-url", "www.ilo.example/news")
    assert result.exit_code == 1
    assert result.stderr.strip().endswith(
        "--base-url: 'www.ilo.example/news' is not an absolute http(s) address"
    )
    assert result.stderr.count("\n") == 1


# -- other shapes ----------------------------------------------------------------


@pytest.mark.sqlite_only
@pytest.mark.parametrize("name", sorted(SHAPES))
def test_each_shape_by_url_finds_the_news_and_nothing_else(enews, server, name):
    url = f"{server}/pages/{name}"
    ok(enews("import", url, "--kind", "News"))
    found = [(i["title"], i["date"], i["url"]) for i in items(enews)]
    assert found == [(t, d, u.format(server=server)) for t, d, u in SHAPES[name]]
    again = ok(enews("import", url, "--kind", "News"))
    assert again.strip().endswith(
        f"0 added, 0 updated, {len(found)} unchanged, 0 invalid"
    )


@pytest.mark.sqlite_only
def test_kinds_teasers_and_images_from_the_blocks(enews, server):
    ok(enews("import", f"{server}/pages/cards.html"))
    cards = items(enews)
    assert [i["kind"] for i in cards] == ["Article", "News", "Interview"]
    assert cards[0]["summary"].startswith("Cooperatives in Peru and Bolivia")
    assert cards[0]["image"] == f"{server}/media/cards/coffee-harvest.jpg"
    assert cards[0]["image_alt"] == "Coffee pickers at work on a hillside"
    # a lazy image (data-src) with an empty alt: the title is its alt
    assert cards[1]["image"] == f"{server}/media/cards/cocoa.jpg"
    assert cards[1]["image_alt"] == "Cocoa premium raised by ten per cent"
    assert cards[2]["image"] is None
    ok(enews("import", f"{server}/pages/table.html"))
    kinds = [i["kind"] for i in items(enews)[3:]]
    assert kinds == ["Press release", "Announcement", "Press release",
                     "Press release", "Announcement"]  # fmt: skip
    ok(enews("import", f"{server}/pages/wordpress.html"))
    posts = items(enews)[8:]
    # "Posted in <a rel=category>": the link; the screen reader's text is no part
    assert [i["kind"] for i in posts] == ["News", "Events", "News"]
    assert posts[0]["summary"].startswith("Members facing high heating bills")
    assert posts[0]["image_alt"] == "Volunteers packing food parcels"
    ok(enews("import", f"{server}/pages/drupal-views.html"))
    rows = items(enews)[11:]
    assert [i["kind"] for i in rows] == ["Press release", "Blog", "Press release"]
    assert rows[1]["summary"].startswith("The number of community-owned wind")


@pytest.mark.sqlite_only
def test_structured_data_wins_and_the_blocks_fill_it_in(enews, server):
    ok(enews("import", f"{server}/pages/jsonld.html"))
    blog, committee, resolution, spanish = items(enews)
    assert spanish["kind"] == "News"  # a block the ItemList leaves out
    assert blog["kind"] == "Blog"  # articleSection, the first of two
    assert blog["summary"] == (  # the tags and entities some sites leave in
        "Local authorities & public bodies can buy from social enterprises "
        "without breaking competition law."
    )
    assert blog["image"] == "https://ess-forum.example/img/procurement.jpg"
    assert blog["image_alt"] == blog["title"]
    assert committee["image"] == f"{server}/img/committee.jpg"
    assert committee["image_alt"] == "The nine new committee members on a video call"
    assert committee["summary"] == (
        "Nine members from four continents will lead the forum until 2023."
    )
    # The ItemList names only its link: the page's block gives the rest.
    assert (resolution["kind"], resolution["date"]) == ("Statement", "2020-11-09")
    assert resolution["summary"].startswith("The resolution is a first step")
    assert resolution["image"] == f"{server}/img/resolution.jpg"
    assert resolution["image_alt"] == "The General Assembly hall"


def test_a_page_without_news_is_one_line_and_imports_nothing(enews, server):
    result = enews("import", f"{server}/pages/no-news.html")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {server}/pages/no-news.html: no news blocks found (looked for "
        "JSON-LD, microdata or RDFa articles or an ItemList, and for repeated "
        "blocks each with a linked title)\n"
    )
    assert items(enews) == []


@pytest.mark.sqlite_only
def test_a_block_without_a_date_is_an_invalid_record(enews, tmp_path):
    page = (PAGES / SEED).read_text(encoding="utf-8")
    page = page.replace("<p>20 November 2020</p>", "")
    saved = tmp_path / "news.html"
    saved.write_text(page, encoding="utf-8")
    result = enews("import", str(saved), "--base-url", "https://www.ilo.example/")
    assert result.exit_code == 1
    assert f"{saved}:block 2: date: is required" in result.stderr.splitlines()
    assert items(enews) == []
    skipped = enews(
        "import", str(saved), "--base-url", "https://www.ilo.example/", "--skip-invalid"
    )
    assert len(items(enews)) == 3, skipped.output


@pytest.mark.sqlite_only
def test_saved_pages_read_their_base_href_or_canonical_link(enews):
    ok(enews("import", str(PAGES / "list.html"), "--kind", "News"))
    ok(enews("import", str(PAGES / "time.html"), "--kind", "News"))
    urls = [i["url"] for i in items(enews)]
    assert urls[0] == "https://riverside-housing.example/news/mill-lane-phase-two.html"
    assert urls[4] == "https://college.example/blog/2020/11/teaching-democracy"


@pytest.mark.sqlite_only
def test_blocks_without_kind_labels_say_to_use_kind(enews):
    result = enews("import", str(PAGES / "time.html"))
    assert result.exit_code == 1
    assert "the news blocks have no kind label; give one with --kind" in result.stderr
    assert ":block 1: kind: is required" in result.stderr


# -- what the download already guards ---------------------------------------------


@pytest.mark.sqlite_only
def test_a_redirect_is_followed_but_not_to_another_scheme(enews, server):
    ok(enews("import", f"{server}/moved"))
    assert len(items(enews)) == 4
    result = enews("import", f"{server}/to-ftp")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {server}/to-ftp: redirected to a non-HTTP address "
        "ftp://127.0.0.1/news.html\n"
    )


def test_a_trickling_server_meets_the_overall_deadline(server):
    started = time.monotonic()
    with pytest.raises(SourceError) as caught:
        open_source(f"{server}/trickle", timeout=5, deadline=0.5)
    assert str(caught.value) == f"{server}/trickle: no complete answer within 0.5 s"
    assert time.monotonic() - started < 2


@pytest.mark.sqlite_only
def test_a_page_over_the_size_cap_is_refused(enews, tmp_path):
    from enews.collect.page import MAX_PAGE_BYTES

    saved = tmp_path / "huge.html"
    with saved.open("wb") as out:
        out.write((PAGES / SEED).read_bytes())
        out.write(b"<!-- " + b"x" * MAX_PAGE_BYTES + b" -->")
    result = enews("import", str(saved), "--base-url", "https://www.ilo.example/")
    assert result.exit_code == 1
    assert result.stderr.strip().endswith("the page is larger than the 16 MiB limit")


# -- telling a page from a feed ----------------------------------------------------


@pytest.mark.parametrize(
    ("head", "name", "content_type", "expected"),
    [
        (b"<!DOCTYPE html><html><body>", "x", None, "html"),
        (b"\xef\xbb\xbf\n  <html lang='en'>", "x", None, "html"),
        (b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0',
         "x", None, "html"),
        (b'<html xmlns="http://www.w3.org/1999/xhtml">', "x", None, "html"),
        (b"<!-- saved --><div class='news'>", "x", "text/html; charset=utf-8", "html"),
        (b"<div class='news'>", "news.htm", None, "html"),
        (b"<head><meta charset='utf-8'><title>News</title>", "news", None, "html"),
        (b"<atom:feed xmlns:atom='http://www.w3.org/2005/Atom'>", "x", None, "feed"),
        (b'<?xml version="1.0"?><rss version="2.0">', "x", "text/html", "feed"),
        (b'<feed xmlns="http://www.w3.org/2005/Atom">', "x.html", None, "feed"),
        (b"<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>",
         "x", None, "feed"),
        (b"<channel>", "x", None, "feed"),  # as before: the feed reader explains
    ],
)  # fmt: skip
def test_detect_format_tells_a_page_from_a_feed(head, name, content_type, expected):
    assert detect_format(head, name=name, content_type=content_type) == expected


def test_a_saved_page_is_detected_from_its_content(tmp_path):
    for name in ("news", "news.xml"):
        saved = tmp_path / name
        saved.write_bytes((PAGES / SEED).read_bytes())
        with open_source(str(saved)) as opened:
            head = opened.stream.read(4096)
        assert detect_format(head, name=name) == "html"


# -- the web workspace's upload calls the same importer ---------------------------


@pytest.mark.sqlite_only
def test_an_uploaded_page_imports_through_the_web(tab, workspace):
    def upload(name: str):
        tab.get("/import")
        form = {"file": (io.BytesIO((PAGES / name).read_bytes()), name), "kind": "News"}
        return tab.client.post(
            "/import", data=form, headers={"X-CSRFToken": tab.token},
            content_type="multipart/form-data",
        )  # fmt: skip

    first = upload("list.html")  # its <base href> makes its links absolute
    assert first.status_code == 200, first.get_data(as_text=True)
    assert "4 added" in first.get_data(as_text=True)
    assert "0 added" in upload("list.html").get_data(as_text=True)
    assert count_items(workspace) == 4
    refused = upload(SEED)  # relative links, and no address to read them against
    assert refused.status_code == 400
    assert "the page has relative links" in refused.get_data(as_text=True)
    assert count_items(workspace) == 4


# -- structured data in RDFa, and encodings -------------------------------------


@pytest.mark.sqlite_only
def test_rdfa_articles_give_the_dates_the_text_lacks(enews, tmp_path):
    saved = tmp_path / "notes.html"
    saved.write_text(RDFA_PAGE, encoding="utf-8")
    ok(enews("import", str(saved), "--kind", "Note"))
    found = [(i["title"], i["date"], i["url"], i["summary"]) for i in items(enews)]
    assert found == [
        ("The first note of the month", "2020-11-02", "https://notes.example/one",
         "What the first note says, in a sentence."),
        ("The second note of the month", "2020-11-01", "https://notes.example/two",
         None),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("meta", "data"),
    [
        ('<meta charset="windows-1252">', "Caf\xe9 opens".encode("cp1252")),
        ('<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">',
         "Caf\xe9 opens".encode("cp1252")),
        ("", "Caf\xe9 opens".encode()),  # undeclared UTF-8
        ("", "Caf\xe9 opens".encode("cp1252")),  # undeclared, not UTF-8
    ],
)  # fmt: skip
def test_a_page_is_decoded_as_declared_or_as_browsers_guess(meta, data):
    from enews.collect.page import read_page

    blocks = b"".join(
        b'<li><a href="https://cafe.example/%d">%s on day %d</a> %d November 2020</li>'
        % (n, data, n, n)
        for n in (1, 2)
    )
    page = f"<html><head>{meta}</head><body><ul>".encode() + blocks + b"</ul>"
    found = list(read_page(io.BytesIO(page), source="cafe.html"))
    assert [r.fields["title"] for r in found] == [
        "Café opens on day 1",
        "Café opens on day 2",
    ]


def test_a_utf16_page_with_a_bom_is_read():
    from enews.collect.page import read_page

    page = "\ufeff<html><body><ul>" + "".join(
        f'<li><a href="https://cafe.example/{n}">Caf\xe9 story {n}</a> '
        f"{n} November 2020</li>"
        for n in (1, 2)
    )
    found = list(read_page(io.BytesIO(page.encode("utf-16-le")), source="cafe.html"))
    assert [r.fields["title"] for r in found] == ["Caf\xe9 story 1", "Caf\xe9 story 2"]


@pytest.mark.sqlite_only
def test_broken_json_ld_is_a_warning_and_the_blocks_are_read(enews, tmp_path):
    page = (PAGES / "jsonld.html").read_text(encoding="utf-8")
    saved = tmp_path / "broken.html"
    saved.write_text(page.replace('"itemListElement": [\n', '"itemListElement": [[\n'))
    result = enews("import", str(saved), "--base-url", "https://ess-forum.example/")
    assert result.exit_code == 0, result.output
    warning = f"warning: {saved}: json-ld ignored: Expecting ',' delimiter"
    assert warning in result.stderr
    # the blocks alone: the committee's image was in the JSON-LD only
    assert [i["kind"] for i in items(enews)] == ["Blog", "News", "Statement", "News"]
    assert items(enews)[1]["image"] is None


@pytest.mark.parametrize(
    ("text", "month_first", "expected"),
    [
        ("27 November 2020", False, "2020-11-27"),
        ("Posted on Friday, 27th Nov. 2020 | News", False, "2020-11-27"),
        ("Nov 27, 2020", False, "2020-11-27"),
        ("27/11/2020", False, "2020-11-27"),
        ("11/27/2020", False, "2020-11-27"),  # 27 cannot be the month
        ("11/02/2020", False, "2020-02-11"),  # day first ...
        ("11/02/2020", True, "2020-11-02"),  # ... unless the page is en-US
        ("27.11.2020", True, "2020-11-27"),  # dots: day first everywhere
        ("27-11-2020", False, "2020-11-27"),
        ("2020/11/27", False, "2020-11-27"),
        ("2020-11-27T09:30:00+01:00", False, "2020-11-27"),
        ("Room 12, 2020 and 3 May 2021", False, "2021-05-03"),  # no month "Room"
        ("31 February 2020", False, "31 February 2020"),  # as written: the
        ("31/02/2020", False, "31/02/2020"),  # importer names the bad value
        ("page 2 of 14", False, None),
    ],
)
def test_dates_are_found_in_the_shapes_pages_write(text, month_first, expected):
    from enews.collect.page_dates import find_date

    found = find_date(text, month_first=month_first)
    assert (found[0] if found else None) == expected
