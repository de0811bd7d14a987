"""The quality report (check.py), check by check.

Each check is provoked with a small hand-written page that differs from a
passing one in one place (tests/helpers_check.py). The report as a whole
is in test_check_report.py, the real demo build and ``enews check`` in
test_check_cli.py.
"""

from __future__ import annotations

import pytest

from enews.publish.check import check_issue, format_report
from tests.helpers_check import (
    CHECKS,
    ITEM,
    KB,
    PREHEADER,
    TEXT,
    URL,
    failing,
    padded,
    page,
    statuses,
)

# ------------------------------------------------------------------ baseline


def test_minimal_page_passes_every_check_in_order():
    report = check_issue(page(), TEXT)
    assert tuple(c.name for c in report.checks) == CHECKS
    assert set(statuses(report).values()) == {"pass"}, format_report(report)
    assert report.ok


# ---------------------------------------------------------------------- size


@pytest.mark.parametrize(
    ("size", "status"),
    [
        (90 * KB - 1, "pass"),
        (90 * KB, "warn"),
        (102 * KB - 1, "warn"),
        (102 * KB, "fail"),
    ],
)
def test_size_thresholds_at_the_byte(size, status):
    check = check_issue(padded(page(), size), TEXT).get("size")
    assert check.status == status
    assert check.message.startswith(f"{size / KB:.1f} KB of HTML")


def test_size_counts_utf8_bytes_not_characters():
    html = padded(page(), 91 * KB, char="é")
    assert len(html) < 90 * KB  # fewer characters than the threshold in bytes
    assert check_issue(html, TEXT).get("size").status == "warn"


def test_size_fail_says_gmail_clips_and_how_many_items_to_remove():
    html = padded(page(ITEM * 9 + f'<h2 class="lead">Featured</h2>{ITEM}'), 103 * KB)
    check = check_issue(html, TEXT).get("size")
    assert check.status == "fail"
    assert "Gmail clips" in check.message
    # 11 items (ten .item cells + the featured title) in 103 KB: ~9.4 KB each.
    excess = 103 * KB - 90 * KB + 1
    remove = -(-excess // (103 * KB / 11))
    assert f"remove about {int(remove)} items to get under 90 KB" in check.message


def test_size_estimates_room_from_items_and_featured_block():
    html = page(ITEM * 3 + '<h2 class="lead">Featured</h2>')
    size = len(html.encode())
    check = check_issue(html, TEXT).get("size")
    assert f"about {int((90 * KB - size) // (size / 4))} more items" in check.message


def test_size_without_items_says_it_cannot_estimate():
    check = check_issue(page(f'<p><a href="{URL}">Forum</a></p>'), TEXT).get("size")
    assert check.status == "pass"
    assert "no items found" in check.message


# --------------------------------------------------------------------- links


@pytest.mark.parametrize(
    "href",
    [
        "news/1",
        "/news/1",
        "//coop.example/news/1",
        "javascript:alert(1)",
        "data:text/html,hello",
        "",
        "#",
        "ftp://coop.example/file",
        "http://",
        "mailto:",
        "%7B%7Bunsubscribe_url%7D%7D",  # premailer's percent-encoded merge tag
        "*%7CUNSUB%7C*",
        "{{base_url}}/news/1",  # only a whole-href merge tag is one
    ],
)
def test_links_fail_for_anything_but_absolute_mailto_or_merge_tag(href):
    html = page(ITEM + f'<a href="{href}">More</a>')
    check = failing(html, "links")
    assert check.message == "1 link is not absolute http(s), mailto or a merge tag"
    assert check.details == (f'href="{href}"',)


def test_links_lists_every_offender_and_counts_them():
    html = page(ITEM + '<a href="a.html">A</a><a href="b.html">B</a>')
    check = failing(html, "links")
    assert check.message.startswith("2 links are not")
    assert check.details == ('href="a.html"', 'href="b.html"')


@pytest.mark.parametrize(
    "href",
    [
        "*|ARCHIVE|*",
        "{{ MessageURL }}",
        "{{{weblink}}}",
        "%unsubscribe_url%",
        "[[UNSUB_LINK_EN]]",
        "{$unsubscribe}",
        "<%asm_group_unsubscribe_raw_url%>",
        "mailto:news@example.org",
        "  https://coop.example/spaced  ",
        "HTTPS://COOP.EXAMPLE/LOUD",
    ],
)
def test_links_accept_merge_tags_mailto_and_absolute_urls(href):
    html = page(ITEM + f'<a href="{href}">More</a>')
    assert check_issue(html, TEXT + href).get("links").status == "pass"


def test_links_accept_a_configured_placeholder_only_when_given():
    html = page(ITEM + '<a href="LEAVE-LINK">Leave</a>')
    failing(html, "links")
    report = check_issue(html, TEXT, placeholders=["LEAVE-LINK"])
    assert report.get("links").status == "pass"


# -------------------------------------------------------------------- images


def test_a_stored_image_over_1_mb_is_a_warning_naming_it():
    path = "assets/" + "a" * 32 + ".jpg"
    heavy = {
        "path": path,
        "url": f"https://news.example.org/{path}",
        "bytes": 1_600_000,
    }
    light = {"path": path.replace("a", "b"), "bytes": 900_000}
    check = check_issue(page(), TEXT, images=[heavy, light]).get("images")
    assert (check.status, check.message) == ("warn", "1 image over 1 MB")
    assert check.details == (f"{path}: 1.5 MB",)
    assert check_issue(page(), TEXT, images=[light]).get("images").status == "pass"


def test_item_links_warn_naming_items_without_a_link():
    unlinked = '<div class="item"><h3>Forum   closes</h3></div>'
    featured = '<h3 class="lead">Our <em>big</em> story</h3>'
    report = check_issue(page(featured + ITEM + unlinked), TEXT)
    check = report.get("item-links")
    assert check.status == "warn" and report.ok  # a warning does not stop a send
    assert check.message == "2 items of 3 without a link"
    assert check.details == ("'Our big story'", "'Forum closes'")


def test_item_links_pass_when_every_title_links():
    featured = f'<h3 class="lead"><a href="{URL}">Big</a></h3>'
    check = check_issue(page(featured + ITEM), TEXT).get("item-links")
    assert (check.status, check.message) == ("pass", "every item links to its story")


@pytest.mark.parametrize(
    ("img", "problem"),
    [
        ('<img src="https://c.example/a.jpg" width="552">', "no alt"),
        ('<img src="https://c.example/a.jpg" alt="" width="552">', "empty alt"),
        ('<img src="https://c.example/a.jpg" alt="  " width="552">', "empty alt"),
        ('<img src="media/a.jpg" alt="A" width="552">', "src is not an absolute"),
        ('<img alt="A" width="552">', "src is not an absolute"),
        ('<img src="data:image/png;base64,AAAA" alt="A" width="1">', "src is not"),
        ('<img src="https://c.example/a.jpg" alt="A">', "no width"),
        ('<img src="https://c.example/a.jpg" alt="A" width="100%">', "no width"),
    ],
)
def test_images_fail_per_offence(img, problem):
    check = failing(page(ITEM + img), "images")
    assert check.message == "1 image problem"
    assert len(check.details) == 1
    assert problem in check.details[0]


def test_images_decorative_image_may_have_empty_alt():
    img = (
        '<img src="https://c.example/rule.png" alt="" role="presentation" width="552">'
    )
    assert check_issue(page(ITEM + img), TEXT).get("images").status == "pass"


def test_images_every_offence_of_one_image_is_listed():
    check = failing(page(ITEM + '<img src="a.jpg">'), "images")
    assert check.message == "3 image problems"
    assert [d.split(": ")[1] for d in check.details] == [
        "no alt",
        "src is not an absolute http(s) URL",
        "no width attribute in pixels",
    ]


# --------------------------------------------------------------- unsubscribe


@pytest.mark.parametrize(
    "footer",
    [
        "",
        "<p>To unsubscribe, reply to this e-mail.</p>",  # not a link
        '<p><a href="https://coop.example/prefs">Your preferences</a></p>',
    ],
)
def test_unsubscribe_link_missing_fails(footer):
    html = page(unsubscribe=footer)
    text = TEXT + "https://coop.example/prefs"
    assert failing(html, "unsubscribe", text).message.startswith("no unsubscribe link")


@pytest.mark.parametrize(
    "link",
    [
        '<a href="https://coop.example/leave">Unsubscribe</a>',  # by its text
        '<a href="*|UNSUB|*">Leave this list</a>',  # by its href
        '<a href="https://coop.example/leave"><b>UNSUBSCRIBE</b> here</a>',
    ],
)
def test_unsubscribe_found_by_text_or_href(link):
    html = page(unsubscribe=link)
    report = check_issue(html, TEXT + "https://coop.example/leave")
    assert report.get("unsubscribe").status == "pass", format_report(report)


def test_unsubscribe_placeholder_counts_whatever_the_wording():
    html = page(unsubscribe='<a href="https://coop.example/bye">Leave</a>')
    text = TEXT + "https://coop.example/bye"
    failing(html, "unsubscribe", text)
    report = check_issue(html, text, placeholders=["https://coop.example/bye"])
    assert report.ok


# ------------------------------------------------------------------ document


@pytest.mark.parametrize(
    ("parts", "missing"),
    [
        ({"html_tag": "<html>"}, "lang on <html>"),
        ({"html_tag": '<html lang=" ">'}, "lang on <html>"),
        ({"head": ""}, "<title>"),
        ({"head": "<title>  </title>"}, "<title>"),
        ({"preheader": ""}, "hidden preheader"),
        ({"preheader": "<div>Forums and field notes</div>"}, "hidden preheader"),
        ({"preheader": '<div style="display:none"> </div>'}, "hidden preheader"),
        ({"preheader": f"<p>Hello</p>{PREHEADER}"}, "hidden preheader"),
        ({"preheader": f"Hello {PREHEADER}"}, "hidden preheader"),
    ],
)
def test_document_fails_for_each_missing_part(parts, missing):
    check = failing(page(**parts), "document")
    assert check.message == "1 missing"
    assert len(check.details) == 1
    assert check.details[0].startswith(missing)


def test_document_lists_everything_missing():
    check = failing(page(html_tag="<html>", head="", preheader=""), "document")
    assert check.message == "3 missing"
    assert len(check.details) == 3


def test_document_preheader_inside_mjml_wrapper_div_passes():
    body = f'<div class="page" role="article">{PREHEADER}{ITEM}</div>'
    report = check_issue(page(body, preheader=""), TEXT)
    assert report.get("document").status == "pass"


def test_document_preheader_may_follow_a_comment():
    report = check_issue(
        page(preheader=f"<!--[if mso]><p>x</p><![endif]-->{PREHEADER}"), TEXT
    )
    assert report.get("document").status == "pass"


# -------------------------------------------------------------------- safety


@pytest.mark.parametrize(
    ("markup", "found"),
    [
        ("<script>alert(1)</script>", "<script>"),
        ('<iframe src="https://c.example/"></iframe>', "<iframe>"),
        ('<form action="https://c.example/"><input name="q"></form>', "<form>"),
        ('<object data="https://c.example/x.swf"></object>', "<object>"),
        ('<embed src="https://c.example/x.swf">', "<embed>"),
        ('<p onclick="steal()">Hi</p>', "onclick= on <p>"),
        ('<div ONMOUSEOVER="x()">Hi</div>', "onmouseover= on <div>"),
    ],
)
def test_safety_fails_and_names_what_was_found(markup, found):
    check = failing(page(ITEM + markup), "safety")
    assert check.details == (found,)


def test_safety_finds_scripts_in_head_and_counts_repeats():
    html = page(
        head="<title>T</title><script>a()</script>", body=ITEM + "<script></script>"
    )
    assert failing(html, "safety").details == ("<script> x2",)


def test_safety_ignores_attributes_that_merely_contain_on():
    body = (
        ITEM + '<table role="presentation"><tr><td class="button">Go</td></tr></table>'
    )
    assert check_issue(page(body), TEXT).get("safety").status == "pass"


# ---------------------------------------------------------------------- text


def test_text_fails_listing_links_missing_from_the_text_part():
    other = "https://coop.example/news/2"
    html = page(ITEM + f'<a href="{other}">Two</a><a href="{other}">Again</a>')
    check = failing(html, "text")
    assert check.message == "1 link of the HTML missing from the text"
    assert check.details == (other,)  # once, though linked twice


def test_text_compares_unescaped_hrefs():
    href = "https://coop.example/search?q=forum&amp;page=2"
    html = page(ITEM + f'<a href="{href}">Search</a>')
    good = TEXT + "https://coop.example/search?q=forum&page=2\n"
    assert check_issue(html, good).get("text").status == "pass"
    failing(html, "text", TEXT + href)  # an escaped URL in plain text is broken


def test_text_a_longer_url_does_not_count_as_the_link():
    failing(page(), "text", TEXT.replace(URL, URL + "2"))


def test_text_url_followed_by_punctuation_counts():
    text = f"Read it ({URL}). Unsubscribe: {{{{unsubscribe_url}}}}"
    assert check_issue(page(), text).get("text").status == "pass"


def test_text_does_not_require_merge_tags_or_mailto():
    html = page(
        ITEM + '<a href="mailto:a@coop.example">Mail</a><a href="*|ARCHIVE|*">Web</a>'
    )
    assert check_issue(html, URL).get("text").status == "pass"
