"""What the web route tests share: a browser tab with CSRF, fixtures, lookups."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from enews.compose.issues import get_issue, ordered_sections
from enews.config import Settings
from enews.store.models import Item
from enews.web import create_app
from tests.factories import make_issue, make_item

DATA = Path(__file__).parent / "data"
TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')
PASSWORD = "correct horse battery"


class Browser:
    """A test client that behaves like one browser tab: it keeps the cookie
    and sends the CSRF token of the last page it loaded."""

    def __init__(self, app):
        self.client = app.test_client()
        self.token = ""

    def get(self, url, **kw):
        response = self.client.get(url, **kw)
        if response.mimetype == "text/html" and (
            found := TOKEN.search(response.get_data(as_text=True))
        ):
            self.token = found[1]
        return response

    def post(self, url, data=None, *, htmx=True, **kw):
        headers = {"X-CSRFToken": self.token}
        if htmx:
            headers["HX-Request"] = "true"
        return self.client.post(url, data=data or {}, headers=headers, **kw)


def signed_in(app, name="Amy", password=PASSWORD):
    """A tab signed in as ``name``, on the items page (its CSRF token)."""
    tab = Browser(app)
    tab.get("/signin")
    response = tab.post("/signin", {"name": name, "password": password}, htmx=False)
    assert response.status_code == 303, response.get_data(as_text=True)
    assert tab.get("/items/new").status_code == 200
    return tab


@pytest.fixture
def app(workspace):
    app = create_app(workspace, trusted_hosts=["localhost", "127.0.0.1"])
    app.config["SERVER_NAME"] = "localhost"
    return app


@pytest.fixture
def tab(app):
    browser = Browser(app)
    browser.get("/issues")
    return browser


@pytest.fixture
def issue(workspace):
    """An October issue: three News items, two Articles, all passing checks."""
    with workspace.transaction() as session:
        for day in (3, 9, 21):
            make_item(session, title=f"News of day {day}", date=f"2020-10-{day:02}")
        for day in (5, 12):
            make_item(
                session,
                kind="Article",
                title=f"Article {day}",
                date=f"2020-10-{day:02}",
            )
        make_item(session, title="September news", date="2020-09-30")
        make_issue(session)
    return "2020-10"


def order(workspace, slug="2020-10", section="News"):
    with workspace.transaction() as session:
        sections = dict(ordered_sections(get_issue(session, slug), Settings()))
        return [entry.item.title for entry in sections.get(section, [])]


def stored(workspace, slug="2020-10"):
    with workspace.transaction() as session:
        return get_issue(session, slug)


def item_id(workspace, title):
    with workspace.transaction() as session:
        return session.scalar(select(Item.id).where(Item.title == title))


def version(workspace, slug="2020-10"):
    return stored(workspace, slug).version


def count_items(workspace):
    with workspace.transaction() as session:
        return session.scalar(select(func.count()).select_from(Item))


def approve(workspace, slug="2020-10"):
    """The issue approved, as a reviewer would: ready for hand-off."""
    from enews.compose.review import approve as approve_issue

    with workspace.transaction() as session:
        approve_issue(session, get_issue(session, slug), second_person=False)
