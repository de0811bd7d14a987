"""Campaign tagging and absolute links in built issues."""

from __future__ import annotations

import pytest

from enews.config import Brand, Settings
from enews.publish.build import build_issue
from enews.render.links import absolutize, add_utm
from tests.factories import make_issue, make_item

UTM = {"source": "coop", "campaign": "2020-10", "content": "item-5"}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://e.org/a", "https://e.org/a?utm_source=coop&utm_medium=email"
         "&utm_campaign=2020-10&utm_content=item-5"),
        ("https://e.org/a?x=1#top", "https://e.org/a?x=1&utm_source=coop&utm_medium="
         "email&utm_campaign=2020-10&utm_content=item-5#top"),
        ("https://e.org/a?utm_campaign=theirs", "https://e.org/a?utm_campaign=theirs"),
        ("mailto:news@e.org", "mailto:news@e.org"),
        ("*|ARCHIVE|*", "*|ARCHIVE|*"),
        ("{{ MessageURL }}", "{{ MessageURL }}"),
        ("[[enews:web_version]]", "[[enews:web_version]]"),
    ],
)  # fmt: skip
def test_add_utm(url, expected):
    assert add_utm(url, **UTM) == expected


def test_absolutize_only_touches_relative_links():
    html = (' <img src="/logo.png"> <a href="news/x">x</a> <a href="#top">t</a>'
            ' <a href="https://e.org/y">y</a> <a href="*|UNSUB|*">u</a>')  # fmt: skip
    assert absolutize(html, "https://news.example/archive/") == (
        ' <img src="https://news.example/logo.png">'
        ' <a href="https://news.example/archive/news/x">x</a> <a href="#top">t</a>'
        ' <a href="https://e.org/y">y</a> <a href="*|UNSUB|*">u</a>'
    )
    assert absolutize(html, None) == html


def test_utm_tags_item_links_in_html_and_text(session):
    item = make_item(
        session,
        url="https://coop.example/a?ref=home",
        summary='<p>See <a href="https://coop.example/r">the report</a>.</p>',
        date="2020-10-05",
    )
    make_issue(session)
    settings = Settings(profile="mailchimp", utm_source="coop-news")
    bundle = build_issue(session, "2020-10", settings=settings, workspace=None)
    tagged = (
        "https://coop.example/a?ref=home&amp;utm_source=coop-news&amp;"
        f"utm_medium=email&amp;utm_campaign=2020-10&amp;utm_content=item-{item.id}"
    )
    assert f'href="{tagged}"' in bundle.html
    assert tagged.replace("&amp;", "&") in bundle.text.splitlines()
    assert (
        "https://coop.example/r?utm_source=coop-news&amp;utm_medium=email"
        in bundle.html
    )
    assert 'href="*|UNSUB|*"' in bundle.html  # merge tags untouched


def test_without_utm_source_links_are_untouched(session):
    make_item(session, url="https://coop.example/a", date="2020-10-05")
    make_issue(session)
    bundle = build_issue(session, "2020-10", settings=Settings(), workspace=None)
    assert "utm_" not in bundle.html + bundle.text


def test_base_url_resolves_a_relative_logo(session):
    make_item(session, date="2020-10-05")
    make_issue(session)
    settings = Settings(
        base_url="https://news.example/", brand=Brand(logo_url="/logo.png")
    )
    html = build_issue(session, "2020-10", settings=settings, workspace=None).html
    assert 'src="https://news.example/logo.png"' in html
