"""The quality report (check.py) and ``enews check``.

Each check is provoked with a small hand-written page that differs from a
passing one in one place; the real demo build must pass every check.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

import enews.cli.check_cmds  # noqa: F401  (registers `enews check` on cli)
from enews.cli import cli
from enews.compose.demo import DEMO_SLUG, load_demo
from enews.publish.build import build_issue
from enews.publish.check import Check, Report, check_issue, format_report
from enews.workspace import Workspace, init_workspace

KB = 1024
URL = "https://coop.example/news/1"
IMG = '<img src="https://coop.example/a.jpg" alt="Delegates at the forum" width="552">'
ITEM = f'<div class="item"><h3><a href="{URL}">Forum opens</a></h3>{IMG}</div>'
PREHEADER = '<div style="display:none;max-height:0">Forums and field notes</div>'
UNSUB = '<p><a href="{{unsubscribe_url}}">Unsubscribe</a></p>'
TEXT = f"Forum opens\n{URL}\n\nUnsubscribe: {{{{unsubscribe_url}}}}\n"
CHECKS = ("size", "links", "images", "unsubscribe", "document", "safety", "text")


def page(
    body: str = ITEM,
    *,
    html_tag: str = '<html lang="en">',
    head: str = "<title>October issue</title>",
    preheader: str = PREHEADER,
    unsubscribe: str = UNSUB,
) -> str:
    """A page that passes every check unless a part is replaced."""
    return (
        f"<!doctype html>\n{html_tag}<head>{head}</head>"
        f"<body>{preheader}{body}{unsubscribe}</body></html>"
    )


def padded(html: str, size: int, char: str = "x") -> str:
    """``html`` grown to exactly ``size`` UTF-8 bytes by a comment."""
    room = size - len(html.encode()) - len("<!---->")
    filler = char * (room // len(char.encode()))
    filler += "x" * (room - len(filler.encode()))
    grown = html.replace("</body>", f"<!--{filler}--></body>")
    assert len(grown.encode()) == size
    return grown


def statuses(report: Report) -> dict[str, str]:
    return {c.name: c.status for c in report.checks}


def failing(html: str, name: str, text: str = TEXT, **kw: list[str]) -> Check:
    """Assert that exactly the check ``name`` fails and return it."""
    report = check_issue(html, text, **kw)
    assert [c.name for c in report.failures] == [name], format_report(report)
    return report.get(name)


# ------------------------------------------------------------------ baseline


def test_minimal_page_passes_every_check_in_order():
    report = check_issue(page(), TEXT)
    assert tuple(c.name for c in report.checks) == CHECKS
    assert set(statuses(report).values()) == {"pass"}, format_report(report)
    assert report.ok


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, int]:
    """The real demo issue, built once: (html, text, number of items)."""
    root = tmp_path_factory.mktemp("demo") / "ws"
    init_workspace(root)
    ws = Workspace(root)
    with ws.transaction() as session:
        load_demo(session)
        bundle = build_issue(session, DEMO_SLUG, settings=ws.settings, workspace=root)
    return bundle.html, bundle.text, len(bundle.view.items)


def test_demo_build_passes_every_check(demo):
    html, text, items = demo
    report = check_issue(html, text)
    assert set(statuses(report).values()) == {"pass"}, format_report(report)
    # The room estimate counts the demo's items (div.item plus the featured).
    size = len(html.encode())
    more = int((90 * KB - size) // (size / items))
    assert f"about {more} more items fit under 90 KB" in report.get("size").message


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
    html = padded(page(ITEM * 9 + f'<div class="featured">{ITEM}</div>'), 103 * KB)
    check = check_issue(html, TEXT).get("size")
    assert check.status == "fail"
    assert "Gmail clips" in check.message
    # 11 items (ten div.item + the featured block) in 103 KB: ~9.4 KB each.
    excess = 103 * KB - 90 * KB + 1
    remove = -(-excess // (103 * KB / 11))
    assert f"remove about {int(remove)} items to get under 90 KB" in check.message


def test_size_estimates_room_from_items_and_featured_block():
    html = page(ITEM * 3 + '<div class="featured">Featured</div>')
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


# ------------------------------------------------------- malformed and report


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        "<!-- only a comment -->",
        "<html",
        "</html>",
        "<!DOCTYPE>",
        '<?xml version="1.0" encoding="utf-8"?><html><body>x</body></html>',
        "a\x00b<a href='x'>",
        "\ud800<img src=\udfff>",
        '<<<>>><a href="http://[::1">v6</a>',
        "<div>" * 3000 + "deep",
        "<a href=x><img><table><tr><td><p></a></td></b></i>",
        "\x0c\x1b\ufeff",
    ],
)
def test_malformed_html_gives_a_report_not_an_exception(html):
    report = check_issue(html, "\x00\ud800")
    assert tuple(c.name for c in report.checks) == CHECKS
    json.dumps(report.as_dict())
    assert format_report(report)


@settings(max_examples=150, deadline=None)
@given(
    html=st.text(alphabet=st.sampled_from(list("<>/=\"' abdhilmnoprstcfg:&;#!-\x00é"))),
    text=st.text(),
)
def test_any_input_gives_a_report(html, text):
    report = check_issue(html, text, placeholders=[text])
    assert len(report.checks) == len(CHECKS)


def test_report_ok_failures_warnings_and_as_dict():
    warned = check_issue(padded(page(), 95 * KB), TEXT)
    assert warned.ok
    assert [c.name for c in warned.warnings] == ["size"]
    assert warned.failures == ()
    failed = check_issue(page(ITEM + "<script></script>"), TEXT)
    assert not failed.ok
    data = json.loads(json.dumps(failed.as_dict()))
    assert data["ok"] is False
    assert data["counts"] == {"pass": 6, "warn": 0, "fail": 1}
    safety = next(c for c in data["checks"] if c["name"] == "safety")
    assert safety["status"] == "fail"
    assert safety["details"] == ["<script>"]
    with pytest.raises(KeyError):
        failed.get("spelling")


def test_format_report_one_aligned_line_per_check_and_a_summary():
    report = check_issue(padded(page(ITEM + '<a href="a.html">A</a>'), 95 * KB), TEXT)
    lines = format_report(report).splitlines()
    assert re.fullmatch(
        r"WARN size +95\.0 KB of HTML; remove about \d+ items to get under 90 KB",
        lines[0],
    )
    assert re.fullmatch(r"FAIL links +1 link is not absolute http\(s\), .*", lines[1])
    assert lines[2].strip() == 'href="a.html"'
    # Details start in the message column.
    assert len(lines[2]) - len(lines[2].lstrip()) == lines[1].index("1 link")
    assert lines[3].startswith("PASS images ")
    assert lines[-1] == "1 failed, 1 warned, 5 passed"


def test_format_report_shows_ten_details_then_how_many_more():
    links = "".join(f'<a href="n{i}.html">{i}</a>' for i in range(13))
    lines = format_report(check_issue(page(ITEM + links), TEXT)).splitlines()
    start = lines.index(next(x for x in lines if x.startswith("FAIL links")))
    shown = lines[start + 1 : start + 12]
    assert [x.strip() for x in shown[:10]] == [f'href="n{i}.html"' for i in range(10)]
    assert shown[10].strip() == "... and 3 more"
    assert lines[start + 12].startswith("PASS images")


# ----------------------------------------------------------------------- CLI


def invoke(ws: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli,
        ["-w", str(ws), "check", *args],
        env={"DATABASE_URL": None, "ENEWS_WORKSPACE": None},
    )


def built(tmp_path: Path, html: str, text: str = TEXT) -> Path:
    """A workspace whose issue 2020-10 has these files (no database needed)."""
    folder = tmp_path / "ws" / "issues" / "2020-10"
    folder.mkdir(parents=True)
    (folder / "index.html").write_text(html, encoding="utf-8")
    (folder / "index.txt").write_text(text, encoding="utf-8")
    return tmp_path / "ws"


@pytest.mark.parametrize("missing", ["index.html", "index.txt", "both"])
def test_cli_not_built_is_a_one_line_error(tmp_path, missing):
    ws = built(tmp_path, page())
    for name in ("index.html", "index.txt"):
        if missing in (name, "both"):
            (ws / "issues/2020-10" / name).unlink()
    result = invoke(ws, "2020-10")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "error: issue 2020-10 is not built yet; run 'enews build 2020-10'\n"
    )


def test_cli_built_demo_passes(tmp_path, demo):
    html, text, _ = demo
    result = invoke(built(tmp_path, html, text), "2020-10")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [x.split()[:2] for x in lines[:7]] == [["PASS", name] for name in CHECKS]
    assert lines[7] == "0 failed, 0 warned, 7 passed"


@pytest.mark.parametrize(
    ("tamper", "line", "detail"),
    [
        ("<script>alert(1)</script>", "FAIL safety", "<script>"),
        ('<a href="news/1.html">More</a>', "FAIL links", 'href="news/1.html"'),
    ],
)
def test_cli_tampered_issue_fails_after_printing_the_report(
    tmp_path, demo, tamper, line, detail
):
    html, text, _ = demo
    ws = built(tmp_path, html.replace("</body>", tamper + "</body>"), text)
    result = invoke(ws, "2020-10")
    assert result.exit_code == 1
    assert any(x.startswith(line) for x in result.stdout.splitlines())
    assert detail in result.stdout
    assert result.stdout.splitlines()[-1] == "1 failed, 0 warned, 6 passed"


def test_cli_warnings_alone_exit_zero(tmp_path):
    result = invoke(built(tmp_path, padded(page(), 95 * KB)), "2020-10")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("WARN size ")


def test_cli_json(tmp_path, demo):
    html, text, _ = demo
    result = invoke(built(tmp_path, html, text), "2020-10", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["ok"] is True
    assert [c["name"] for c in data["checks"]] == list(CHECKS)

    bad = built(tmp_path / "bad", page(ITEM + "<iframe></iframe>"))
    result = invoke(bad, "2020-10", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["counts"]["fail"] == 1


def test_cli_configured_unsubscribe_url_counts_as_the_link(tmp_path):
    leave = "https://coop.example/leave"
    ws = built(tmp_path, page(unsubscribe=f'<a href="{leave}">Leave</a>'), TEXT + leave)
    assert invoke(ws, "2020-10").exit_code == 1
    (ws / "enews.toml").write_text(f'unsubscribe_url = "{leave}"\n', encoding="utf-8")
    result = invoke(ws, "2020-10")
    assert result.exit_code == 0, result.output
    assert "PASS unsubscribe" in result.stdout


def test_cli_help_has_an_example():
    result = CliRunner().invoke(cli, ["check", "--help"])
    assert result.exit_code == 0
    assert re.search(r"Example:\n\s+enews check 2020-10\n", result.output)
