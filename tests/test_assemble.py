"""Drafting issues and arranging their items (enews.compose.issues)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from sqlalchemy.orm.exc import StaleDataError

from enews.compose.issues import (
    add_to_issue,
    get_issue,
    list_issues,
    move_in_issue,
    ordered_sections,
    remove_from_issue,
    set_featured,
    set_fields,
)
from enews.compose.items import delete_item
from enews.config import Settings
from enews.errors import ConflictError, NotFoundError, ValidationError
from tests.factories import make_issue, make_item


def day(n: int, month: int = 10) -> dt.date:
    return dt.date(2020, month, n)


@pytest.fixture
def items(session):
    """Two News, one Article, one Interview in October; one item either side."""
    return SimpleNamespace(
        september=make_item(session, kind="News", date=day(30, 9)),
        news_old=make_item(session, kind="News", date=day(3)),
        article=make_item(session, kind="Article", date=day(10)),
        news_new=make_item(session, kind="News", date=day(20)),
        interview=make_item(session, kind="Interview", date=day(25)),
        november=make_item(session, kind="Article", date=day(1, 11)),
    )


def section(issue, name: str) -> list[int]:
    """Item ids of a section in position order, checking positions are 0..n-1."""
    entries = sorted(
        (e for e in issue.entries if e.section == name),
        key=lambda e: (e.position, e.item_id),
    )
    assert [e.position for e in entries] == list(range(len(entries)))
    return [e.item_id for e in entries]


def sections(issue, settings=None) -> list[tuple[str, list[int]]]:
    return [
        (name, [e.item_id for e in entries])
        for name, entries in ordered_sections(issue, settings or Settings())
    ]


# --- draft_issue -----------------------------------------------------------


def test_draft_takes_only_the_months_items_grouped_newest_first(session, items):
    issue = make_issue(session, month="2020-10", title="October issue")
    assert {e.item_id for e in issue.entries} == {
        items.news_old.id,
        items.article.id,
        items.news_new.id,
        items.interview.id,
    }
    assert {e.section for e in issue.entries} == {"News", "Article", "Interview"}
    assert section(issue, "News") == [items.news_new.id, items.news_old.id]
    assert section(issue, "Article") == [items.article.id]
    assert not any(e.featured for e in issue.entries)


def test_draft_defaults(session, items):
    issue = make_issue(session, month="2020-10", title="  October   issue ")
    assert (issue.period, issue.version) == ("2020-10", 1)
    assert issue.period == "2020-10"
    assert issue.title == "October issue"
    assert issue.subject is None  # the view derives it until one is set
    assert issue.status == "draft"
    assert issue.version == 1
    assert get_issue(session, "2020-10") is issue


def test_draft_of_an_empty_month_has_no_entries(session, items):
    issue = make_issue(session, month="2021-03", title="March issue")
    assert issue.entries == []


def test_draft_with_explicit_slug(session, items):
    issue = make_issue(session, slug="october-special")
    assert issue.slug == "october-special"
    assert issue.period == "2020-10"
    assert len(issue.entries) == 4


@pytest.mark.parametrize(
    "slug", ["October", "oct 2020", "-oct", "oct_2020", "oct/2020", "é", "a" * 101]
)
def test_draft_rejects_bad_slug(session, slug):
    with pytest.raises(ValidationError) as info:
        make_issue(session, slug=slug)
    assert info.value.field == "slug"


@pytest.mark.parametrize("month", ["2020-13", "2020-1", "October", "2020-10-01"])
def test_draft_rejects_bad_month(session, month):
    with pytest.raises(ValidationError) as info:
        make_issue(session, month=month)
    assert info.value.field == "month"


def test_draft_rejects_empty_title(session):
    with pytest.raises(ValidationError) as info:
        make_issue(session, title=" \n ")
    assert info.value.field == "title"
    assert list_issues(session) == []


def test_draft_rejects_over_long_title(session):
    with pytest.raises(ValidationError) as info:
        make_issue(session, title="x" * 201)
    assert info.value.field == "title"


def test_draft_rejects_duplicate_slug(session, items):
    make_issue(session)
    with pytest.raises(ConflictError, match="2020-10"):
        make_issue(session, title="Again")
    assert len(list_issues(session)) == 1


def test_get_missing_issue_is_not_found(session):
    with pytest.raises(NotFoundError, match="nope"):
        get_issue(session, "nope")


# --- add / remove ----------------------------------------------------------


def test_add_appends_at_end_of_its_kind_section(session, items):
    issue = make_issue(session)
    entry = add_to_issue(session, "2020-10", items.september.id)
    assert entry.section == "News"
    assert section(issue, "News") == [
        items.news_new.id,
        items.news_old.id,
        items.september.id,
    ]


def test_add_into_a_named_section(session, items):
    issue = make_issue(session)
    add_to_issue(session, "2020-10", items.november.id, section="Interview")
    assert section(issue, "Interview") == [items.interview.id, items.november.id]
    assert section(issue, "Article") == [items.article.id]


def test_add_refuses_duplicates(session, items):
    issue = make_issue(session)
    with pytest.raises(ConflictError, match=str(items.article.id)):
        add_to_issue(session, "2020-10", items.article.id)
    assert len(issue.entries) == 4


def test_add_unknown_issue_or_item_is_not_found(session, items):
    make_issue(session)
    with pytest.raises(NotFoundError):
        add_to_issue(session, "2099-01", items.september.id)
    with pytest.raises(NotFoundError):
        add_to_issue(session, "2020-10", 999)


def test_add_after_a_deleted_item_still_appends_at_end(workspace):
    with workspace.transaction() as session:
        older = make_item(session, kind="News", date=day(30, 9)).id
        make_item(session, kind="News", date=day(1))
        make_item(session, kind="News", date=day(2))
        newest = make_item(session, kind="News", date=day(3)).id
        make_issue(session)
    with workspace.transaction() as session:
        delete_item(session, newest)
    with workspace.transaction() as session:
        add_to_issue(session, "2020-10", older)
    with workspace.transaction() as session:
        assert section(get_issue(session, "2020-10"), "News")[-1] == older


def test_remove_renumbers_positions(session, items):
    issue = make_issue(session)
    add_to_issue(session, "2020-10", items.september.id)
    remove_from_issue(session, "2020-10", items.news_old.id)
    assert section(issue, "News") == [items.news_new.id, items.september.id]
    assert items.news_old.id not in {e.item_id for e in issue.entries}


def test_remove_last_entry_drops_the_section(session, items):
    issue = make_issue(session)
    remove_from_issue(session, "2020-10", items.article.id)
    assert [name for name, _ in sections(issue)] == ["News", "Interview"]


def test_remove_item_not_in_issue_is_not_found(session, items):
    make_issue(session)
    with pytest.raises(NotFoundError, match=str(items.september.id)):
        remove_from_issue(session, "2020-10", items.september.id)


# --- move ------------------------------------------------------------------


@pytest.fixture
def three_news(session, items):
    """An issue whose News section is [news_new, news_old, september]."""
    issue = make_issue(session)
    add_to_issue(session, "2020-10", items.september.id)
    return issue


def test_move_to_top(session, items, three_news):
    move_in_issue(session, "2020-10", items.september.id, position=1)
    assert section(three_news, "News") == [
        items.september.id,
        items.news_new.id,
        items.news_old.id,
    ]


def test_move_to_bottom_and_middle(session, items, three_news):
    move_in_issue(session, "2020-10", items.news_new.id, position=3)
    assert section(three_news, "News") == [
        items.news_old.id,
        items.september.id,
        items.news_new.id,
    ]
    move_in_issue(session, "2020-10", items.news_new.id, position=2)
    assert section(three_news, "News") == [
        items.news_old.id,
        items.news_new.id,
        items.september.id,
    ]


@pytest.mark.parametrize("position", [0, -1, 4, 100])
def test_move_out_of_range_names_position(session, items, three_news, position):
    with pytest.raises(ValidationError) as info:
        move_in_issue(session, "2020-10", items.news_old.id, position=position)
    assert info.value.field == "position"
    assert "between 1 and 3" in info.value.problem
    assert section(three_news, "News") == [
        items.news_new.id,
        items.news_old.id,
        items.september.id,
    ]


def test_move_to_another_section_renumbers_both(session, items, three_news):
    entry = move_in_issue(
        session, "2020-10", items.news_new.id, position=1, section="Article"
    )
    assert entry.section == "Article"
    assert section(three_news, "Article") == [items.news_new.id, items.article.id]
    assert section(three_news, "News") == [items.news_old.id, items.september.id]


def test_move_to_end_of_another_section(session, items, three_news):
    move_in_issue(session, "2020-10", items.news_old.id, position=2, section="Article")
    assert section(three_news, "Article") == [items.article.id, items.news_old.id]
    with pytest.raises(ValidationError) as info:
        move_in_issue(
            session, "2020-10", items.news_new.id, position=4, section="Article"
        )
    assert info.value.field == "position"


def test_move_into_a_new_section(session, items, three_news):
    move_in_issue(session, "2020-10", items.september.id, position=1, section="Archive")
    assert section(three_news, "Archive") == [items.september.id]
    assert section(three_news, "News") == [items.news_new.id, items.news_old.id]


def test_move_item_not_in_issue_is_not_found(session, items):
    make_issue(session)
    with pytest.raises(NotFoundError):
        move_in_issue(session, "2020-10", items.november.id, position=1)


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
        status="ready",
    )
    assert issue.title == "New title"
    assert (issue.subject, issue.preheader) == ("Subject", "Pre")
    assert issue.intro == "Two lines\nof intro."
    assert issue.status == "ready"


def test_set_fields_none_keeps_and_empty_clears(session, items):
    issue = make_issue(session)
    set_fields(session, "2020-10", intro="Hello", preheader="Pre")
    set_fields(session, "2020-10", intro=None, preheader="  ")
    assert issue.intro == "Hello"
    assert issue.preheader is None


@pytest.mark.parametrize(
    ("field", "limit"),
    [("title", 200), ("subject", 300), ("preheader", 300), ("intro", 5000)],
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
