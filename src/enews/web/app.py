"""The Flask application: configuration, security headers and error pages.

Every error the library raises becomes a 4xx page (or, for htmx requests,
a message swapped into the page's message area); nothing a user types can
produce a 500.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, Response, render_template, request
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError, CSRFProtect  # type: ignore[import-untyped]
from werkzeug.exceptions import HTTPException

from enews.errors import (
    ConfigError,
    ConflictError,
    DatabaseError,
    EnewsError,
    NotFoundError,
    TemplateError,
    ValidationError,
)
from enews.web.state import WebState
from enews.workspace import Workspace

MAX_UPLOAD = 50 * 1024 * 1024
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]", "::1"]
# The workspace's own pages: scripts and styles only from /static, no inline
# code, nothing from elsewhere. The preview has a stricter policy of its own.
APP_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; frame-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_STATUS = (
    (ValidationError, 422),
    (NotFoundError, 404),
    (ConflictError, 409),
    (ConfigError, 422),
    (TemplateError, 422),
    (DatabaseError, 503),  # busy or unreachable: not the user's input
)


def create_app(
    ws: Workspace,
    *,
    secret_key: str | None = None,
    trusted_hosts: list[str] | None = None,
    require_signin: bool | None = None,
    behind_proxy: bool = False,
    live_reload: bool = True,
) -> Flask:
    """The workspace app for ``ws``.

    Without ``secret_key`` a random one is made, so forms from an earlier
    run are refused (CSRF) after a restart; several worker processes must
    share one. ``trusted_hosts`` limits the Host header (a guard against DNS
    rebinding on loopback). ``require_signin``: True always, None as soon as
    the workspace has an account (see auth.py). ``behind_proxy`` trusts one
    proxy's X-Forwarded-For/-Proto (client address for the sign-in limit,
    HTTPS for Secure cookies). ``live_reload`` off spares a production
    server's workers the long polls.
    """
    from enews.web import issues_views, items_views, preview_views
    from enews.web.auth import init_auth

    ws.sessions()  # fail now, with one line, if the database is unusable
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret_key or secrets.token_hex(32),
        MAX_CONTENT_LENGTH=MAX_UPLOAD,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,  # a page left open all day still works
        TRUSTED_HOSTS=trusted_hosts,
    )
    app.extensions["enews"] = WebState(ws)
    CSRFProtect(app)
    init_auth(app, required=require_signin)
    if behind_proxy:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)  # type: ignore[method-assign]
    for module in (issues_views, items_views, preview_views):
        app.register_blueprint(module.blueprint)
    app.after_request(_security_headers)
    app.register_error_handler(EnewsError, _library_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.jinja_env.globals["workspace_name"] = ws.root.resolve().name
    app.jinja_env.globals["live_reload"] = live_reload
    return app


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", APP_CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    return response


def error_response(message: str, status: int, **extra: Any) -> Response:
    """A page with ``message``, or for htmx a fragment for the message area."""
    if request_ctx.url_adapter is None:  # refused Host header: no URLs to build
        return Response(f"error: {message}\n", status=status, mimetype="text/plain")
    if request.headers.get("HX-Request"):
        body = render_template("_message.html", message=message, kind="error")
        response = Response(body, status=status)
        response.headers["HX-Retarget"] = "#messages"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    body = render_template("error.html", message=message, status=status, **extra)
    return Response(body, status=status)


def _library_error(exc: EnewsError) -> Response:
    status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 400)
    return error_response(str(exc), status)


def _csrf_error(exc: CSRFError) -> Response:
    return error_response(
        "the form has expired or did not come from this workspace "
        f"({exc.description}); reload the page and try again",
        400,
    )


def _http_error(exc: HTTPException) -> Response:
    messages = {
        404: "there is no such page",
        405: "this address does not take that kind of request",
        413: f"the upload is larger than {MAX_UPLOAD // (1024 * 1024)} MB",
    }
    code = exc.code or 500
    return error_response(messages.get(code, exc.description or exc.name), code)
