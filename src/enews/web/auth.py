"""Sign-in for a shared workspace.

Sign-in is required when the app is told so (a non-loopback address, the
production WSGI entry point) or as soon as the workspace has an account.
Every page and action except the sign-in page and static files then needs
a signed-in user. The session is Flask's signed cookie: HttpOnly,
SameSite=Lax, and Secure whenever the request came over HTTPS. It holds the
user's id and session stamp, checked against the database on every request:
signing out (or a new password, or removing the account) changes or drops
the stamp, so a copy of the cookie taken earlier no longer works.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface

from enews.store import accounts
from enews.web.common import form_text, transaction

blueprint = Blueprint("auth", __name__)
OPEN_ENDPOINTS = {"auth.signin", "auth.signin_post", "static"}
SESSION_HOURS = 12
HAS_USERS_TTL = 5.0  # seconds: `enews user add` takes effect within this


class CookieSessions(SecureCookieSessionInterface):
    """Secure cookies over HTTPS (also behind a proxy that says so)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def init_auth(app: Flask, *, required: bool | None) -> None:
    """``required``: True always, None when the workspace has accounts."""
    app.session_interface = CookieSessions()
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(hours=SESSION_HOURS)
    app.extensions["enews.signin"] = {"required": required, "checked": (0.0, False)}
    app.register_blueprint(blueprint)
    app.before_request(_require_signin)
    app.context_processor(lambda: {"signed_in": g.get("user")})


def signin_required() -> bool:
    state: dict[str, Any] = current_app.extensions["enews.signin"]
    if state["required"] is not None:
        return bool(state["required"])
    checked_at, answer = state["checked"]
    if time.monotonic() - checked_at > HAS_USERS_TTL:
        with transaction() as db_session:
            answer = accounts.has_users(db_session)
        state["checked"] = (time.monotonic(), answer)
    return bool(answer)


def _require_signin() -> Response | None:
    if request.endpoint == "static":
        return None  # no page: no need to know who asks
    if "user" in session:
        g.user = _signed_in_user(session["user"])
        if g.user is None:  # signed out elsewhere, new password, removed
            session.clear()
    if g.get("user") or request.endpoint in OPEN_ENDPOINTS:
        return None
    if not signin_required():
        return None
    target = url_for("auth.signin", next=_local(request.full_path))
    if request.headers.get("HX-Request"):
        response = Response("sign in first", status=401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)  # type: ignore[return-value]


def _signed_in_user(signed: Any) -> accounts.SignedIn | None:
    # [id, stamp] as signin_post wrote it; any other shape is no session.
    if not (isinstance(signed, list) and len(signed) == 2):
        return None
    user_id, stamp = signed
    if type(user_id) is not int or not isinstance(stamp, str):
        return None
    with transaction() as db_session:
        return accounts.current_user(db_session, user_id, stamp)


@blueprint.get("/signin")
def signin() -> str:
    return _page(None, 200)[0]


@blueprint.post("/signin")
def signin_post() -> Any:
    name = form_text("name").strip()
    address = request.remote_addr or "unknown"
    try:
        with transaction() as db_session:
            user = accounts.sign_in(
                db_session,
                name,
                form_text("password"),
                address=address,
                now=dt.datetime.now(dt.UTC),
            )
    except accounts.RateLimited as exc:
        body, status = _page(str(exc), 429, name=name)
        return Response(body, status, headers={"Retry-After": str(exc.retry_after)})
    if user is None:
        return _page("wrong name or password", 401, name=name)
    session.clear()  # a new session for the signed-in user (no fixation)
    session.permanent = True
    session["user"] = [user.id, user.stamp]
    return redirect(
        _local(request.args.get("next", "")) or url_for("issues.index"), 303
    )


@blueprint.post("/signout")
def signout() -> Any:
    user = g.get("user")
    if user is not None:  # a new stamp: copies of this cookie stop working
        with transaction() as db_session:
            accounts.end_sessions(db_session, user.id)
    session.clear()
    return redirect(url_for("auth.signin"), 303)


def _page(error: str | None, status: int, name: str = "") -> tuple[str, int]:
    with transaction() as db_session:
        any_account = accounts.has_users(db_session)
    body = render_template(
        "signin.html", error=error, name=name, any_account=any_account
    )
    return body, status


def _local(target: str) -> str:
    """Only same-site paths: never redirect to another site after sign-in.

    Nothing unprintable either: a browser drops tabs and newlines from a
    URL (a tab between two slashes makes a link to another host), and a CR
    LF would end the Location header. Other text is percent-encoded there.
    """
    if not target.isprintable():
        return ""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return ""
    if target.startswith("//") or "\\" in target:
        return ""
    return target.rstrip("?")
