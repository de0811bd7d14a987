"""RSS/Atom feeds -> RawRecords: an entry's image and its alt text.

The image is the first image enclosure, else Media RSS image, else
thumbnail, made absolute; its alt text is the Media RSS description (else
title), else the entry's title.
"""

from __future__ import annotations

import io

import pytest

from enews.collect.feed import read_feed
from tests.helpers_feed import MEDIA, records, rss


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


def test_media_text_before_the_entrys_own_does_not_replace_it():
    # feedparser would make the media:description the summary and the
    # entry's own description its content.
    item = (
        '<item><media:content url="https://x.example/p.jpg" medium="image">'
        "<media:description>Members at the AGM</media:description>"
        "<media:title>AGM photo</media:title></media:content>"
        "<title>AGM report</title><description>The vote passed.</description></item>"
    )
    assert records(rss(item, MEDIA))[0].fields == {
        "title": "AGM report",
        "summary": "The vote passed.",
        "summary_format": "html",
        "image": "https://x.example/p.jpg",
        "image_alt": "Members at the AGM",
    }


def test_each_entry_gets_its_own_media_alt():
    items = "".join(
        f"<item><title>Entry {n}</title>{media}</item>"
        for n, media in enumerate(
            [
                '<enclosure url="https://x.example/0.jpg" type="image/jpeg"/>',
                "",
                '<media:thumbnail url="https://x.example/2.jpg"/>'
                "<media:title>Photo two</media:title>",
                '<media:content url="https://x.example/3.jpg" medium="image"/>',
            ]
        )
    )
    assert [
        (r.fields.get("image"), r.fields.get("image_alt"))
        for r in records(rss(items, MEDIA))
    ] == [
        ("https://x.example/0.jpg", "Entry 0"),
        (None, None),
        ("https://x.example/2.jpg", "Photo two"),
        ("https://x.example/3.jpg", "Entry 3"),  # not entry 2's
    ]


def test_nested_entries_lose_media_alt_rather_than_get_anothers():
    # feedparser makes entries of the outer <item> and of the one inside;
    # the Media RSS text is read per outermost entry, so it cannot be matched
    # to feedparser's entries: each image's alt is then its entry's title.
    items = (
        "<item><title>a</title><item><title>b</title>"
        '<media:thumbnail url="https://x.example/b.jpg"/>'
        "<media:title>Alt of b</media:title></item></item>"
        '<item><title>c</title><media:thumbnail url="https://x.example/c.jpg"/>'
        "<media:title>Alt of c</media:title></item>"
    )
    assert [r.fields for r in records(rss(items, MEDIA))] == [
        {"title": "a"},
        {"title": "b", "image": "https://x.example/b.jpg", "image_alt": "b"},
        {"title": "c", "image": "https://x.example/c.jpg", "image_alt": "c"},
    ]
