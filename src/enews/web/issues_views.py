"""Issues: the list, a new issue from a month, and the composer.

Every change to an issue is a POST carrying the version the page was
rendered from (``expect_version``); the response is the re-rendered part
of the composer plus the new version, and an ``HX-Trigger`` that makes the
page reload the preview.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from enews.compose import issues
from enews.dates import month_name
from enews.errors import ConflictError, ValidationError
from enews.store.models import Issue
from enews.web.common import changed, expect_version, form_int, form_text, transaction
from enews.web.state import state

blueprint = Blueprint("issues", __name__)
ISSUE_FIELDS = ("title", "subject", "preheader", "intro")
ENTRY_ACTIONS = ("up", "down", "feature", "unfeature", "remove")


@blueprint.get("/")
def home() -> Any:
    return redirect(url_for("issues.index"))


@blueprint.get("/issues")
def index() -> str:
    return _index_page({}, {})


@blueprint.post("/issues")
def create() -> Any:
    values = {name: form_text(name).strip() for name in ("title", "month", "slug")}
    try:
        with transaction() as session:
            issue = issues.draft_issue(
                session,
                values["title"],
                month=values["month"],
                slug=values["slug"],
                settings=state().settings(),
            )
            slug = issue.slug
    except ValidationError as exc:
        return _index_page(values, {exc.field or "title": exc.problem}), 422
    except ConflictError as exc:
        return _index_page(values, {exc.field or "slug": exc.problem}), 409
    return redirect(url_for("issues.compose", slug=slug), code=303)


def _index_page(values: dict[str, str], errors: dict[str, str]) -> str:
    with transaction() as session:
        listed = [(issue, len(issue.entries)) for issue in issues.list_issues(session)]
    return render_template("issues.html", issues=listed, values=values, errors=errors)


@blueprint.get("/issues/<slug>")
def compose(slug: str) -> str:
    with transaction() as session:
        context = composer_context(session, slug)
    return render_template("composer.html", **context)


@blueprint.post("/issues/<slug>/fields")
def save_fields(slug: str) -> Any:
    values = {name: form_text(name) for name in ISSUE_FIELDS if name in request.form}
    with transaction() as session:
        issue = issues.get_issue(session, slug)
        expect_version(issue)
        issues.set_fields(session, slug, **values)
        context = composer_context(session, slug)
    body = render_template("_fields.html", saved=True, oob_version=True, **context)
    return changed(Response(body))


@blueprint.post("/issues/<slug>/entries/<int:item_id>")
def entry_action(slug: str, item_id: int) -> Any:
    action = form_text("action")
    if action not in ENTRY_ACTIONS:
        raise ValidationError("action", f"must be one of {', '.join(ENTRY_ACTIONS)}")
    with transaction() as session:
        issue = issues.get_issue(session, slug)
        expect_version(issue)
        _apply(session, issue, item_id, action)
    return _entries_response(slug)


@blueprint.post("/issues/<slug>/move")
def move(slug: str) -> Any:
    """Drag and drop: put an item at ``position`` (1 = top) of its section."""
    item_id, position = form_int("item_id"), form_int("position")
    with transaction() as session:
        issue = issues.get_issue(session, slug)
        expect_version(issue)
        issues.move_in_issue(session, slug, item_id, position=position)
    return _entries_response(slug)


@blueprint.post("/issues/<slug>/include/<int:item_id>")
def include(slug: str, item_id: int) -> Any:
    with transaction() as session:
        issue = issues.get_issue(session, slug)
        expect_version(issue)
        issues.add_to_issue(session, slug, item_id, settings=state().settings())
    return _entries_response(slug)


@blueprint.post("/issues/<slug>/delete")
def delete(slug: str) -> Any:
    with transaction() as session:
        expect_version(issues.get_issue(session, slug))
        issues.delete_issue(session, slug)
    return redirect(url_for("issues.index"), code=303)


def _apply(session: Session, issue: Issue, item_id: int, action: str) -> None:
    slug = issue.slug
    if action == "remove":
        issues.remove_from_issue(session, slug, item_id)
    elif action in ("feature", "unfeature"):
        issues.set_featured(session, slug, item_id if action == "feature" else None)
    else:
        if all(e.item_id != item_id for e in issue.entries):
            raise ConflictError(
                f"item {item_id} is no longer in this issue (deleted or removed "
                "elsewhere); reload the page"
            )
        issues.step_in_issue(session, slug, item_id, -1 if action == "up" else 1)


def _entries_response(slug: str) -> Response:
    with transaction() as session:
        context = composer_context(session, slug)
    body = render_template("_entries.html", oob_version=True, **context)
    return changed(Response(body))


def composer_context(session: Session, slug: str) -> dict[str, Any]:
    """What the composer shows: the issue, its sections, the month's others."""
    settings = state().settings()
    issue = issues.get_issue(session, slug)
    sections = [
        (name, settings.heading_for(name), entries)
        for name, entries in issues.ordered_sections(issue, settings)
    ]
    outside = issues.left_out(session, issue)
    return {
        "issue": issue,
        "sections": sections,
        "outside": outside,
        "period_name": month_name(issue.period),
    }


@blueprint.get("/issues/<slug>/find")
def find(slug: str) -> str:
    """Items of other months (or this one) to include, by a word."""
    text = request.args.get("q", "").strip()
    with transaction() as session:
        issue = issues.get_issue(session, slug)
        found = issues.find_outside(session, issue, text) if text else []
    return render_template("_found.html", issue=issue, found=found, q=text)
