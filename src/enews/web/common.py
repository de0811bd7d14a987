"""Small helpers the views share: one transaction per request, form values,
the optimistic version check, and htmx response headers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Response, g, request
from sqlalchemy.orm import Session

from enews.compose.review import set_actor
from enews.errors import ConflictError, ValidationError
from enews.store.models import Issue
from enews.web.state import state

PREVIEW_CHANGED = "preview-changed"  # the event app.js reloads the preview on
STALE = (
    "this issue was changed in another tab or by someone else since this page "
    "loaded; your change was not saved. Reload the page to see the current "
    "version, then make the change again."
)


@contextmanager
def transaction() -> Iterator[Session]:
    """One transaction, acting as the signed-in account (its name is what
    the issue's review records; without sign-in, the machine's user)."""
    with state().ws.transaction() as session:
        user = g.get("user")
        if user is not None:
            set_actor(session, user.name, user.role)
        yield session


def form_text(name: str) -> str:
    return request.form.get(name, "")


def form_int(name: str) -> int:
    value = request.form.get(name, "").strip()
    try:
        return int(value)
    except ValueError:
        raise ValidationError(name, f"{value!r} is not a whole number") from None


def expect_version(issue: Issue) -> None:
    """Refuse a change made from a copy of the issue older than the stored one."""
    seen = request.form.get("version", "").strip()
    if not seen.isdigit():
        raise ValidationError("version", "missing from the form; reload the page")
    if int(seen) != issue.version:
        raise ConflictError(STALE)


def is_htmx() -> bool:
    return bool(request.headers.get("HX-Request"))


def changed(response: Response) -> Response:
    """Tell the page the email changed, so it reloads the preview."""
    response.headers["HX-Trigger"] = json.dumps({PREVIEW_CHANGED: True})
    return response
