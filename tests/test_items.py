"""Adding, changing, deleting and finding items (enews.compose.items)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from enews.compose.issues import get_issue
from enews.compose.items import (
    add_item,
    delete_item,
    find_items,
    find_same,
    get_item,
    make_draft,
    update_item,
)
from enews.errors import ConflictError, NotFoundError, ValidationError
from enews.store.models import Issue, IssueItem, Item
from tests.factories import item_values, make_issue, make_item

BAD_LINKS = [
    "javascript:alert(1)",
    "/news/1",
    "news/1",
    "coop.example/news/1",
    "ftp://coop.example/file.txt",
    "mailto:news@coop.example",
    "https://",
    "https://coop.example/a b",
]


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


# --- add -------------------------------------------------------------------


def test_add_with_required_fields_only(session):
    item = add_item(session, make_draft(kind="News", title="Hi", date="29 Oct 2020"))
    assert item.id is not None
    session.expire_all()
    stored = get_item(session, item.id)
    assert (stored.kind, stored.title) == ("News", "Hi")
    assert stored.published_on == dt.date(2020, 10, 29)
    assert stored.url is None
    assert stored.summary is None
    assert stored.image_url is None
    assert stored.created_at is not None


def test_add_stores_every_field(session):
    item = make_item(
        session,
        kind="Article",
        title="  A   title\nacross lines ",
        date="2020-10-05",
        url="https://coop.example/a",
        summary="  First  line \n second   line  ",
        image_url="https://coop.example/a.png",
        image_alt="Delegates voting",
        source="Coop Weekly",
    )
    session.expire_all()
    stored = get_item(session, item.id)
    assert stored.title == "A title across lines"
    assert stored.summary == "First line\nsecond line"
    assert stored.url == "https://coop.example/a"
    assert stored.image_url == "https://coop.example/a.png"
    assert stored.image_alt == "Delegates voting"
    assert stored.source == "Coop Weekly"


@pytest.mark.parametrize(("missing", "field"), [("kind", "kind"), ("title", "title")])
def test_missing_required_text_is_named(session, missing, field):
    values = item_values()
    del values[missing]
    with pytest.raises(ValidationError) as info:
        add_item(session, make_draft(**values))
    assert info.value.field == field
    assert count(session, Item) == 0


def test_missing_date_is_named_date(session):
    values = item_values()
    del values["date"]
    with pytest.raises(ValidationError) as info:
        add_item(session, make_draft(**values))
    assert info.value.field == "date"


@pytest.mark.parametrize("field", ["kind", "title"])
def test_blank_required_text_is_rejected(field):
    with pytest.raises(ValidationError) as info:
        make_draft(**item_values(**{field: "  \n "}))
    assert info.value.field == field


def test_bad_date_text_is_rejected():
    with pytest.raises(ValidationError) as info:
        make_draft(**item_values(date="31 February 2020"))
    assert info.value.field == "date"


@pytest.mark.parametrize(("field", "limit"), [("title", 300), ("kind", 40)])
def test_too_long_text_is_rejected(field, limit):
    make_draft(**item_values(**{field: "x" * limit}))
    with pytest.raises(ValidationError) as info:
        make_draft(**item_values(**{field: "x" * (limit + 1)}))
    assert info.value.field == field


@pytest.mark.parametrize("link", BAD_LINKS)
def test_bad_url_is_rejected(session, link):
    with pytest.raises(ValidationError) as info:
        make_item(session, url=link)
    assert info.value.field == "url"
    assert count(session, Item) == 0


@pytest.mark.parametrize("link", BAD_LINKS)
def test_bad_image_is_rejected(session, link):
    with pytest.raises(ValidationError) as info:
        make_item(session, image_url=link, image_alt="A photo")
    assert info.value.field == "image"


def test_http_links_are_accepted(session):
    item = make_item(session, url="http://coop.example/x")
    assert item.url == "http://coop.example/x"


def test_image_without_alt_is_rejected(session):
    with pytest.raises(ValidationError) as info:
        make_item(session, image_url="https://coop.example/p.png")
    assert info.value.field == "image_alt"
    with pytest.raises(ValidationError) as info:
        make_item(session, image_url="https://coop.example/p.png", image_alt="  ")
    assert info.value.field == "image_alt"


def test_duplicate_url_is_a_conflict(session):
    first = make_item(session, url="https://coop.example/same")
    with pytest.raises(ConflictError) as info:
        make_item(session, url="https://coop.example/same")
    assert f"item {first.id}" in str(info.value)
    assert count(session, Item) == 1


def test_items_without_url_do_not_conflict(session):
    make_item(session, url=None)
    make_item(session, url="")
    assert count(session, Item) == 2
    assert session.scalars(select(Item.url)).all() == [None, None]


# --- update ----------------------------------------------------------------


def test_update_changes_only_given_fields(session):
    item = make_item(session, kind="News", summary="Old summary", source="Wire")
    before = (item.kind, item.url, item.published_on, item.source)
    update_item(session, item.id, make_draft(title="New title"))
    session.expire_all()
    stored = get_item(session, item.id)
    assert stored.title == "New title"
    assert stored.summary == "Old summary"
    assert (stored.kind, stored.url, stored.published_on, stored.source) == before


def test_update_parses_a_new_date(session):
    item = make_item(session)
    update_item(session, item.id, make_draft(date="1 November 2020"))
    assert get_item(session, item.id).published_on == dt.date(2020, 11, 1)


@pytest.mark.parametrize("field", ["url", "summary", "source"])
def test_update_empty_string_clears_optional_field(session, field):
    item = make_item(session, source="Wire")
    assert getattr(item, field)
    update_item(session, item.id, make_draft(**{field: ""}))
    session.expire_all()
    assert getattr(get_item(session, item.id), field) is None


def test_update_clears_image_and_alt_together(session):
    item = make_item(session, image_url="https://coop.example/p.png", image_alt="Photo")
    update_item(session, item.id, make_draft(image_url="", image_alt=""))
    session.expire_all()
    stored = get_item(session, item.id)
    assert (stored.image_url, stored.image_alt) == (None, None)


def test_update_cannot_clear_alt_of_an_image(session):
    item = make_item(session, image_url="https://coop.example/p.png", image_alt="Photo")
    with pytest.raises(ValidationError) as info:
        update_item(session, item.id, make_draft(image_alt=""))
    assert info.value.field == "image_alt"


def test_update_cannot_clear_a_required_field(session):
    item = make_item(session)
    with pytest.raises(ValidationError) as info:
        update_item(session, item.id, make_draft(title=""))
    assert info.value.field == "title"


def test_update_keeps_own_url(session):
    item = make_item(session, url="https://coop.example/own")
    update_item(session, item.id, make_draft(url="https://coop.example/own", title="T"))
    assert get_item(session, item.id).title == "T"


def test_update_to_a_taken_url_is_a_conflict(session):
    make_item(session, url="https://coop.example/taken")
    item = make_item(session, url="https://coop.example/mine")
    with pytest.raises(ConflictError):
        update_item(session, item.id, make_draft(url="https://coop.example/taken"))


def test_update_missing_item_is_not_found(session):
    with pytest.raises(NotFoundError, match="999"):
        update_item(session, 999, make_draft(title="x"))


# --- get / delete ----------------------------------------------------------


def test_get_missing_item_is_not_found(session):
    with pytest.raises(NotFoundError, match="no item with id 42"):
        get_item(session, 42)


def test_delete_missing_item_is_not_found(session):
    with pytest.raises(NotFoundError, match="42"):
        delete_item(session, 42)


def test_delete_removes_the_item(session):
    keep = make_item(session)
    gone = make_item(session)
    delete_item(session, gone.id)
    with pytest.raises(NotFoundError):
        get_item(session, gone.id)
    assert [i.id for i in session.scalars(select(Item))] == [keep.id]


def test_delete_removes_item_from_its_issues(session):
    a = make_item(session, date=dt.date(2020, 10, 1))
    b = make_item(session, date=dt.date(2020, 10, 2))
    make_issue(session, month="2020-10", slug="one")
    make_issue(session, month="2020-10", slug="two")
    assert count(session, IssueItem) == 4

    delete_item(session, b.id)
    session.expire_all()

    assert count(session, IssueItem) == 2
    assert count(session, Issue) == 2
    for slug in ("one", "two"):
        assert [e.item_id for e in get_issue(session, slug).entries] == [a.id]


def test_delete_updates_a_loaded_issue(session):
    a = make_item(session, date=dt.date(2020, 10, 1))
    b = make_item(session, date=dt.date(2020, 10, 2))
    issue = make_issue(session)
    delete_item(session, b.id)
    assert [e.item_id for e in issue.entries] == [a.id]


# --- find ------------------------------------------------------------------


def test_find_items_by_month_includes_last_day_excludes_next_month(session):
    make_item(session, date=dt.date(2020, 9, 30))
    first = make_item(session, date=dt.date(2020, 10, 1))
    last = make_item(session, date=dt.date(2020, 10, 31))
    make_item(session, date=dt.date(2020, 11, 1))
    assert [i.id for i in find_items(session, month="2020-10")] == [last.id, first.id]


def test_find_items_december_includes_new_years_eve_only(session):
    eve = make_item(session, date=dt.date(2020, 12, 31))
    make_item(session, date=dt.date(2021, 1, 1))
    assert [i.id for i in find_items(session, month="2020-12")] == [eve.id]


def test_find_items_rejects_a_bad_month(session):
    with pytest.raises(ValidationError):
        find_items(session, month="2020-13")


def test_find_items_by_kind_is_case_insensitive(session):
    news = make_item(session, kind="News")
    make_item(session, kind="Article")
    assert [i.id for i in find_items(session, kind="news")] == [news.id]
    assert [i.id for i in find_items(session, kind="NEWS")] == [news.id]


def test_find_items_by_text_in_title_or_summary(session):
    in_title = make_item(session, title="Solar Cooperative opens", summary=None)
    in_summary = make_item(session, title="Other", summary="About SOLAR panels")
    make_item(session, title="Unrelated", summary="Nothing here")
    found = {i.id for i in find_items(session, text="solar")}
    assert found == {in_title.id, in_summary.id}


def test_find_items_newest_first_ties_by_newest_id(session):
    old = make_item(session, date=dt.date(2020, 10, 1))
    same_a = make_item(session, date=dt.date(2020, 10, 15))
    same_b = make_item(session, date=dt.date(2020, 10, 15))
    new = make_item(session, date=dt.date(2020, 10, 30))
    assert [i.id for i in find_items(session)] == [new.id, same_b.id, same_a.id, old.id]


def test_find_items_limit_and_combined_filters(session):
    for day in (1, 2, 3):
        make_item(
            session, kind="News", date=dt.date(2020, 10, day), title=f"Co-op {day}"
        )
    make_item(session, kind="Article", date=dt.date(2020, 10, 4), title="Co-op 4")
    found = find_items(session, month="2020-10", kind="news", text="co-op", limit=2)
    assert [i.title for i in found] == ["Co-op 3", "Co-op 2"]


def test_find_items_text_is_literal(session):
    make_item(session, title="Plain title", summary="Plain summary")
    assert find_items(session, text="_") == []
    assert find_items(session, text="%") == []


def test_find_same_by_url(session):
    item = make_item(session, url="https://coop.example/dup")
    draft = make_draft(**item_values(url="https://coop.example/dup", title="Other"))
    assert find_same(session, draft) is item
    other = make_draft(**item_values(url="https://coop.example/new"))
    assert find_same(session, other) is None


def test_find_same_by_title_and_date_when_no_url(session):
    item = make_item(session, title="Annual Meeting", date=dt.date(2020, 10, 9))
    same = make_draft(kind="News", title="annual  meeting", date="9 October 2020")
    assert find_same(session, same) is item
    other_day = make_draft(kind="News", title="Annual Meeting", date="2020-10-10")
    assert find_same(session, other_day) is None
    assert find_same(session, make_draft(kind="News")) is None
