"""October's items and an issue drafted from them, for the tests of
drafting and arranging issues (tests/test_assemble*.py)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from enews.compose.issues import add_to_issue, ordered_sections
from enews.config import Settings
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


@pytest.fixture
def three_news(session, items):
    """An issue whose News section is [news_new, news_old, september]."""
    issue = make_issue(session)
    add_to_issue(session, "2020-10", items.september.id)
    return issue
