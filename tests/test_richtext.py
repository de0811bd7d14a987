"""Rich-text summaries: sanitized on the way in, and safe in the email."""

from __future__ import annotations

import html
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enews import limits
from enews.config import Settings
from enews.errors import ValidationError
from enews.publish.build import build_issue
from enews.render.richtext import (
    MAX_DEPTH,
    clean_summary,
    guess_format,
    html_to_paragraphs,
    nesting_depth,
    sanitize,
    tokens,
)
from tests.factories import make_issue, make_item

HOSTILE = (
    '<p onclick="steal()">Read <a href="javascript:alert(1)">this</a>, '
    '<a href="/relative">that</a> and <a href="https://coop.example/x" '
    'target="_blank" style="color:red">the report</a>.<script>alert(1)</script>'
    "<img src=x onerror=alert(1)><iframe src=https://evil.example></iframe></p>"
    "<ul><li><b>One</b></li><li><em>Two</em></li></ul>"
)


def test_hostile_html_is_reduced_to_the_allowed_set():
    stored, fmt = clean_summary(HOSTILE)
    assert fmt == "html"
    assert stored == (
        '<p>Read this, that and <a href="https://coop.example/x">the report</a>.</p>'
        "<ul><li>One</li><li><em>Two</em></li></ul>"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Plain & simple, 5 < 6", ("Plain & simple, 5 < 6", "text")),
        ("Tom &amp; Jerry", ("Tom & Jerry", "text")),  # entities only: plain
        ("SACCOs <a field note>", ("SACCOs <a field note>", "text")),
        ("**Bold** move", ("<p><strong>Bold</strong> move</p>", "html")),
        ("[r](https://e.org/r)", ('<p><a href="https://e.org/r">r</a></p>', "html")),
        ("[bad](javascript:alert(1))", ("[bad](javascript:alert(1))", "text")),
        ("  two\n  lines  ", ("two\nlines", "text")),
    ],
)  # fmt: skip
def test_formats_are_guessed_and_normalised(text, expected):
    assert clean_summary(text) == expected


def test_declared_format_wins_over_guessing():
    assert clean_summary("<b>not markup</b>", "text") == ("<b>not markup</b>", "text")
    assert clean_summary("*em*", "text") == ("*em*", "text")
    with pytest.raises(ValidationError, match="summary_format"):
        clean_summary("x", "rtf")


def test_huge_summary_is_refused_before_parsing():
    with pytest.raises(ValidationError, match=f"at most {limits.SUMMARY}"):
        clean_summary("<p>" + "x" * 50_000_000 + "</p>")


def test_guess_format():
    assert guess_format("a <br> b") == "html"
    assert guess_format("- item") == "markdown"
    assert guess_format("just words") == "text"


def test_text_part_of_rich_summary_keeps_links():
    stored, _ = clean_summary(
        '<p>See <a href="https://e.org/r">the report</a>.</p><ul><li>one</li></ul>'
    )
    assert html_to_paragraphs(stored) == ("See the report <https://e.org/r>.", "- one")


def test_rich_summary_in_the_built_email(session):
    make_item(session, title="Rich", summary=HOSTILE, date="2020-10-05")
    make_issue(session)
    bundle = build_issue(session, "2020-10", settings=Settings(), workspace=None)
    html = bundle.html.lower()
    for bad in (
        "<script",
        "javascript:",
        "onclick",
        "onerror",
        "<iframe",
        "<img src=x",
    ):
        assert bad not in html
    # premailer inlined the template's .rich rules onto the summary markup
    link = '<a href="https://coop.example/x" style="color:#1f5f8b; text-decoration:'
    assert link + 'underline">' in bundle.html
    assert "the report <https://coop.example/x>" in bundle.text


def test_stored_html_is_sanitized_again_when_rendered(session):
    rich = make_item(session, title="Tampered", summary="<p><em>fine</em></p>")
    plain = make_item(session, title="Plain", summary="fine")
    assert (rich.summary_format, plain.summary_format) == ("html", "text")
    # both edited behind enews's back, straight in the database
    rich.summary = '<p><em>fine</em></p><script>alert("db")</script>'
    plain.summary = '<script>alert("db")</script>'
    make_issue(session)
    html = build_issue(session, "2020-10", settings=Settings(), workspace=None).html
    assert "<script" not in html
    assert html.count("alert") == 1  # the plain one, escaped as text
    assert "&lt;script&gt;alert(" in html


def test_tokens_of_a_sanitized_fragment():
    stored, _ = clean_summary(
        '<p>Tom &amp; Jerry <a href="https://e.org/?a=1&amp;b=2">the &lt;list&gt;</a>'
        "<br/>caf\u00e9&nbsp;&#169;</p><ul><li>One</li></ul>tail",
        "html",
    )
    assert list(tokens(stored)) == [
        ("start", "p", None),
        ("data", "Tom & Jerry ", None),
        ("start", "a", "https://e.org/?a=1&b=2"),  # the href, entities decoded
        ("data", "the <list>", None),
        ("end", "a", None),
        ("start", "br", None),  # a void tag has no end
        ("data", "caf\u00e9\u00a0\u00a9", None),
        ("end", "p", None),
        ("start", "ul", None),
        ("start", "li", None),
        ("data", "One", None),
        ("end", "li", None),
        ("end", "ul", None),
        ("data", "tail", None),  # text after the last tag too
    ]
    # a self-closed tag, should one come from elsewhere, is a start alone too
    assert list(tokens("a<br/>b")) == [
        ("data", "a", None),
        ("start", "br", None),
        ("data", "b", None),
    ]


def test_upper_case_link_schemes():
    stored, fmt = clean_summary(
        '<p><a href="HTTPS://E.org/R">the report</a>, <a href="JAVASCRIPT:alert(1)">'
        'this</a> and <a href="MAILTO:x@e.org">mail</a></p>'
    )
    assert fmt == "html"
    assert stored == (
        '<p><a href="HTTPS://E.org/R">the report</a>, this and '
        '<a href="MAILTO:x@e.org">mail</a></p>'
    )
    assert sanitize(stored) == stored  # kept again when rendered
    assert html_to_paragraphs(stored) == (
        "the report <HTTPS://E.org/R>, this and mail <MAILTO:x@e.org>",
    )


def _serialize(found: list[tuple[str, str, str | None]]) -> str:
    # nh3's normal form: text with &, <, > and no-break spaces escaped, the
    # one attribute double-quoted with " escaped too.
    def escape(text: str) -> str:
        return html.escape(text, quote=False).replace("\u00a0", "&nbsp;")

    out = []
    for kind, value, href in found:
        if kind == "data":
            out.append(escape(value))
        elif kind == "end":
            out.append(f"</{value}>")
        elif href is None:
            out.append(f"<{value}>")
        else:
            out.append(f'<{value} href="{escape(href).replace(chr(34), "&quot;")}">')
    return "".join(out)


_PIECES = st.sampled_from(
    [
        "<p>", "</p>", "<ul>", "<ol>", "<li>", "</li>", "</ul>", "<br>", "<br/>",
        "<strong>", "</strong>", "<em>", "<B>", "</a>", "<script>x</script>",
        '<a href="https://e.org/?a=1&amp;b=2">', '<a href="mailto:x@e.org">',
        '<a href="javascript:alert(1)">', "<a>", "<!-- note -->", "<img src=x>",
        "x@e.org", "https://e.org/?a=1&b=2", "&amp;", "&lt;b&gt;", "&nbsp;",
        "&#169;", "&copy", " < ", " > ", '"', "'", "café", "words and more ",
        "\n", "  ",
    ]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=25))
def test_tokens_lose_nothing_of_a_sanitized_fragment(pieces):
    stored, _ = clean_summary("<p>x</p>" + "".join(pieces), "html")
    found = list(tokens(stored))
    assert _serialize(found) == stored
    # text is whole between tags: never two data tokens in a row
    kinds = [kind for kind, _, _ in found]
    assert ("data", "data") not in itertools.pairwise(kinds)


def test_a_summary_nested_deeper_than_the_cap_is_refused():
    """500 nested <em> once built an email whose footer lxml never read
    (libxml2 stops at 256 levels), so the unsubscribe check failed."""
    deep = "<em>" * 500 + "deep" + "</em>" * 500
    with pytest.raises(ValidationError) as refused:
        clean_summary(deep, "html")
    assert refused.value.field == "summary"
    assert "nests tags 500 levels deep, at most 32" in refused.value.problem


def test_nesting_up_to_the_cap_is_kept():
    edge = "<em>" * 32 + "deep" + "</em>" * 32
    assert clean_summary(edge, "html") == (edge, "html")


def test_markdown_nests_within_the_cap_by_itself():
    # markdown-it stops nesting at 20 levels; deeper marks stay text.
    nested_list = "\n".join("  " * depth + "- x" for depth in range(40))
    stored, fmt = clean_summary(nested_list, "markdown")
    assert fmt == "html"
    assert stored is not None
    assert nesting_depth(stored) <= MAX_DEPTH


def test_a_stored_row_nested_too_deep_still_builds_whole(session, workspace):
    """A row written behind enews's back: its tags beyond the cap go, its
    words stay, and the email keeps its footer."""
    from sqlalchemy import update

    from enews.publish.bundle_check import check_bundle
    from enews.store.models import Item

    item = make_item(session, summary="x")
    make_issue(session)
    deep = "<strong>" * 300 + "deep words" + "</strong>" * 300
    values = {"summary": deep, "summary_format": "html"}
    session.execute(update(Item).where(Item.id == item.id).values(**values))
    settings = workspace.settings
    bundle = build_issue(
        session, "2020-10", settings=settings, workspace=workspace.root
    )
    assert "deep words" in bundle.html
    assert bundle.html.count("<strong") <= MAX_DEPTH + 1  # the template's own
    report = check_bundle(bundle.html, bundle.text, settings)
    assert report.get("unsubscribe").status == "pass"
    assert sanitize(deep).count("</strong>") == 32


@pytest.mark.parametrize(
    "href",
    ["https://[::1/", "https://e.org:99999/", "https://e.org/a\u200bb", "http://"],
)
def test_a_summary_link_the_check_would_fail_keeps_only_its_words(href):
    stored = clean_summary(f'<p>See <a href="{href}">the report</a> now</p>', "html")
    assert stored == ("See the report now", "text")
