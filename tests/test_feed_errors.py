"""RSS/Atom feeds that are not quite right: repaired without loss, or refused.

Before feedparser reads a feed, lxml checks that it is well-formed XML
(collect/feed_xml.py), once the slips that lose nothing are repaired:
feedparser's strict parser refuses those too, and its loose parser would
read truly broken XML as well, guessing."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enews.collect import feed_xml
from enews.collect.feed import read_feed
from enews.collect.records import SourceError
from tests.helpers_feed import DATA, MEDIA, records, rss

# -- repaired without loss -----------------------------------------------------


def test_bare_ampersands_and_less_than_signs():
    item = (
        "<item><title>Fish & Chips &amp; rates < 3%</title>"
        "<link>https://c.example/?a=1&b=2</link>"
        "<description><![CDATA[a & b &amp; c < d]]></description></item>"
    )
    assert records(rss(item))[0].fields == {
        "title": "Fish & Chips & rates < 3%",
        "url": "https://c.example/?a=1&b=2",
        "summary": "a & b &amp; c < d",  # CDATA is taken as it is
        "summary_format": "html",
    }


def test_html_entities_and_the_documents_own_entities():
    doc = (
        '<!DOCTYPE rss [<!ENTITY coop "Co-operative">]><rss version="2.0"><channel>'
        "<item><title>&coop; caf&eacute; &mdash; 2&nbsp;%</title></item>"
        "</channel></rss>"
    )
    assert records(doc)[0].fields["title"] == "Co-operative café — 2 %"


def test_windows_1252_bytes_in_a_utf8_feed():
    doc = rss("<item><title>Café “Zoë”</title></item>").encode("cp1252")
    doc += "<!-- Zoë -->".encode()  # real UTF-8 stays UTF-8
    assert records(doc)[0].fields["title"] == "Café “Zoë”"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "windows-1252"])
def test_encodings(encoding):
    doc = rss("<item><title>Zoë Ólafsdóttir</title></item>")
    doc = doc.replace('encoding="utf-8"', f'encoding="{encoding}"')
    assert records(doc.encode(encoding))[0].fields["title"] == "Zoë Ólafsdóttir"


def test_an_empty_feed_has_no_records():
    assert records(rss("")) == []


def test_windows_1252_and_utf8_in_one_title():
    # One bad byte does not make the whole feed windows-1252 (feedparser
    # alone decodes it all as chardet's guess, here MacRoman: mojibake).
    doc = rss("<item><title>Café “Zoë”</title></item>").encode()
    doc = doc.replace("“".encode(), b"\x93")
    assert records(doc)[0].fields["title"] == "Café “Zoë”"


@pytest.mark.parametrize("title", ["Zoe", "Zoë"])
def test_a_declared_utf16_that_is_not(title):
    doc = rss(f"<item><title>{title}</title></item>").replace("utf-8", "UTF-16")
    assert records(doc.encode())[0].fields["title"] == title


# -- what is not a feed ---------------------------------------------------------


def test_malformed_xml():
    with (
        pytest.raises(SourceError) as caught,
        (DATA / "feed-broken.xml").open("rb") as f,
    ):
        list(read_feed(f, source="feed-broken.xml"))
    assert str(caught.value) == (
        "feed-broken.xml:11: not a valid RSS or Atom feed: "
        "Opening and ending tag mismatch: item line 7 and channel"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "feed.xml: the file is empty"),
        (b" \r\n\t\n", "feed.xml: the file is empty"),
        (b"\xef\xbb\xbf\n", "feed.xml: the file is empty"),
        (
            b"<!DOCTYPE html>\n<html><body><p>Sign in<br></p></body></html>",
            "feed.xml:2: not a valid RSS or Atom feed: "
            "Opening and ending tag mismatch: br line 2 and p",
        ),
        (
            b'<?xml version="1.0"?>\n<opml version="2.0"><body/></opml>',
            "feed.xml: not a valid RSS or Atom feed: the document is <opml>, "
            "not RSS or Atom",
        ),
        (
            b'<rss version="2.0"><channel><item><title>cut off',
            "feed.xml:1: not a valid RSS or Atom feed: "
            "Premature end of data in tag title line 1",
        ),
        (
            b'<?xml version="1.0" encoding="klingon-8"?><rss/>',
            "feed.xml:1: unknown character encoding 'klingon-8' in the XML declaration",
        ),
        (
            b'<!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<rss version="2.0"><channel><item><title>&x;</title></item>'
            b"</channel></rss>",
            "feed.xml:1: not a valid RSS or Atom feed: Entity 'x' not defined",
        ),
    ],
)
def test_not_a_feed(data, message):
    with pytest.raises(SourceError) as caught:
        records(data)
    assert str(caught.value) == message


def test_an_error_after_good_entries_still_stops_the_import():
    # feedparser's loose parser would read on, and libxml2 could "recover";
    # both guess, and a guess can silently lose data: the import stops.
    items = "<item><title>one</title></item>\n<item><title x=y>two</title></item>"
    with pytest.raises(SourceError) as caught:
        records(rss(items))
    assert str(caught.value) == (
        "feed.xml:3: not a valid RSS or Atom feed: AttValue: \" or ' expected"
    )


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_source_error(data):
    with contextlib.suppress(SourceError):
        records(data)


_XMLISH = st.text(
    # \ud800 (a lone surrogate) becomes bytes that are not UTF-8
    alphabet=st.sampled_from(list("aé <>&;#x/=\"'![]CDATA-\n\x00\x85\ud800")),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(title=_XMLISH, summary=_XMLISH, date=_XMLISH)
def test_arbitrary_entry_text_raises_only_source_error(title, summary, date):
    item = (
        f"<item><title>{title}</title><description>{summary}</description>"
        f"<pubDate>{date}</pubDate><media:title>{title}</media:title></item>"
    )
    try:
        for record in records(rss(item, MEDIA).encode("utf-8", "surrogatepass")):
            assert all(isinstance(v, str) for v in record.fields.values())
    except SourceError:
        pass


def test_a_feed_over_10_mb_is_read():
    # libxml2 refuses a single buffer of over 10 MB; lxml gets pieces.
    padding = ("\n" * (1 << 20) + "<x/>") * 11
    found = records(rss("<item><title>After 11 MB</title></item>" + padding))
    assert [r.fields for r in found] == [{"title": "After 11 MB"}]


def test_a_feed_over_the_size_limit(monkeypatch):
    # The whole feed is held in memory (feedparser's way): a limit, not a crash.
    limit = 1 << 20
    monkeypatch.setattr(feed_xml, "MAX_FEED_BYTES", limit)
    doc = rss("<item><title>Notice</title></item>").encode()
    padded = doc + b"\n" * (limit - len(doc))
    assert [r.fields for r in records(padded)] == [{"title": "Notice"}]
    with pytest.raises(SourceError) as caught:
        records(padded + b"\n")
    assert str(caught.value) == "feed.xml: the feed is larger than the 1 MiB limit"
