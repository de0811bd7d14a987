"""The review of an issue: draft -> review -> approved -> sent.

Who acts is on the session (``set_actor``; the command line acts as the
machine's user, an admin). Every change to an issue's texts or items goes
through ``changed``: it refuses to edit a sent issue, returns an approved
one to draft (noting it for the caller to say so), and records the editor,
which approval with ``require_second_person`` compares against.
"""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from enews import roles
from enews.errors import ConflictError, ForbiddenError
from enews.store.models import Issue

ACTOR = "enews.actor"  # session.info key: who acts
NOTES = "enews.notes"  # session.info key: what the caller should tell them


@dataclass(frozen=True)
class Actor:
    name: str
    role: str


def set_actor(session: Session, name: str, role: str) -> None:
    session.info[ACTOR] = Actor(name, roles.check_role(role))


def actor(session: Session) -> Actor:
    """Who acts: the signed-in account, else the machine's user (admin)."""
    found = session.info.get(ACTOR)
    if isinstance(found, Actor):
        return found
    try:
        name = getpass.getuser()
    except (OSError, KeyError):  # no name for this uid (a container)
        name = "cli"
    return Actor(name, roles.CLI_ROLE)


def require(session: Session, action: str) -> Actor:
    who = actor(session)
    if not roles.may(who.role, action):
        raise ForbiddenError(f"a {who.role} may not {action} (account {who.name})")
    return who


def notes(session: Session) -> list[str]:
    """What changed that the one acting should be told, oldest first."""
    found: list[str] = session.info.setdefault(NOTES, [])
    return found


def changed(session: Session, issue: Issue) -> None:
    """Call before any change to ``issue``'s texts or items."""
    who = require(session, "edit")
    if issue.status == "sent":
        raise ConflictError(
            f"issue {issue.slug} was sent; reopen it to change it "
            f"('enews issue reopen {issue.slug}')"
        )
    if issue.status == "approved":
        issue.status = "draft"
        issue.approved_by = issue.approved_at = None
        notes(session).append(
            f"issue {issue.slug} changed after its approval: back to draft"
        )
    issue.last_editor = who.name
    # Changing only association rows does not dirty the issue row; this does,
    # so the optimistic version check also guards the item order.
    flag_modified(issue, "status")


def item_changed(session: Session, issues: Iterable[Issue]) -> None:
    """An item was edited or deleted: the approved issues holding it go back
    to draft (a sent one keeps what it was sent as: the item is its own)."""
    for issue in issues:
        if issue.status == "approved":
            changed(session, issue)


def submit(session: Session, issue: Issue) -> None:
    """draft -> in review."""
    require(session, "edit")
    _from(issue, ("draft",), "sent to review")
    issue.status = "review"


def approve(session: Session, issue: Issue, *, second_person: bool) -> None:
    """draft or in review -> approved, by a reviewer or an admin; with
    ``second_person`` not by the one who last edited it."""
    who = require(session, "approve")
    _from(issue, ("draft", "review"), "approved")
    if second_person and (issue.last_editor or "").lower() == who.name.lower():
        raise ForbiddenError(
            f"issue {issue.slug} was last edited by {who.name}: someone else "
            "must approve it (require_second_person in enews.toml)"
        )
    issue.status = "approved"
    issue.approved_by, issue.approved_at = who.name, dt.datetime.now(dt.UTC)


def reopen(session: Session, issue: Issue) -> None:
    """Back to draft from any other state; a sent issue keeps its record."""
    require(session, "edit")
    _from(issue, ("review", "approved", "sent"), "reopened")
    issue.status = "draft"
    issue.approved_by = issue.approved_at = None


def mark_sent(session: Session, issue: Issue) -> None:
    """approved -> sent: who and when, and the issue is frozen."""
    who = require(session, "edit")
    _from(issue, ("approved",), "marked sent")
    issue.status = "sent"
    issue.sent_by, issue.sent_at = who.name, dt.datetime.now(dt.UTC)


def _from(issue: Issue, allowed: tuple[str, ...], what: str) -> None:
    if issue.status not in allowed:
        states = " or ".join(allowed)
        raise ConflictError(
            f"issue {issue.slug} is {issue.status}: only a {states} issue can be {what}"
        )
