"""Each rule has one home, and every entry point that accepts a value builds it.

The URL, merge-tag, length, date-shape and UTC rules are asked of their
home module directly, then through the entry points that must agree with it.
"""

from __future__ import annotations

import datetime as dt

import pytest

from enews import limits, urls
from enews.compose import issues
from enews.compose.items import add_item, make_draft
from enews.config import settings_from_dict
from enews.dates import as_utc, is_written_date, parse_date
from enews.errors import ConfigError, ConflictError, ValidationError
from enews.publish.build import build_issue
from enews.publish.check import check_issue
from enews.render.links import add_utm
from tests.factories import make_item

BAD_LINKS = [
    "https://[::1/",  # urlsplit: Invalid IPv6 URL
    "https://example.org:99999/",  # no such port
    "https:///path-only",  # no host
    'https://example.org/"onmouseover="x',
    "https://example.org/<b>",
    "https://example.org\\evil",
    "https://exa mple.org/",
    "javascript:alert(1)",
    "/relative/link",
    "mailto:someone@example.org",  # not a web page
]


@pytest.mark.parametrize("link", BAD_LINKS)
def test_bad_links_are_refused_by_the_one_rule(link):
    assert not urls.is_absolute_url(link)
    with pytest.raises(ValidationError) as refused:
        urls.check_url(link, "url")
    assert refused.value.field == "url"


@pytest.mark.parametrize("link", BAD_LINKS)
@pytest.mark.parametrize(("option", "field"), [("url", "url"), ("image_url", "image")])
def test_items_refuse_what_the_rule_refuses(link, option, field):
    with pytest.raises(ValidationError) as refused:
        make_draft(**{option: link})
    assert refused.value.field == field
    assert "not an absolute http(s) link" in refused.value.problem


def test_a_link_is_checked_whatever_the_case_of_its_scheme():
    assert make_draft(url="HTTPS://Example.org/News").url == "HTTPS://Example.org/News"
    assert urls.is_absolute_url("HTTP://example.org/")


@pytest.mark.parametrize("link", BAD_LINKS[:7])
def test_enews_toml_urls_follow_the_same_rule(link):
    with pytest.raises(ConfigError, match="base_url must be an absolute http"):
        settings_from_dict({"base_url": link})


@pytest.mark.parametrize(
    "tag",
    ["*|UNSUB|*", "{{ UnsubscribeURL }}", "{{{unsubscribe}}}", "%unsubscribe_url%"],
)
def test_merge_tags_are_one_pattern_for_links_and_check(tag):
    assert urls.is_merge_tag(tag) and urls.is_whole_merge_tag(tag)
    assert add_utm(tag, source="s", campaign="c", content="x") == tag  # untouched
    html = f'<html><body><a href="{tag}">Unsubscribe</a></body></html>'
    assert check_issue(html, "Unsubscribe: " + tag).get("links").status == "pass"


def test_percent_encoded_bytes_are_not_a_mailgun_tag():
    encoded = "https://example.org/caf%C3%A9%E2%80%99s"
    assert not urls.is_merge_tag(encoded)
    tagged = add_utm(encoded, source="s", campaign="c", content="x")
    assert "utm_source=s" in tagged


def test_issue_texts_accepted_by_set_are_the_ones_a_build_takes(session, workspace):
    make_item(session, title="A story", date="2020-10-05")
    issues.draft_issue(session, "October issue", month="2020-10")
    with pytest.raises(ValidationError) as refused:
        issues.set_fields(session, "2020-10", subject="x" * (limits.SUBJECT + 1))
    assert refused.value.field == "subject"
    longest = "y" * (limits.SUBJECT - 4) + "\nzzz"  # a line break counts as a space
    issues.set_fields(session, "2020-10", subject=longest, preheader="one\ntwo")
    bundle = build_issue(
        session, "2020-10", settings=workspace.settings, workspace=workspace.root
    )
    assert bundle.view.subject == longest.replace("\n", " ")
    assert bundle.view.preheader == "one two"
    assert b"Subject: " in bundle.eml


def test_limits_are_the_ones_items_enforce():
    make_draft(title="t" * limits.ITEM_TITLE, kind="k" * limits.KIND)
    with pytest.raises(ValidationError, match=f"at most {limits.ITEM_TITLE}"):
        make_draft(title="t" * (limits.ITEM_TITLE + 1))
    with pytest.raises(ValidationError, match=f"at most {limits.KIND}"):
        make_draft(kind="k" * (limits.KIND + 1))


@pytest.mark.parametrize(
    ("text", "shape"),
    [
        ("27 November 2020", True),
        ("Nov. 4, 2020", True),
        ("27th November, 2020", True),
        ("Sept 3 2020", True),
        ("27 Novembre 2020", False),  # not an English month: no date line
        ("2020-11-27", False),  # the listing's date lines are written dates
        ("27 November", False),
    ],
)
def test_one_date_shape_for_parsing_and_for_the_listing(text, shape):
    assert is_written_date(text) is shape
    if shape:
        assert parse_date(text).year == 2020


def test_naive_database_times_are_utc():
    naive = dt.datetime(2020, 10, 1, 12, 0)
    paris = dt.timezone(dt.timedelta(hours=2))
    assert as_utc(naive) == dt.datetime(2020, 10, 1, 12, 0, tzinfo=dt.UTC)
    assert as_utc(dt.datetime(2020, 10, 1, 14, 0, tzinfo=paris)) == as_utc(naive)


def test_a_duplicate_link_names_its_field_as_data(session):
    make_item(session, url="https://example.org/a")
    draft = make_draft(
        kind="News", title="Other", date="2020-10-02", url="https://example.org/a"
    )
    with pytest.raises(ConflictError) as clash:
        add_item(session, draft)
    assert clash.value.field == "url"
    assert clash.value.problem.startswith("item ")
    assert str(clash.value) == f"url: {clash.value.problem}"
