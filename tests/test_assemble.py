"""Drafting issues and arranging their items (enews.compose.issues):
drafts, adding, removing and moving items.

The featured item, the issue's fields, the order of sections, the
optimistic lock and the view are in test_assemble_fields.py.
"""

from __future__ import annotations

import pytest

from enews.compose.issues import (
    add_to_issue,
    get_issue,
    list_issues,
    move_in_issue,
    remove_from_issue,
)
from enews.compose.items import delete_item
from enews.errors import ConflictError, NotFoundError, ValidationError
from tests.factories import make_issue, make_item
from tests.helpers_assemble import day, section, sections

# Fixtures, found by pytest under these names (``as``: a deliberate re-export).
from tests.helpers_assemble import items as items
from tests.helpers_assemble import three_news as three_news

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
