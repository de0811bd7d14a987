"""Error pages: every error the library raises becomes a 4xx page (or, for
htmx requests, a message swapped into the page's message area); nothing a
user types can produce a 500. Views answer with ``error_response`` too.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, render_template, request
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError  # type: ignore[import-untyped]
from werkzeug.exceptions import HTTPException, InternalServerError

from enews.errors import (
    ConfigError,
    ConflictError,
    DatabaseError,
    EnewsError,
    ForbiddenError,
    NotFoundError,
    TemplateError,
    ValidationError,
)

_STATUS = (
    (ValidationError, 422),
    (NotFoundError, 404),
    (ConflictError, 409),
    (ForbiddenError, 403),
    (ConfigError, 422),
    (TemplateError, 422),
    (DatabaseError, 503),  # busy or unreachable: not the user's input
)


def install(app: Flask) -> None:
    """Answer every library, CSRF and HTTP error of ``app`` with a page."""
    app.register_error_handler(EnewsError, _library_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)


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
    original = getattr(exc, "original_exception", None)
    if isinstance(exc, InternalServerError) and isinstance(original, EnewsError):
        # Raised where the error handlers do not look (an after_request
        # hook): Flask then hands it here as a 500; it is still the user's.
        return _library_error(original)
    messages = {
        404: "there is no such page",
        405: "this address does not take that kind of request",
        413: f"the upload is larger than {_upload_limit_mb()} MB",
    }
    code = exc.code or 500
    return error_response(messages.get(code, exc.description or exc.name), code)


def _upload_limit_mb() -> int:
    return int(current_app.config["MAX_CONTENT_LENGTH"]) // (1024 * 1024)
