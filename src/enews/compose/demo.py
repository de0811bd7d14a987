"""The sample workspace content: ~30 items over two months and one issue."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from enews.compose.issues import draft_issue, set_featured, set_fields
from enews.compose.items import add_item, find_same, make_draft
from enews.store.models import Issue

DEMO_SLUG = "2020-10"
DEMO_TITLE = "October issue"
DEMO_INTRO = (
    "Welcome to the October issue. This month cooperatives marked World Food "
    "Day and World Cities Day, and our interviews travel from Lagos to Reykjavík."
    "\n\nAs always, reply to this e-mail to tell us what your cooperative is doing."
)


@dataclass(frozen=True)
class DemoResult:
    added: int
    existing: int
    issue_created: bool


def sample_items() -> list[dict[str, Any]]:
    """The packaged sample items (see data/sample_items.json)."""
    text = files("enews").joinpath("data/sample_items.json").read_text("utf-8")
    data: list[dict[str, Any]] = json.loads(text)
    return data


def load_demo(session: Session) -> DemoResult:
    """Add the sample items that are missing and draft the demo issue once.

    Idempotent: items are matched by URL (or title and date) and the issue by
    its slug, so a second run adds nothing.
    """
    added = existing = 0
    for record in sample_items():
        draft = make_draft(
            kind=record["kind"],
            title=record["title"],
            date=record["date"],
            url=record["url"],
            summary=record["summary"],
            image_url=record["image"],
            image_alt=record["image_alt"],
            source="enews demo",
        )
        if find_same(session, draft) is not None:
            existing += 1
            continue
        add_item(session, draft)
        added += 1
    created = session.scalar(select(Issue.id).where(Issue.slug == DEMO_SLUG)) is None
    if created:
        _draft_demo_issue(session)
    return DemoResult(added=added, existing=existing, issue_created=created)


def _draft_demo_issue(session: Session) -> None:
    issue = draft_issue(session, DEMO_TITLE, month=DEMO_SLUG)
    set_fields(
        session,
        DEMO_SLUG,
        intro=DEMO_INTRO,
        preheader="Co-op news from October 2020: forums, field notes and interviews",
    )
    interviews = [e for e in issue.entries if e.section == "Interview"]
    if interviews:
        set_featured(session, DEMO_SLUG, interviews[0].item_id)
