"""RSS/Atom feeds -> RawRecords, and opening files and URLs (fetch.py)."""

from __future__ import annotations

import contextlib
import io
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import feedparser
import pytest
from feedparser.datetimes import _parse_date
from feedparser.urls import resolve_relative_uris
from hypothesis import given, settings
from hypothesis import strategies as st

from enews.collect import feed, feed_fast
from enews.collect.feed import read_feed
from enews.collect.fetch import open_source
from enews.collect.records import RawRecord, SourceError

DATA = Path(__file__).parent / "data"
FORUM = "https://forum.northfield-coop.example"
RIVERSIDE = "https://riverside-housing.example"


def records(data: bytes | str, kind: str | None = None) -> list[RawRecord]:
    raw = data.encode() if isinstance(data, str) else data
    return list(read_feed(io.BytesIO(raw), source="feed.xml", kind=kind))


def fields_of(name: str, kind: str | None = None) -> list[dict[str, str]]:
    with (DATA / name).open("rb") as stream:
        found = list(read_feed(stream, source=name, kind=kind))
    assert [r.line for r in found] == list(range(1, len(found) + 1))
    assert all(r.problem == "" for r in found)
    return [r.fields for r in found]


def rss(items: str, namespaces: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"{namespaces}>'
        f"<channel><title>Co-op news</title>{items}</channel></rss>"
    )


MEDIA = ' xmlns:media="http://search.yahoo.com/mrss/"'
DC = ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
CONTENT = ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
ATOM_NS = ' xmlns:atom="http://www.w3.org/2005/Atom"'
YT = ' xmlns:yt="http://www.youtube.com/xml/schemas/2015"'


# -- the formats, field by field ----------------------------------------------


def test_atom():
    assert fields_of("feed-atom.xml") == [
        {
            "title": "Annual Co-op Forum 2024: registration is open",
            "url": f"{FORUM}/news/annual-forum-2024",
            "date": "2024-09-12",
            "summary": (
                "<p>Two days of workshops for worker, housing &amp; credit co-ops "
                "&ndash; 14&ndash;15 November in Northfield Town Hall.</p>\n"
                f'<p><a href="{FORUM}/register" onclick="trackClick(\'register\')">'
                "Register here</a> before 31 October.</p>\n"
                "<script>document.write('<img "
                'src="https://tracker.example/pixel.gif" />\');</script>'
            ),
            "summary_format": "html",
            "kind": "events",
        },
        {
            "title": "Interview: Zoë Ólafsdóttir on member-owned housing",
            "url": f"{FORUM}/news/interview-olafsdottir",
            "date": "2024-09-20",
            "summary": (
                "The chair of Fjörður Housing Co-operative explains how 120 "
                "households bought their block & why rents have not risen since 2019."
            ),
            "summary_format": "text",
            "kind": "interview",
        },
        {
            "title": "Savings and credit co-ops: new deposit rates from October",
            "url": f"{FORUM}/news/deposit-rates",
            "date": "2024-09-28",  # no <published>: <updated>
            "summary": (
                "<p>Members' savings accounts at the three regional credit unions "
                "now earn 2.1&nbsp;%.</p>"
            ),
            "summary_format": "html",
            "kind": "finance",
            "image": f"{FORUM}/media/rates-chart.jpg",
            "image_alt": "Savings and credit co-ops: new deposit rates from October",
        },
        {
            "title": "Photo story: the Harbour Fishers' Co-op at dawn",
            "url": f"{FORUM}/news/harbour-fishers",
            "date": "2024-10-01",
            "summary": "Eleven boats, one co-operative fish market.",
            "summary_format": "text",
            "image": f"{FORUM}/media/harbour-dawn.jpg",
            "image_alt": "Fishing boats moored at the co-op pier at sunrise",
        },
        {
            "title": "Minutes of the September board meeting",
            "url": f"{FORUM}/news/board-minutes-september",
            "date": "2024-10-02",
            "summary": (
                "<p>Approved: the 2025 budget and <strong>two new member "
                "co-ops</strong>.</p>"
            ),
            "summary_format": "html",
            "image": f"{FORUM}/media/board-thumb.png",
            "image_alt": "Minutes of the September board meeting",
        },
    ]


def test_unsafe_html_reaches_the_importer_which_sanitizes_it():
    # feedparser's own sanitizer is off: nh3 in the importer is the one place
    # where HTML is cleaned, for every format alike.
    summary = fields_of("feed-atom.xml")[0]["summary"]
    assert "<script>" in summary
    assert "onclick=" in summary


def test_rss2():
    assert fields_of("feed-rss2.xml") == [
        {
            "title": "Riverside opens 24 new co-operative homes on Mill Lane",
            "url": f"{RIVERSIDE}/news/mill-lane-homes",
            "date": "2024-10-08",
            "summary": (
                "<p>After three years of planning, <strong>24 families</strong> moved "
                "into the Mill Lane homes &ndash; all of them members with an equal "
                "vote.</p>"
            ),
            "summary_format": "html",
            "kind": "Housing",  # the first of two categories
            "image": f"{RIVERSIDE}/media/mill-lane.jpg",  # enclosure before media
            "image_alt": "New terraced homes on Mill Lane with solar roofs",
        },
        {
            "title": "Crédit coopératif : le taux d'épargne passe à 2,5 %",
            "url": f"{RIVERSIDE}/news/taux-epargne",
            "date": "2024-09-30",
            "summary": (
                "<p>Les membres de la caisse d&#8217;épargne coopérative recevront "
                "2,5&nbsp;% à partir du 1<sup>er</sup> octobre.</p>"
            ),
            "summary_format": "html",
            "kind": "Finance",
            "image": f"{RIVERSIDE}/media/taux-graphique.png",  # not the mp3
            "image_alt": "Graphique : taux d'épargne 2020\u20132024",
        },
        {
            "title": "Q&A: Zoë Ólafsdóttir on running a 120-home co-op",
            "url": f"{RIVERSIDE}/news/qa-olafsdottir",
            "date": "2024-09-20",
            "summary": (
                "<p>&ldquo;Everybody is a landlord and nobody is,&rdquo; says Zoë.</p>"
            ),
            "summary_format": "html",
            "kind": "Interview",
            "image": f"{RIVERSIDE}/media/olafsdottir-thumb.jpg",
            "image_alt": "Q&A: Zoë Ólafsdóttir on running a 120-home co-op",
        },
        {
            "title": "Call for volunteers: Harvest Fair & Co-op Market",
            "url": f"{RIVERSIDE}/news/harvest-fair-volunteers",
            # no pubDate: no "date" key, so the importer says "date: is required"
            "summary": (
                "We need 30 volunteers for stalls, the café and the children's "
                "corner. Sign up at the office."
            ),
            "summary_format": "html",
            "kind": "Events",
            "image": f"{RIVERSIDE}/media/harvest-fair.jpg",
            "image_alt": "Harvest Fair poster",
        },
        {
            "title": "Board election results",
            "url": f"{RIVERSIDE}/news/board-election-2024",
            "date": "2024-09-05",
            "summary": "Turnout was 71 %. Welcome to the three new board members!",
            "summary_format": "html",
            # no category: no kind; a video is not an image
        },
    ]


def test_rss1():
    assert fields_of("feed-rss1.xml") == [
        {
            "title": "Annual general meeting on 23 November",
            "url": "https://valley-credit.example/notices/agm-2024",
            "date": "2024-10-04",
            "summary": (
                "Every member has one vote, whatever their savings. "
                "Proxy forms are at the branch."
            ),
            "summary_format": "html",
            "kind": "Governance",  # dc:subject
        },
        {
            "title": "Longer opening hours at the Eastgate branch",
            "url": "https://valley-credit.example/notices/branch-hours",
            "date": "2024-09-27",
            "summary": "From Monday the branch is open until 18:00 on weekdays.",
            "summary_format": "html",
        },
    ]


def test_rss091_in_iso_8859_1_with_html_entities():
    assert fields_of("feed-rss091.xml") == [
        {
            "title": "New sourdough line from our café",  # &eacute;
            "url": "https://hillside-workers.example/bulletin/sourdough",
            "summary": (
                "Baked by the night shift, priced by the members' meeting. "
                "Crème fraîche extra."  # Latin-1 bytes
            ),
            "summary_format": "html",
        },
        {
            "title": "We are hiring: two bakers (membership after 6 months)",
            "url": "https://hillside-workers.example/bulletin/hiring",
            "summary": "Equal pay, equal vote & a share of the surplus.",
            "summary_format": "html",
        },
    ]


@pytest.mark.parametrize(
    "name", ["feed-atom.xml", "feed-rss2.xml", "feed-rss1.xml", "feed-rss091.xml"]
)
def test_same_fields_as_feedparser_on_the_whole_document(name):
    # Chunking must not change what feedparser makes of the entries.
    # (image_alt is ours: feedparser would lose media:description.)
    data = (DATA / name).read_bytes()
    whole = feedparser.parse(io.BytesIO(data), sanitize_html=False).entries
    expected = [feed._fields(entry, None, None) for entry in whole]
    ours = [{k: v for k, v in f.items() if k != "image_alt"} for f in fields_of(name)]
    for fields in expected:
        fields.pop("image_alt", None)
    if name in ("feed-atom.xml", "feed-rss2.xml"):
        # feedparser#53: media:description/media:title overwrite the entry's own
        for theirs, mine in zip(expected, ours, strict=True):
            theirs["title"], theirs["summary"] = mine["title"], mine["summary"]
    assert ours == expected


def test_chunk_and_read_boundaries_change_nothing(monkeypatch):
    expected = {n: fields_of(n) for n in ("feed-atom.xml", "feed-rss2.xml")}
    monkeypatch.setattr(feed, "CHUNK_ENTRIES", 2)
    monkeypatch.setattr(feed, "READ_BYTES", 7)  # splits CDATA markers, "&…;", UTF-8
    for name, fields in expected.items():
        assert fields_of(name) == fields


def test_many_entries_are_numbered_across_chunks(monkeypatch):
    monkeypatch.setattr(feed, "CHUNK_ENTRIES", 3)
    items = "".join(
        f"<item><title>Notice {n}</title><pubDate>Mon, 0{n % 9 + 1} Jan 2024 "
        "10:00:00 GMT</pubDate></item>"
        for n in range(1, 11)
    )
    found = records(rss(items))
    assert [r.line for r in found] == list(range(1, 11))
    assert [r.fields["title"] for r in found] == [f"Notice {n}" for n in range(1, 11)]
    assert found[9].fields["date"] == "2024-01-02"


# -- titles, dates, kinds, images ---------------------------------------------


@pytest.mark.parametrize(
    ("markup", "title"),
    [
        ("Fish &amp; Chips", "Fish & Chips"),
        ("Fish &amp;amp; Chips", "Fish & Chips"),  # escaped twice by the CMS
        ("Caf&amp;eacute; Zo&#235;", "Café Zoë"),
        ("<![CDATA[Co-op <em>news</em> &amp; more]]>", "Co-op news & more"),
        ("a &lt; b", "a < b"),
        ("  Harvest\n   fair  ", "Harvest fair"),
    ],
)
def test_title_is_plain_text(markup, title):
    assert records(rss(f"<item><title>{markup}</title></item>"))[0].fields == {
        "title": title
    }


def test_atom_html_title_loses_tags_and_scripts():
    doc = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry>'
        '<title type="html">&lt;b&gt;AGM&lt;/b&gt; &amp;amp; vote'
        "&lt;script&gt;alert(1)&lt;/script&gt;</title></entry></feed>"
    )
    assert records(doc)[0].fields["title"] == "AGM & vote"


def test_dates():
    items = (
        "<item><title>a</title><pubDate>Tue, 08 Oct 2024 10:00:00 +0100</pubDate>"
        "<atom:updated>2024-12-01T00:00:00Z</atom:updated></item>"  # published wins
        "<item><title>b</title><pubDate>the 32nd of Octember</pubDate></item>"
        "<item><title>c</title></item>"
        # feedparser's dates are UTC: half past midnight in Oslo is the day before
        "<item><title>d</title>"
        "<pubDate>Tue, 05 Mar 2024 00:30:00 +0100</pubDate></item>"
    )
    found = records(rss(items, ' xmlns:atom="http://www.w3.org/2005/Atom"'))
    assert [r.fields.get("date") for r in found] == [
        "2024-10-08",
        "the 32nd of Octember",  # as written, for the importer to report
        None,
        "2024-03-04",
    ]


def test_kind_argument_overrides_categories():
    items = (
        "<item><title>a</title><category>Housing</category></item>"
        "<item><title>b</title></item>"
        "<item><title>c</title><category> </category><category>Events</category></item>"
    )
    assert [r.fields.get("kind") for r in records(rss(items))] == [
        "Housing",
        None,
        "Events",  # the first category that says something
    ]
    assert [r.fields["kind"] for r in records(rss(items), kind="News")] == ["News"] * 3


@pytest.mark.parametrize(
    ("media", "image", "alt"),
    [
        (
            '<enclosure url="/a.jpg" type="image/jpeg"/>'
            '<media:content url="https://x.example/b.jpg" medium="image"/>',
            "https://coop.example/a.jpg",  # the enclosure, made absolute
            "The title",
        ),
        (
            '<enclosure url="https://x.example/talk.mp3" type="audio/mpeg"/>'
            '<media:content url="https://x.example/b.png" type="IMAGE/PNG"/>',
            "https://x.example/b.png",
            "The title",
        ),
        (
            '<media:content url="https://x.example/v.mp4" medium="video"/>'
            '<media:thumbnail url="https://x.example/t.jpg"/>',
            "https://x.example/t.jpg",
            "The title",
        ),
        (
            '<media:content url="https://x.example/b.jpg" medium="image">'
            "<media:title>Title of the photo</media:title>"
            '<media:description type="html">&lt;b&gt;Members&lt;/b&gt; at the AGM'
            "</media:description></media:content>",
            "https://x.example/b.jpg",
            "Members at the AGM",  # description before title
        ),
        (
            '<media:title>Poster</media:title><media:thumbnail url="https://x.example/p.jpg"/>',
            "https://x.example/p.jpg",
            "Poster",
        ),
        ('<media:content url="https://x.example/v.mp4" medium="video"/>', None, None),
    ],
)
def test_image_and_alt(media, image, alt):
    item = (
        f"<item><title>The title</title><description>Text</description>{media}</item>"
    )
    data = rss(item, MEDIA).encode()
    (found,) = read_feed(io.BytesIO(data), source="https://coop.example/feeds/news.xml")
    assert found.fields.get("image") == image
    assert found.fields.get("image_alt") == alt
    assert found.fields["title"] == "The title"  # not the media:title
    assert found.fields["summary"] == "Text"  # not the media:description


def test_media_text_is_the_fallback_for_an_entry_without_its_own():
    item = (
        "<item><media:title>Video: the co-op bakery</media:title>"
        "<media:description>A day on the night shift</media:description>"
        '<media:thumbnail url="https://x.example/t.jpg"/></item>'
    )
    assert records(rss(item, MEDIA))[0].fields == {
        "title": "Video: the co-op bakery",
        "summary": "A day on the night shift",
        "summary_format": "html",  # feedparser takes RSS text as HTML
        "image": "https://x.example/t.jpg",
        "image_alt": "A day on the night shift",
    }


def test_relative_links_resolve_against_the_feed_url_and_xml_base():
    item = (
        '<item><title>t</title><link>/news/x</link><description>&lt;a href="/a"'
        '&gt;a&lt;/a&gt;</description><enclosure url="p.jpg" type="image/jpeg"/></item>'
    )
    (found,) = read_feed(io.BytesIO(rss(item).encode()), source="https://c.example/f/")
    assert found.fields["url"] == "https://c.example/news/x"
    assert found.fields["summary"] == '<a href="https://c.example/a">a</a>'
    assert found.fields["image"] == "https://c.example/f/p.jpg"
    atom = (
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://forum.example/n/">'
        '<entry><title>t</title><link href="item-1"/></entry></feed>'
    )
    assert records(atom)[0].fields["url"] == "https://forum.example/n/item-1"


# -- what feedparser tolerates, repaired without loss ---------------------------


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
            "not <rss> or <feed>",
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
    # libxml2 could "recover", but would silently lose the entries after it.
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


# -- the fast path reads what feedparser reads -----------------------------------


def both_paths(data: bytes, source: str = "feed.xml", kind: str | None = None):
    """read_feed's records and the feedparser-only reference's, or their errors."""

    def run(read):
        try:
            return list(read(io.BytesIO(data), source=source, kind=kind))
        except SourceError as exc:
            return str(exc)

    return run(read_feed), run(feed._read_feed_feedparser)


@pytest.fixture
def fast_results(monkeypatch) -> list[str]:
    """What feed_fast.read_entry did with each entry: "fast" or "feedparser"."""
    seen: list[str] = []
    real = feed_fast.read_entry

    def spy(*args):
        fields = real(*args)
        seen.append("feedparser" if fields is None else "fast")
        return fields

    monkeypatch.setattr(feed_fast, "read_entry", spy)
    return seen


@pytest.mark.parametrize(
    "path", sorted(DATA.glob("feed-*.xml")), ids=lambda path: path.name
)
@pytest.mark.parametrize("source", ["feed.xml", "https://c.example/feeds/news.xml"])
@pytest.mark.parametrize("kind", [None, "News"])
def test_fast_path_agrees_with_feedparser_on_the_test_feeds(path, source, kind):
    mine, reference = both_paths(path.read_bytes(), source, kind)
    assert mine == reference


def test_the_fast_path_reads_the_common_shapes(fast_results):
    for name in ("feed-rss2.xml", "feed-rss1.xml", "feed-rss091.xml", "feed-atom.xml"):
        fields_of(name)
    # All but the Atom entry with <content type="xhtml">, left to feedparser.
    assert fast_results == ["fast"] * 13 + ["feedparser"]


def test_an_entry_the_fast_path_cannot_read_goes_to_feedparser(
    monkeypatch, fast_results
):
    parsed: list[int] = []  # the number of entries in each feedparser.parse
    real_parse = feedparser.parse

    def spy(*args, **kwargs):
        result = real_parse(*args, **kwargs)
        parsed.append(len(result.entries))
        return result

    monkeypatch.setattr(feedparser, "parse", spy)
    items = "".join(
        f"<item><title>{n}</title><pubDate>{date}</pubDate></item>"
        for n, date in enumerate(
            ["Tue, 08 Oct 2024 10:00:00 +0100", "the 32nd of Octember", "2024-10-09"]
        )
    )
    found = records(rss(items))
    assert fast_results == ["fast", "feedparser", "fast"]
    assert parsed == [0, 1]  # the wrapper alone (for the version), then entry 2
    assert [r.fields.get("date") for r in found] == [
        "2024-10-08",
        "the 32nd of Octember",
        "2024-10-09",
    ]
    assert [r.line for r in found] == [1, 2, 3]


@pytest.mark.parametrize(
    "first",
    [
        '<item xml:base="https://a.example/x/"><title>a</title></item>',
        # feedparser reads this one anyway (<source>); its xml:base still leaks
        '<item><source url="s">S</source><title xml:base="https://a.example/x/">a'
        "</title></item>",
    ],
)
def test_feedparser_reads_the_whole_chunk_when_an_xml_base_leaks(first):
    # Without a base URI above it, feedparser keeps an entry's xml:base in
    # force for the entries after it; read alone, entry 2 would differ.
    items = first + "<item><title>b</title><link>rel</link></item>"
    mine, reference = both_paths(rss(items).encode())
    assert mine == reference
    assert mine[1].fields["url"] == "https://a.example/x/rel"


def test_feedparser_reads_the_whole_chunk_for_nested_entries():
    # feedparser makes two entries of one <item>: no way to tell which is whose
    items = "<item><title>a</title></item><item><title>b</title><item>c</item></item>"
    mine, reference = both_paths(rss(items).encode())
    assert mine == reference
    assert len(mine) == 3


@pytest.mark.parametrize(
    "item",
    [
        # several of a kind: which one wins
        "<title>one</title><title>two</title><media:title>m</media:title>",
        "<media:content url='a.jpg'><media:title>deep</media:title></media:content>"
        "<title/><title>late</title>",
        "<description>d</description><content:encoded>&lt;p&gt;c</content:encoded>",
        "<content:encoded>&lt;p&gt;c</content:encoded><description>d</description>",
        "<description>d1</description><description>d2</description>"
        "<content:encoded>c</content:encoded><description>d3</description>",
        "<pubDate>2024-01-01</pubDate><pubDate>Tue, 08 Oct 2024 10:00:00 GMT</pubDate>",
        "<dc:date>2024-01-31T23:30:00-02:00</dc:date><atom:updated>2024-01-01</atom:updated>",
        "<guid>https://g.example/1</guid><link>/l</link>",
        "<guid isPermaLink='false'>x</guid><guid>/g</guid>",
        "<atom:link rel='alternate' href='/a'/><link>/b</link>",
        "<category domain='d'/><category domain='d'>Housing</category>",
        "<category> </category><dc:subject>Gov</dc:subject>",
        "<media:category>m</media:category><category>c</category>",
        "<enclosure url='/a.mp3' type='audio/mpeg'/><enclosure href='/b.jpg' "
        "type='IMAGE/jpeg'/><media:thumbnail url='t.jpg'/>",
        "<media:group><media:content url='v.mp4' medium='video'/>"
        "<media:content url='i.png' type='image/png'/></media:group>",
        "<title>Fish &amp;amp; Chips</title><description>caf\u00c3\u00a9 \u0093q\u0094"
        "</description>",
        "<title>x</title><comments>c</comments><yt:videoId>v</yt:videoId>"
        "<author>me</author><dc:creator>Me</dc:creator>",
        "<description>&lt;a HREF='/r' title=\"t\"&gt;x&lt;/A&gt;&lt;br/&gt;"
        "&amp;#150;&amp;foo;&lt;img src=i.png&gt;</description>",
    ],
)
@pytest.mark.parametrize("source", ["feed.xml", "https://c.example/f/"])
def test_fast_path_agrees_with_feedparser_on_tricky_items(item, source, fast_results):
    namespaces = f"{MEDIA}{DC}{CONTENT}{ATOM_NS}{YT}"
    data = rss(f"<item>{item}</item>", namespaces).encode()
    mine, reference = both_paths(data, source)
    assert mine == reference
    assert fast_results == ["fast"]


_WORDS = [
    "Co-op", "news", "Zo\u00eb", "\u00d3lafsd\u00f3ttir", "\u5408\u4f5c", "\U0001f33e",
    "AT&T", "a < b", "x > y", "  spaced ", "\n", "caf\u00c3\u00a9", "\u0093q\u0094",
    "&amp;", "&lt;b&gt;", "&nbsp;", "&eacute;", "&#8217;", "&#150;", "&foo;", "<b>",
    "</b>", "<br/>", "<P class='x'>", '<a href="/r?a=1&amp;b=2">', "</a>",
    "<img SRC=i.png>", "<!-- c -->", "&", "<3",
]  # fmt: skip
_DATES = [
    "Tue, 08 Oct 2024 10:00:00 +0100", "08 Oct 2024 10:00 GMT",
    "Tue, 08 Oct 2024 23:30:00 -0500", "Tue, 08 Oct 2024 10:00:00 EST",
    "Tuesday, 08-Oct-24 10:00:00 GMT", "2024-10-08T10:00:00Z",
    "2024-10-08T23:59:59.5-05:30", "2024-10-08", "2024-10",
    "2024-02-30T00:00:00Z", "Fri, 31 Feb 2024 10:00:00 GMT", "the 32nd of Octember",
    "", "0001-01-01T00:30:00+01:00", "2024-10-08 10:00:00", "2024-10-08T10:00:00+0530",
]  # fmt: skip
_URLS = ["https://x.example/a", "/rel/path", "rel", "", " https://x.example/sp ", "?q"]
_IMAGE_TYPES = [None, "image/jpeg", "IMAGE/PNG", "audio/mpeg", "video/mp4"]
_TEXT_TYPES = [None, "text", "html", "xhtml", "text/html", "application/octet-stream"]


_WORDS_TEXT = st.lists(st.sampled_from(_WORDS), max_size=5).map("".join)


@st.composite
def _text_element(draw, name, value=_WORDS_TEXT, **attributes):
    """<name attributes...>value</name>, the value escaped or in CDATA."""
    text = draw(value)
    attrs = _attributes(draw, attributes)
    if "]]>" not in text and draw(st.booleans()):
        return f"<{name}{attrs}><![CDATA[{text}]]></{name}>"
    return f"<{name}{attrs}>{escape(text)}</{name}>"


@st.composite
def _empty_element(draw, name, **attributes):
    return f"<{name}{_attributes(draw, attributes)}/>"


def _attributes(draw, strategies):
    drawn = {name: draw(strategy) for name, strategy in strategies.items()}
    return "".join(f" {k}={quoteattr(v)}" for k, v in drawn.items() if v is not None)


_DATE = st.sampled_from(_DATES)
_URL = st.sampled_from(_URLS)
_MEDIA_CHILD = st.one_of(
    _empty_element(
        "media:content",
        url=_URL,
        medium=st.sampled_from([None, "image", "video"]),
        type=st.sampled_from(_IMAGE_TYPES),
    ),
    _empty_element("media:thumbnail", url=_URL),
    _text_element("media:title"),
    _text_element("media:description", type=st.sampled_from([None, "html"])),
)
_RSS_CHILD = st.one_of(
    _text_element("title"),
    _text_element("dc:title"),
    _text_element("link", value=_URL),
    _text_element("guid", _URL, isPermaLink=st.sampled_from([None, "false"])),
    _text_element("description", type=st.sampled_from(_TEXT_TYPES)),
    _text_element("content:encoded"),
    _text_element("pubDate", value=_DATE),
    _text_element("dc:date", value=_DATE),
    _text_element("category", value=st.sampled_from(["Housing", " ", "Zo\u00eb"]),
                  domain=st.sampled_from([None, "d"])),
    _text_element("dc:subject", value=st.just("Governance")),
    _text_element("description", **{"xml:base": st.just("https://d.example/b/")}),
    _empty_element("enclosure", url=_URL, type=st.sampled_from(_IMAGE_TYPES)),
    _MEDIA_CHILD,
    st.lists(_MEDIA_CHILD, max_size=3).map(
        lambda children: f"<media:group>{''.join(children)}</media:group>"
    ),
    st.sampled_from(["<author>a@b.example</author>", "<comments>c</comments>",
                     "<source url='s'>S</source>", "<!-- x -->"]),
)  # fmt: skip
_ATOM_CHILD = st.one_of(
    _text_element("title", type=st.sampled_from(_TEXT_TYPES)),
    _empty_element(
        "link",
        href=_URL,
        rel=st.sampled_from([None, "alternate", "self", "enclosure", "related"]),
        type=st.sampled_from([None, "text/html", "image/jpeg", "application/atom+xml"]),
    ),
    _text_element("id", value=st.sampled_from([*_URLS, "tag:c.example,2024:1"])),
    _text_element("published", value=_DATE),
    _text_element("updated", value=_DATE),
    _text_element("summary", type=st.sampled_from(_TEXT_TYPES)),
    _text_element("content", type=st.sampled_from(_TEXT_TYPES)),
    _empty_element(
        "category",
        term=st.sampled_from([None, "events", " ", "Zo\u00eb"]),
        label=st.sampled_from([None, "Events"]),
    ),
    st.just("<author><name>N</name><uri>/u</uri></author>"),
    _MEDIA_CHILD,
)
_BASE = st.sampled_from(["", ' xml:base="https://base.example/n/"'])
_SOURCE = st.sampled_from(["feed.xml", "https://c.example/feeds/news.xml"])


_RSS_ROOTS = {
    "2.0": ('<rss version="2.0"{}><channel{}><title>T</title>', "</channel></rss>"),
    "0.91": ('<rss version="0.91"{}><channel{}><title>T</title>', "</channel></rss>"),
    "1.0": (
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns="http://purl.org/rss/1.0/"{}{}><channel rdf:about="c"/>',
        "</rdf:RDF>",
    ),
}


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.lists(_RSS_CHILD, max_size=7).map("".join), min_size=1, max_size=4),
    st.sampled_from(sorted(_RSS_ROOTS)),
    st.tuples(_BASE, _BASE),
    _SOURCE,
    st.sampled_from([None, "News"]),
)
def test_fast_path_agrees_with_feedparser_on_generated_rss(
    items, version, bases, source, kind
):
    # xml:base on the channel (RSS 1.0: on the root), and on the first item
    head, tail = _RSS_ROOTS[version]
    body = "".join(
        f"<item{bases[1] if n == 0 else ''}>{item}</item>"
        for n, item in enumerate(items)
    )
    data = (head.format(f"{MEDIA}{DC}{CONTENT}", bases[0]) + body + tail).encode()
    mine, reference = both_paths(data, source, kind)
    assert mine == reference


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.lists(_ATOM_CHILD, max_size=7).map("".join), min_size=1, max_size=4),
    _BASE,
    _SOURCE,
)
def test_fast_path_agrees_with_feedparser_on_generated_atom(entries, base, source):
    data = (
        f'<feed xmlns="http://www.w3.org/2005/Atom"{MEDIA}{base}><title>T</title>'
        + "".join(f"<entry>{entry}</entry>" for entry in entries)
        + "</feed>"
    ).encode()
    mine, reference = both_paths(data, source)
    assert mine == reference


_HTML = [
    "<p>", "</p>", "<P>", "</P >", "<br>", "<br/>", "<BR />", "</br>", "<p/>", "<o:p>",
    "<img src='a.png'>", '<img src="/b.png" alt="x &amp; y"/>', "<a href=\"x?a=1&amp;b"
    "=2\" title='t'>", '<a HREF="rel/p" Rel="NoFollow" href="dup">', "</a>",
    '<a href=" /sp ">', '<a href="javascript:alert(1)">', "<input disabled/>",
    '<a title="a&#38b">', "<td colspan=2>", "<a\nhref='n'>", '<p class="a"CLASS="b">',
    "&amp;", "&lt;", "&nbsp;", "&apos;", "&foo;", "&foo", "&#39;", "&#34;", "&#150;",
    "&#x96;", "&#X41;", "&#xA0;", "&#12", "&", "& ", "<", "< ", ">", "'", '"', " ",
    "\n", "a", "\u00e9", "<!-- c -->", "<!-->", "<!DOCTYPE x>", "<?pi?>", "<>", "<3",
    "<script>", "</script>",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(_HTML), max_size=10).map("".join),
    st.sampled_from(["", "https://c.example/f/"]),
)
def test_html_rewriting_agrees_with_feedparser(html, base):
    expected = resolve_relative_uris(html, base, "utf-8", "text/html")
    assert feed_fast.resolve_html(html, base) == expected


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["", "Mon, ", "Sun, ", "Thu, ", "Xyz, ", "Monday, "]),
    st.integers(0, 32).map(lambda day: f"{day:02d}" if day % 3 else str(day)),
    st.sampled_from(["Jan", "feb", "MAR", "Oct", "Dec", "Foo"]),
    st.sampled_from(["2024", "1", "24", "9999", "0001"]),
    st.sampled_from(["00:00:00", "23:59", "24:00:00", "10:00:60", "9:5"]),
    st.sampled_from(["+0000", "-0130", "+1400", "GMT", "UT", "UTC", "Z", "EST", "+1"]),
)  # fmt: skip
def test_rfc822_dates_agree_with_feedparser(weekday, day, month, year, time, zone):
    check_date(f"{weekday}{day} {month} {year} {time} {zone}")


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["2024", "0001", "9999", "24"]),
    st.integers(0, 13).map(lambda n: f"{n:02d}"),
    st.integers(0, 32).map(lambda n: f"{n:02d}"),
    st.sampled_from(["", "T00:00:00", "t23:59:59", "T12:30", "T24:00", "T10:00:00.12"]),
    st.sampled_from(["", "Z", "z", "+02:00", "-05:30", "+0530", "+14:00", " GMT"]),
)  # fmt: skip
def test_w3c_dates_agree_with_feedparser(year, month, day, time, zone):
    check_date(f"{year}-{month}-{day}{time}{zone if time else ''}")


def check_date(written):
    mine = feed_fast.parse_date(written)
    parsed = _parse_date(written)
    if mine is not None:  # else feedparser reads the entry
        assert parsed is not None
        assert mine == f"{parsed.tm_year:04d}-{parsed.tm_mon:02d}-{parsed.tm_mday:02d}"


# -- open_source: files -----------------------------------------------------------


def test_open_a_local_file():
    with open_source(str(DATA / "feed-rss1.xml")) as source:
        assert source.size == (DATA / "feed-rss1.xml").stat().st_size
        assert source.content_type is None
        assert len(list(read_feed(source.stream, source=source.name))) == 2
    assert source.stream.closed


def test_a_colon_does_not_make_a_file_name_a_url(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("news:2024.xml").write_bytes(b"<rss/>")
    with open_source("news:2024.xml") as source:
        assert source.stream.read() == b"<rss/>"


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("missing.xml", "no such file"),
        (".", "is a folder, not a file"),
        ("ftp://coop.example/feed.xml", "only http(s) addresses and local files "
         "can be read, not ftp:"),
        ("file:///etc/passwd", "only http(s) addresses and local files can be "
         "read, not file:"),
        ("javascript:alert(1)", "only http(s) addresses and local files can be "
         "read, not javascript:"),
        ("nul\x00byte.xml", "cannot open: embedded null byte"),
    ],
)  # fmt: skip
def test_open_source_refuses(spec, problem, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SourceError) as caught:
        open_source(spec)
    assert (caught.value.source, caught.value.line) == (spec, None)
    assert caught.value.problem == problem


# -- open_source: URLs, against a server of our own --------------------------------

FEED = (DATA / "feed-rss2.xml").read_bytes()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/feed.xml":
            self._send(200, FEED, length=True, kind="application/rss+xml")
        elif self.path == "/big":
            self._send(200, b"<rss>" + b" " * 5000 + b"</rss>", length=True)
        elif self.path == "/big-unannounced":  # no Content-Length
            self._send(200, b"<rss>" + b" " * 5000 + b"</rss>", length=False)
        elif self.path == "/moved":
            self._redirect("/feed.xml")
        elif self.path == "/to-ftp":
            self._redirect("ftp://127.0.0.1/feed.xml")
        elif self.path == "/slow":
            time.sleep(1.0)
            self._send(200, FEED, length=True)
        else:
            self.send_error(404, "Not Found")

    def _send(self, code: int, body: bytes, *, length: bool, kind: str = "") -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind or "application/xml")
        if length:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the test output clean


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_import_from_a_url(server):
    with open_source(f"{server}/moved") as source:
        assert source.name == f"{server}/moved"
        assert source.size == len(FEED)
        assert source.content_type == "application/rss+xml"
        found = [r.fields for r in read_feed(source.stream, source=source.name)]
    assert found == fields_of("feed-rss2.xml")


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/nothing-here", "the server answered HTTP 404 Not Found"),
        ("/big", "the download is larger than the 1 KiB limit"),
        ("/big-unannounced", "the download is larger than the 1 KiB limit"),
        ("/to-ftp", "redirected to a non-HTTP address ftp://127.0.0.1/feed.xml"),
        ("/slow", "no answer from the server within 0.2 s"),
    ],
)
def test_download_problems(server, path, problem):
    url = f"{server}{path}"
    with pytest.raises(SourceError) as caught:
        open_source(url, max_bytes=1024, timeout=0.2)
    assert str(caught.value) == f"{url}: {problem}"


def test_connection_refused():
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/feed.xml"
    with pytest.raises(SourceError) as caught:
        open_source(url, timeout=2)
    assert str(caught.value) == f"{url}: could not connect: connection refused"
