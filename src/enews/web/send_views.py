"""The composer's "Send test" form: the issue, as a subscriber gets it, to
a few test inboxes (``publish.sendtest``, as ``enews send-test`` does).

The answer is a fragment for the box beside the form's button, a 4xx one
when an address is bad, [smtp] is missing or the server refuses; without
htmx, a message on the composer (or an error page).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for

from enews.errors import EnewsError, NotFoundError, ValidationError
from enews.publish.build import build_issue
from enews.publish.sendtest import (
    Outcome,
    SendError,
    parse_recipients,
    send_bundle_test,
    smtp_password,
)
from enews.web.common import form_text, is_htmx, transaction
from enews.web.error_pages import error_response
from enews.web.state import state

blueprint = Blueprint("send", __name__)
# 424 Failed Dependency: the request was fine, the SMTP server said no.
_STATUS = ((NotFoundError, 404), (ValidationError, 422), (SendError, 424))
REFUSED = 424


@blueprint.post("/issues/<slug>/send-test")
def send_test(slug: str) -> Any:
    try:
        outcome = _send(slug, form_text("to"))
    except EnewsError as exc:
        status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 422)
        if not is_htmx():
            return error_response(str(exc), status)
        return render_template("_send_test.html", error=str(exc)), status
    status = 200 if outcome.result.ok else REFUSED
    if not is_htmx():
        if status != 200:
            return error_response("; ".join(outcome.result.problems()), status)
        flash(f"Test of {slug} sent to {', '.join(outcome.result.sent)}")
        return redirect(url_for("issues.compose", slug=slug), code=303)
    return render_template("_send_test.html", outcome=outcome, slug=slug), status


def _send(slug: str, to: str) -> Outcome:
    """Check the addresses, build the issue as it is now, send."""
    recipients = parse_recipients([to])
    settings = state().settings()
    root = state().ws.root
    with transaction() as session:
        bundle = build_issue(session, slug, settings=settings, workspace=root)
    return send_bundle_test(
        bundle, recipients, settings=settings, root=root, password=smtp_password()
    )
