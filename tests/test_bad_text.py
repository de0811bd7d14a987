"""Characters no email can carry are refused at the one place every entry
point uses (``limits.clean_chars``); C1 controls become the Windows-1252
characters they stood for; a row that still holds one is named by the build.
"""

from __future__ import annotations

import pytest
from sqlalchemy import update

from enews import limits
from enews.compose import issues
from enews.compose.items import check_form, make_draft
from enews.errors import EnewsError, ValidationError
from enews.publish.build import build_issue
from enews.store.models import Item
from tests.factories import make_issue, make_item
from tests.helpers_cli import Run, add, initialised, ok, one_line_error, run, ws

__all__ = ["initialised", "run", "ws"]

# Each breaks MJML's XML parse ("unable to parse next template") or UTF-8.
BREAKING = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x0e", "\x1b", "\x1f", "\x7f"]
BREAKING += ["\ufffe", "\uffff", "\ufdd0", "\U0001fffe", "\ud800", "\udfff"]


@pytest.mark.parametrize("char", BREAKING)
@pytest.mark.parametrize("field", ["kind", "title", "summary", "image_alt"])
def test_every_item_text_refuses_what_would_break_the_email(char, field):
    with pytest.raises(ValidationError) as refused:
        make_draft(**{field: f"before{char}after"})
    assert refused.value.field == field
    assert f"U+{ord(char):04X}" in refused.value.problem
    assert "at character 7" in refused.value.problem


@pytest.mark.parametrize("reference", ["&#1;", "&#x1b;", "&#65534;", "&#xFFFF;"])
def test_character_references_in_html_summaries_are_refused_too(reference):
    with pytest.raises(ValidationError) as refused:
        make_draft(summary=f"<p>News {reference} here</p>")
    assert refused.value.field == "summary"


def test_c1_controls_become_the_windows_1252_characters_they_stood_for():
    draft = make_draft(title="\x93Quoted\x94 \x96 caf\x82", summary="It\x92s here")
    assert draft.title == "\u201cQuoted\u201d \u2013 caf\u201a"
    assert draft.summary == "It\u2019s here"


@pytest.mark.parametrize("char", ["\x81", "\x8d", "\x8f", "\x90", "\x9d"])
def test_c1_controls_without_a_windows_1252_meaning_are_refused(char):
    with pytest.raises(ValidationError, match=f"U\\+{ord(char):04X}"):
        make_draft(title=f"x{char}")


def test_tabs_and_line_breaks_stay_allowed():
    assert make_draft(summary="one\ttab\r\n\r\ntwo").summary is not None
    assert limits.clean_chars("a\tb\nc\rd", "intro") == "a\tb\nc\rd"


def test_the_web_form_names_the_field_of_a_control_character():
    values = {"kind": "News", "title": "ok", "date": "2020-10-01"}
    draft, problems = check_form({**values, "title": "bad\x00title"})
    assert draft is None
    assert "U+0000" in problems["title"]


@pytest.mark.parametrize("field", ["title", "subject", "preheader", "intro"])
def test_issue_texts_refuse_control_characters(session, field):
    issue = make_issue(session)
    with pytest.raises(ValidationError) as refused:
        issues.set_fields(session, issue.slug, **{field: "Hello\x01"})
    assert refused.value.field == field


def test_a_stored_row_with_a_control_character_is_named_by_the_build(
    session, workspace
):
    """Rows written before the rule (or behind enews's back) are named,
    instead of MJML's "unable to parse next template in root template"."""
    item = make_item(session, title="Forum opens")
    issue = make_issue(session)
    session.execute(
        update(Item).where(Item.id == item.id).values(summary="bad\x01summary")
    )
    session.commit()
    with pytest.raises(EnewsError) as refused:
        build_issue(
            session, issue.slug, settings=workspace.settings, workspace=workspace.root
        )
    message = str(refused.value)
    assert f"item {item.id}" in message
    assert "'Forum opens'" in message
    assert "summary holds a control character, U+0001" in message


def test_cli_refuses_bytes_that_are_not_utf8(run: Run, initialised):
    # Python keeps argv bytes that are not UTF-8 as lone surrogates.
    result = run("item", "add", "--kind", "News", "--date", "2020-10-01",
                 "--title", "caf\udce9")  # fmt: skip
    one_line_error(result, "title:", "not UTF-8", "0xE9")


def test_cli_issue_intro_with_a_nul_is_one_line(run: Run, initialised):
    add(run, title="An item")
    ok(run("issue", "new", "October", "--month", "2020-10"))
    result = run("issue", "set", "2020-10", "--intro", "Hello\x00there")
    one_line_error(result, "intro:", "U+0000")


def test_csv_with_a_nul_byte_names_the_line(run: Run, initialised, tmp_path):
    source = tmp_path / "items.csv"
    source.write_bytes(b"kind,title,date\nNews,ok,2020-10-01\nNews,a\x00b,2020-10-02\n")
    result = run("import", str(source))
    assert result.exit_code != 0
    assert "items.csv:3: title:" in result.output
    assert "U+0000" in result.output
    assert ok(run("item", "list", "--json")).stdout.strip() == "[]"


@pytest.mark.parametrize("field", ["kind", "title", "summary", "image_alt", "url"])
def test_an_enews_template_token_in_an_item_is_refused(field):
    """Typed into an item, [[enews:unsubscribe]] became the service's live
    unsubscribe tag in the email, and the words around it were lost."""
    value = "a [[enews:first_name]]"
    if field == "url":
        value = "https://e.org/[[enews:unsubscribe]]"
    with pytest.raises(ValidationError) as refused:
        make_draft(**{field: value})
    assert refused.value.field == field
    assert "a token only the templates may write" in refused.value.problem


def test_a_token_written_as_character_references_is_refused_too():
    with pytest.raises(
        ValidationError, match=r"summary: holds \[\[enews:unsubscribe\]\]"
    ):
        make_draft(summary="<p>&#91;&#91;enews:unsubscribe&#93;&#93;</p>")


def test_an_issue_intro_may_not_hold_a_token(session):
    issue = make_issue(session)
    with pytest.raises(ValidationError) as refused:
        issues.set_fields(session, issue.slug, intro="Hi [[enews:web_version]]")
    assert refused.value.field == "intro"


def test_text_that_merely_looks_like_a_token_stays(session):
    assert make_draft(title="[[not a token]] and [[enews:]]").title is not None


@pytest.mark.parametrize("char", ["\ufffe", "\x01", "\ud800"])
@pytest.mark.parametrize("field", ["url", "image_url"])
def test_a_link_refuses_what_no_email_may_carry(char, field):
    """Once stored, then refused by every build ("url holds a noncharacter")."""
    with pytest.raises(ValidationError) as refused:
        make_draft(**{field: f"https://e.org/{char}"})
    assert refused.value.field == ("image" if field == "image_url" else field)


@pytest.mark.parametrize("char", ["\x80", "\u200b", "\u202e", "\u00a0", "\ue000"])
def test_a_link_refuses_invisible_and_control_characters(char):
    """A C1 control, a zero-width space, a bidi override, a no-break space, a
    private-use character: the link is broken or disguised (and mjml-python
    wrote U+0080 in an href as "\\u{80}")."""
    with pytest.raises(ValidationError) as refused:
        make_draft(url=f"https://e.org/x{char}b")  # no x with an acute
    assert refused.value.field == "url"


def test_a_link_with_an_accent_is_composed_and_kept():
    assert make_draft(url="https://e.org/zoe\u0308").url == "https://e.org/zo\u00eb"


def test_a_link_with_marks_nfc_cannot_compose_is_kept(session, workspace):
    """An IRI in Hindi: its vowel signs are marks; the email keeps them."""
    from enews.publish.bundle_check import check_bundle

    url = "https://hi.example/\u0928\u092e\u0938\u094d\u0924\u0947"
    make_item(session, url=url)
    issue = make_issue(session)
    settings = workspace.settings
    bundle = build_issue(
        session, issue.slug, settings=settings, workspace=workspace.root
    )
    report = check_bundle(bundle.html, bundle.text, settings)
    assert report.get("links").status == "pass"
    assert report.get("text").status == "pass"


def test_a_stored_row_with_a_token_is_named_by_the_build(session, workspace):
    item = make_item(session, title="Forum opens")
    issue = make_issue(session)
    session.execute(
        update(Item).where(Item.id == item.id).values(title="[[enews:first_name]]")
    )
    with pytest.raises(EnewsError, match=f"item {item.id} .*: title holds"):
        build_issue(
            session, issue.slug, settings=workspace.settings, workspace=workspace.root
        )
