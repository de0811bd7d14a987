"""RSS/Atom feeds -> RawRecords: the fields of each entry.

Images and their alt text are in test_feed_media.py, broken feeds
(repaired or refused) in test_feed_errors.py, opening files and URLs in
test_feed_fetch.py.
"""

from __future__ import annotations

import io

import pytest

from enews.collect.feed import read_feed
from tests.helpers_feed import fields_of, records, rss

FORUM = "https://forum.northfield-coop.example"
RIVERSIDE = "https://riverside-housing.example"


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


def test_entries_are_numbered_from_one():
    items = "".join(
        f"<item><title>Notice {n}</title><pubDate>Mon, 0{n % 9 + 1} Jan 2024 "
        "10:00:00 GMT</pubDate></item>"
        for n in range(1, 1201)
    )
    found = records(rss(items))
    assert [r.line for r in found] == list(range(1, 1201))
    assert [r.fields["title"] for r in found] == [f"Notice {n}" for n in range(1, 1201)]
    assert found[1199].fields == {"title": "Notice 1200", "date": "2024-01-04"}


# -- titles, dates, kinds, links ----------------------------------------------


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
