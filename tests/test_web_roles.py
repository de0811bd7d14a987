"""Roles in the shared workspace, enforced on the server for every route and
action (on SQLite and PostgreSQL), and the review of an issue in the web."""

from __future__ import annotations

import pytest

from enews.compose.issues import get_issue
from enews.store.accounts import add_user
from tests.helpers_web import PASSWORD, item_id, signed_in, version
from tests.helpers_web import app as app
from tests.helpers_web import issue as issue

SLUG = "2020-10"
ROLES = ("admin", "editor", "reviewer")


@pytest.fixture
def accounts(workspace, issue):
    with workspace.transaction() as session:
        for role in ROLES:
            add_user(session, role.capitalize(), PASSWORD, role)
    return workspace


def as_role(app, role):
    return signed_in(app, role.capitalize())


def editing_actions(workspace):
    """(what, method, url, form) for each editing action of the workspace."""
    news = item_id(workspace, "News of day 3")
    v = str(version(workspace))
    item = {"kind": "News", "title": "A new item", "date": "2020-10-07"}
    return [
        ("texts", "post", f"/issues/{SLUG}/fields", {"title": "Changed", "version": v}),
        ("entry", "post", f"/issues/{SLUG}/entries/{news}",
         {"action": "down", "version": v}),
        ("new issue", "post", "/issues", {"title": "November", "month": "2020-11"}),
        ("new item", "post", "/items/new", item),
        ("edit item", "post", f"/items/{news}/edit", item),
        ("delete item", "post", f"/items/{news}/delete", {}),
        ("import", "post", "/import", {"text": "x"}),
        ("paste a link", "post", "/items/unfurl", {"url": "https://e.org/"}),
        ("build", "post", f"/issues/{SLUG}/build", {"force": "1"}),
        ("send test", "post", f"/issues/{SLUG}/send-test", {"to": "a@e.org"}),
        ("to review", "post", f"/issues/{SLUG}/review", {"version": v}),
        ("delete issue", "post", f"/issues/{SLUG}/delete", {"version": v}),
        ("forced download", "get", f"/issues/{SLUG}/download/html?force=1", None),
    ]  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_editing_routes_are_refused_to_a_reviewer_only(app, accounts, role):
    for what, method, url, form in editing_actions(accounts):
        tab = as_role(app, role)
        response = tab.post(url, form) if method == "post" else tab.get(url)
        if role == "reviewer":
            assert response.status_code == 403, (what, response.status_code)
            assert "reviewer may not" in response.get_data(as_text=True)
        else:
            assert response.status_code != 403, (what, response.get_data(as_text=True))
    with accounts.transaction() as session:  # the reviewer changed nothing
        if role == "reviewer":
            assert get_issue(session, SLUG).title == "October issue"


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_every_page(app, accounts, role):
    tab = as_role(app, role)
    for url in ("/items", "/issues", f"/issues/{SLUG}", f"/issues/{SLUG}/check",
                f"/issues/{SLUG}/preview.html", "/import"):  # fmt: skip
        assert tab.get(url).status_code == 200, url


@pytest.mark.parametrize(("role", "allowed"), [("reviewer", True), ("admin", True),
                                               ("editor", False)])  # fmt: skip
def test_approval_is_a_reviewers_or_an_admins(app, accounts, role, allowed):
    tab = as_role(app, role)
    response = tab.post(f"/issues/{SLUG}/approve", {"version": version(accounts)})
    assert response.status_code == (200 if allowed else 403)
    with accounts.transaction() as session:
        issue = get_issue(session, SLUG)
        assert (issue.status == "approved") is allowed
        assert issue.approved_by == (role.capitalize() if allowed else None)


def test_an_editors_change_returns_an_approved_issue_to_draft(app, accounts):
    reviewer, editor = as_role(app, "reviewer"), as_role(app, "editor")
    reviewer.post(f"/issues/{SLUG}/approve", {"version": version(accounts)})
    response = editor.post(
        f"/issues/{SLUG}/fields", {"title": "Later", "version": version(accounts)}
    )
    assert response.status_code == 200
    with accounts.transaction() as session:
        issue = get_issue(session, SLUG)
        assert (issue.status, issue.last_editor) == ("draft", "Editor")


def test_approving_a_page_older_than_the_issue_is_one_clear_conflict(app, accounts):
    seen = version(accounts)
    as_role(app, "editor").post(
        f"/issues/{SLUG}/fields", {"title": "Edited meanwhile", "version": seen}
    )
    response = as_role(app, "reviewer").post(
        f"/issues/{SLUG}/approve", {"version": seen}
    )
    assert response.status_code == 409
    with accounts.transaction() as session:
        assert get_issue(session, SLUG).status == "draft"


def test_a_sent_issue_is_frozen_until_reopened(app, accounts):
    admin = as_role(app, "admin")
    admin.post(f"/issues/{SLUG}/approve", {"version": version(accounts)})
    assert (
        admin.post(f"/issues/{SLUG}/sent", {"version": version(accounts)}).status_code
        == 200
    )
    refused = admin.post(
        f"/issues/{SLUG}/fields", {"title": "Too late", "version": version(accounts)}
    )
    assert refused.status_code == 409 and "reopen" in refused.get_data(as_text=True)
    admin.post(f"/issues/{SLUG}/reopen", {"version": version(accounts)})
    ok = admin.post(
        f"/issues/{SLUG}/fields", {"title": "Fixed", "version": version(accounts)}
    )
    assert ok.status_code == 200
    with accounts.transaction() as session:
        issue = get_issue(session, SLUG)
        assert (issue.status, issue.title, issue.sent_by) == ("draft", "Fixed", "Admin")


def test_the_review_panel_offers_only_what_the_role_may_do(app, accounts):
    page = as_role(app, "reviewer").get(f"/issues/{SLUG}").get_data(as_text=True)
    assert ">Approve<" in page and ">Send to review<" not in page
    page = as_role(app, "editor").get(f"/issues/{SLUG}").get_data(as_text=True)
    assert ">Send to review<" in page and ">Approve<" not in page


def test_a_reviewer_is_shown_no_button_that_would_be_refused(app, accounts):
    tab = as_role(app, "reviewer")
    composer = tab.get(f"/issues/{SLUG}").get_data(as_text=True)
    for label in ("Leave out", "Build into", "Send test", "Delete this issue"):
        assert label not in composer, label
    assert '<fieldset class="plain" disabled>' in composer
    items = tab.get("/items").get_data(as_text=True)
    assert "Add an item" not in items and ">Delete<" not in items
    assert "Create issue" not in tab.get("/issues").get_data(as_text=True)
    editor = as_role(app, "editor").get(f"/issues/{SLUG}").get_data(as_text=True)
    assert "Leave out" in editor and "disabled>" not in editor.split("Texts")[1][:200]
