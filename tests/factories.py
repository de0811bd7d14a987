"""Test data with overridable defaults (after pelican's tests/support.py)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlalchemy.orm import Session

from enews.compose.issues import draft_issue
from enews.compose.items import add_item, make_draft
from enews.store.models import Issue, Item

_counter = itertools.count(1)


def item_values(**overrides: Any) -> dict[str, Any]:
    """Keyword arguments for make_draft; every call gets a unique title/url."""
    n = next(_counter)
    values: dict[str, Any] = {
        "kind": "News",
        "title": f"Cooperative forum number {n} opens",
        "date": dt.date(2020, 10, min(n % 28 + 1, 28)),
        "url": f"https://coop.example/news/{n}",
        "summary": "Delegates met to discuss cooperative finance & youth.",
    }
    values.update(overrides)
    return values


def make_item(session: Session, **overrides: Any) -> Item:
    return add_item(session, make_draft(**item_values(**overrides)))


def make_issue(
    session: Session, *, month: str = "2020-10", title: str = "October issue", **kw: Any
) -> Issue:
    return draft_issue(session, title, month=month, **kw)
