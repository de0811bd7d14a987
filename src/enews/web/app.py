"""The Flask application: configuration, blueprints and security headers.

Error pages are ``error_pages.py``.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response
from flask_wtf.csrf import CSRFProtect  # type: ignore[import-untyped]

from enews.web import error_pages
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
    from enews.web import (
        collect_views,
        issues_views,
        items_views,
        preview_views,
        review_views,
        send_views,
    )
    from enews.web.auth import init_auth
    from enews.web.permissions import init_roles

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
    init_roles(app)
    if behind_proxy:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)  # type: ignore[method-assign]
    views = (issues_views, items_views, collect_views, preview_views, send_views)
    for module in (*views, review_views):
        app.register_blueprint(module.blueprint)
    app.after_request(_security_headers)
    error_pages.install(app)
    app.jinja_env.globals["workspace_name"] = ws.root.resolve().name
    app.jinja_env.globals["live_reload"] = live_reload
    return app


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", APP_CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    return response
