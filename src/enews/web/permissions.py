"""Roles, enforced on every request of a shared workspace.

Reading (a GET) is everyone's; a POST is editing unless the table below
says otherwise; a download forced past the hand-off rules is editing too.
The pages ask ``can(action)`` to show only what the account may do. With
no sign-in (a workspace on this computer, no accounts) all is allowed.
"""

from __future__ import annotations

from flask import Flask, g, request

from enews.errors import ForbiddenError
from enews.roles import may

# POST endpoints that are not editing, and the action each one is.
ACTIONS = {
    "auth.signin_post": "read",
    "auth.signout": "read",
    "preview.check_links": "read",  # requests the links; changes nothing
    "review.approve": "approve",
}
READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def init_roles(app: Flask) -> None:
    app.before_request(_enforce)  # after sign-in's own hook: g.user is set
    app.context_processor(lambda: {"can": can})


def action_of_request() -> str:
    if request.method in READ_METHODS:
        return "edit" if request.args.get("force") == "1" else "read"
    return ACTIONS.get(request.endpoint or "", "edit")


def can(action: str) -> bool:
    """Whether the signed-in account may ``action`` (all, without sign-in)."""
    user = g.get("user")
    return user is None or may(user.role, action)


def _enforce() -> None:
    if request.endpoint == "static":
        return
    action = action_of_request()
    if not can(action):
        role = g.user.role
        raise ForbiddenError(f"a {role} may not do this ({action}); ask an admin")
