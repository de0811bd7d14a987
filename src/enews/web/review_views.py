"""The review of an issue in the composer: send to review, approve, reopen,
mark sent (``compose/review.py``), each from the version the page shows."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template

from enews.compose import review
from enews.compose.issues import get_issue
from enews.web.common import changed, expect_version, transaction
from enews.web.state import state

blueprint = Blueprint("review", __name__)
STEPS = {
    "review": (review.submit, "Sent to review."),
    "reopen": (review.reopen, "Reopened: a draft again."),
    "sent": (review.mark_sent, "Marked sent: frozen until reopened."),
}


@blueprint.post("/issues/<slug>/approve")
def approve(slug: str) -> Any:
    second = state().settings().require_second_person
    with transaction() as session:
        issue = get_issue(session, slug)
        expect_version(issue)  # approve what this page showed, nothing newer
        review.approve(session, issue, second_person=second)
        session.flush()
        page = _panel(issue, "Approved.")
    return page


@blueprint.post("/issues/<slug>/<any(review, reopen, sent):step>")
def step(slug: str, step: str) -> Any:
    function, done = STEPS[step]
    with transaction() as session:
        issue = get_issue(session, slug)
        expect_version(issue)
        function(session, issue)
        session.flush()
        page = _panel(issue, done)
    return page


def _panel(issue: Any, message: str) -> Response:
    """The review panel, and the page's version (the issue's changed)."""
    body = render_template("_review.html", issue=issue, message=message, oob=True)
    return changed(Response(body))
