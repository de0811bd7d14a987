"""An issue's featured item, its fields, the order of its sections, its
optimistic lock, and the view of it the templates get
(enews.compose.issues)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm.exc import StaleDataError

from enews.compose.issues import (
    add_to_issue,
    get_issue,
    move_in_issue,
    remove_from_issue,
    set_featured,
    set_fields,
)
from enews.config import Settings
from enews.errors import NotFoundError, ValidationError
from tests.factories import make_issue, make_item
from tests.helpers_assemble import day, sections

# Fixtures, found by pytest under these names (``as``: a deliberate re-export).
from tests.helpers_assemble import items as items
from tests.helpers_assemble import three_news as three_news

# --- featured --------------------------------------------------------------


def featured(issue) -> list[int]:
    return [e.item_id for e in issue.entries if e.featured]


def test_set_featured_exactly_one(session, items):
    issue = make_issue(session)
    set_featured(session, "2020-10", items.article.id)
    assert featured(issue) == [items.article.id]
    set_featured(session, "2020-10", items.interview.id)
    assert featured(issue) == [items.interview.id]


def test_set_featured_none(session, items):
    issue = make_issue(session)
    set_featured(session, "2020-10", items.article.id)
    set_featured(session, "2020-10", None)
    assert featured(issue) == []


def test_set_featured_rejects_item_not_in_issue(session, items):
    issue = make_issue(session)
    set_featured(session, "2020-10", items.article.id)
    with pytest.raises(NotFoundError):
        set_featured(session, "2020-10", items.september.id)
    assert featured(issue) == [items.article.id]


# --- set_fields ------------------------------------------------------------


def test_set_fields_changes_texts(session, items):
    make_issue(session)
    issue = set_fields(
        session,
        "2020-10",
        title="  New title ",
        subject="Subject",
        preheader="Pre",
        intro="Two lines\nof intro.",
    )
    assert issue.title == "New title"
    assert (issue.subject, issue.preheader) == ("Subject", "Pre")
    assert issue.intro == "Two lines\nof intro."
    assert issue.status == "draft"  # the review steps change it (compose/review)


def test_set_fields_none_keeps_and_empty_clears(session, items):
    issue = make_issue(session)
    set_fields(session, "2020-10", intro="Hello", preheader="Pre")
    set_fields(session, "2020-10", intro=None, preheader="  ")
    assert issue.intro == "Hello"
    assert issue.preheader is None


@pytest.mark.parametrize(
    ("field", "limit"),
    [("title", 200), ("subject", 250), ("preheader", 300), ("intro", 5000)],
)
def test_set_fields_checks_lengths(session, items, field, limit):
    issue = make_issue(session)
    set_fields(session, "2020-10", **{field: "x" * limit})
    with pytest.raises(ValidationError) as info:
        set_fields(session, "2020-10", **{field: "y" * (limit + 1)})
    assert info.value.field == field
    assert getattr(issue, field) == "x" * limit


@pytest.mark.parametrize("status", ["published", "Draft", ""])
def test_set_fields_rejects_bad_status(session, items, status):
    issue = make_issue(session)
    with pytest.raises(ValidationError) as info:
        set_fields(session, "2020-10", status=status)
    assert info.value.field == "status"
    assert issue.status == "draft"


def test_set_fields_rejects_empty_title(session, items):
    issue = make_issue(session)
    with pytest.raises(ValidationError) as info:
        set_fields(session, "2020-10", title="   ")
    assert info.value.field == "title"
    assert issue.title == "October issue"


@pytest.mark.parametrize("name", ["period", "version", "colour"])
def test_set_fields_rejects_unknown_field(session, items, name):
    issue = make_issue(session)
    with pytest.raises(ValidationError) as info:
        set_fields(session, "2020-10", **{name: "x"})
    assert info.value.field == name
    assert (issue.period, issue.version) == ("2020-10", 1)


# --- ordered_sections ------------------------------------------------------


def test_ordered_sections_follow_settings_then_a_to_z(session):
    ids = {}
    for n, kind in enumerate(["Podcast", "Interview", "Event", "News", "Article"], 1):
        ids[kind] = make_item(session, kind=kind, date=day(n)).id
    issue = make_issue(session)
    assert sections(issue) == [
        ("News", [ids["News"]]),
        ("Article", [ids["Article"]]),
        ("Interview", [ids["Interview"]]),
        ("Event", [ids["Event"]]),
        ("Podcast", [ids["Podcast"]]),
    ]
    custom = Settings(section_order=("Podcast", "News"))
    assert [name for name, _ in sections(issue, custom)] == [
        "Podcast",
        "News",
        "Article",
        "Event",
        "Interview",
    ]


def test_ordered_sections_entries_in_position_order(session, items, three_news):
    move_in_issue(session, "2020-10", items.news_old.id, position=1)
    assert sections(three_news)[0] == (
        "News",
        [items.news_old.id, items.news_new.id, items.september.id],
    )


# --- optimistic lock -------------------------------------------------------


def test_version_increments_on_every_change(session, items):
    issue = make_issue(session)
    assert issue.version == 1
    steps = [
        lambda: add_to_issue(session, "2020-10", items.september.id),
        lambda: move_in_issue(session, "2020-10", items.september.id, position=1),
        lambda: move_in_issue(
            session, "2020-10", items.news_old.id, position=1, section="Article"
        ),
        lambda: remove_from_issue(session, "2020-10", items.september.id),
        lambda: set_featured(session, "2020-10", items.article.id),
        lambda: set_featured(session, "2020-10", None),
        lambda: set_fields(session, "2020-10", intro="Hello"),
    ]
    for expected, step in enumerate(steps, start=2):
        step()
        assert issue.version == expected
    session.expire_all()
    assert get_issue(session, "2020-10").version == len(steps) + 1


def test_pure_reorder_bumps_the_stored_version(session, items, three_news):
    before = three_news.version
    move_in_issue(session, "2020-10", items.september.id, position=1)
    session.expire_all()
    assert get_issue(session, "2020-10").version == before + 1


def test_stale_update_from_second_session_fails(workspace, session, items):
    make_issue(session)
    session.commit()
    with workspace.sessions()() as other:
        stale = get_issue(other, "2020-10")
        assert stale.version == 1

        set_fields(session, "2020-10", intro="Saved first")
        session.commit()

        with pytest.raises(StaleDataError):
            set_fields(other, "2020-10", intro="Saved second")
        other.rollback()

    session.expire_all()
    assert get_issue(session, "2020-10").intro == "Saved first"


def test_stale_reorder_from_second_session_fails(workspace, session, items):
    make_issue(session)
    session.commit()
    with workspace.sessions()() as other:
        # Keep a reference: the identity map is weak, and an unreferenced
        # Issue would be reloaded fresh by move_in_issue.
        stale = get_issue(other, "2020-10")
        assert len(stale.entries) == 4
        move_in_issue(session, "2020-10", items.news_old.id, position=1)
        session.commit()
        with pytest.raises(StaleDataError):
            move_in_issue(other, "2020-10", items.news_new.id, position=2)
        other.rollback()


def test_the_view_carries_every_field_of_an_item(session):
    from enews.compose.view import load_issue_view

    item = make_item(
        session,
        kind="Interview",
        title="A talk",
        url="https://e.org/talk",
        date="2020-10-09",
        summary="<p>Rich <a href='https://e.org/r'>text</a></p>",
        image_url="https://e.org/i.png",
        image_alt="A hall",
    )
    make_issue(session)
    view = load_issue_view(session, "2020-10", Settings())
    (section,) = view.sections
    (seen,) = section.items
    assert section.kind == "Interview"
    assert (seen.id, seen.kind, seen.title, seen.url) == (
        item.id, "Interview", "A talk", "https://e.org/talk",
    )  # fmt: skip
    assert (seen.date, seen.iso_date) == ("9 October 2020", "2020-10-09")
    assert (seen.image_url, seen.image_alt) == ("https://e.org/i.png", "A hall")
    assert seen.summary_html == '<p>Rich <a href="https://e.org/r">text</a></p>'
    assert seen.paragraphs == ("Rich text <https://e.org/r>",)


def test_the_view_sees_changes_not_yet_flushed(session, items, three_news):
    from enews.compose.view import load_issue_view

    entry = next(e for e in three_news.entries if e.item_id == items.september.id)
    entry.featured = True  # no flush: the view's queries must flush it first
    view = load_issue_view(session, "2020-10", Settings())
    assert view.featured is not None and view.featured.id == items.september.id
