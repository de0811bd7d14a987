"""Loading an issue's frozen view (``enews.render.view``) from the database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from typing import NamedTuple

from markupsafe import Markup
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from enews import limits
from enews.compose.issues import get_issue
from enews.config import Settings
from enews.dates import long_date, month_name
from enews.errors import EnewsError
from enews.render.links import add_utm, tag_fragment
from enews.render.richtext import (
    html_to_paragraphs,
    intro_paragraphs,
    markdown_block,
    sanitize,
)
from enews.render.view import (
    IssueView,
    ItemView,
    SectionView,
    default_subject,
    paragraphs,
)
from enews.store.models import Issue, IssueItem, Item


class _Row(NamedTuple):
    """One item of an issue as the query returns it. A plain named tuple:
    attribute access on SQLAlchemy's Row cost more than the rest of the view."""

    section: str
    position: int
    featured: bool
    id: int
    kind: str
    title: str
    url: str | None
    published_on: dt.date
    summary: str | None
    summary_format: str
    image_url: str | None
    image_alt: str | None


# Built once: constructing the statement cost as much as running it.
_ITEMS_OF_ISSUE = (
    select(
        IssueItem.section,
        IssueItem.position,
        IssueItem.featured,
        Item.id,
        Item.kind,
        Item.title,
        Item.url,
        Item.published_on,
        Item.summary,
        Item.summary_format,
        Item.image_url,
        Item.image_alt,
    )
    .join(Item, Item.id == IssueItem.item_id)
    .where(IssueItem.issue_id == bindparam("issue_id"))
    .order_by(IssueItem.position, Item.id)
)


def load_issue_view(session: Session, slug: str, settings: Settings) -> IssueView:
    """Read issue ``slug`` and freeze it into what the templates render.

    The items come as plain rows in one query: building ORM objects for them
    cost twice as much, and the view needs none of their behaviour.
    """
    issue = get_issue(session, slug)
    # Columns only, so the Core connection runs it: the ORM layer added a
    # tenth to the query's time and nothing to the rows. (It would also
    # autoflush, but get_issue's query just did.)
    result = session.connection().execute(_ITEMS_OF_ISSUE, {"issue_id": issue.id})
    return make_view(issue, [_Row._make(row) for row in result], settings)


def make_view(issue: Issue, rows: Sequence[_Row], settings: Settings) -> IssueView:
    """Group rows into sections (configured order), pulling out the featured item."""
    by_section: dict[str, list[ItemView]] = {}
    featured: ItemView | None = None
    _check_texts(issue, _ISSUE_TEXTS, f"issue {issue.slug!r}")
    for row in rows:
        _check_texts(row, _ITEM_TEXTS, f"item {row.id} ({row.title[:60]!r})")
        view = _tagged(item_view(row), settings, issue.slug)
        if row.featured and featured is None:
            featured = view
        else:
            by_section.setdefault(row.section, []).append(view)
    sections = [
        SectionView(name, settings.heading_for(name), tuple(by_section[name]))
        for name in sorted(by_section, key=settings.section_rank)
    ]
    period_name = month_name(issue.period)
    intro_html = markdown_block(issue.intro)
    return IssueView(
        slug=issue.slug,
        title=issue.title,
        period=issue.period,
        period_name=period_name,
        subject=issue.subject or default_subject(issue.title, period_name),
        preheader=issue.preheader or _default_preheader(sections, featured),
        intro=intro_paragraphs(issue.intro),
        intro_html=Markup(intro_html) if intro_html else None,
        featured=featured,
        sections=tuple(sections),
        updated_at=issue.updated_at,
        status=issue.status,
    )


_ISSUE_TEXTS = ("title", "subject", "preheader", "intro")
_ITEM_TEXTS = ("kind", "title", "url", "summary", "image_url", "image_alt")


def _check_texts(row: object, names: tuple[str, ...], what: str) -> None:
    """Name the item and field of a character that would break the compile
    (or of a template token, which the build would swap for a merge tag).

    Entry points refuse such text; this catches rows written before they
    did, or behind enews's back, which MJML would refuse naming nothing.
    """
    for name in names:
        value = getattr(row, name)
        bad = value and (limits.bad_char(value) or limits.bad_token(value))
        if bad:
            raise EnewsError(f"{what}: {name} {bad}; edit it first")


def item_view(row: _Row | Item) -> ItemView:
    """An item (or a row with the same column names) as the templates see it."""
    rich = None
    if row.summary and row.summary_format == "html":
        # Sanitized on the way in, and again here: the database is not trusted.
        rich = Markup(sanitize(row.summary))
    return ItemView(
        id=row.id,
        kind=row.kind,
        title=row.title,
        url=row.url,
        date=long_date(row.published_on),
        iso_date=row.published_on.isoformat(),
        paragraphs=html_to_paragraphs(rich) if rich else paragraphs(row.summary),
        summary_html=rich,
        image_url=row.image_url,
        image_alt=row.image_alt,
    )


def _tagged(item: ItemView, settings: Settings, slug: str) -> ItemView:
    """The item with UTM parameters on its links, when enews.toml asks for them."""
    if not settings.utm_source:
        return item
    utm = {
        "source": settings.utm_source,
        "medium": settings.utm_medium,
        "campaign": slug,
        "content": f"item-{item.id}",
    }
    url = add_utm(item.url, **utm) if item.url else None
    if not item.summary_html:
        return replace(item, url=url)
    rich = tag_fragment(str(item.summary_html), **utm)
    return replace(
        item, url=url, summary_html=Markup(rich), paragraphs=html_to_paragraphs(rich)
    )


def _default_preheader(sections: list[SectionView], featured: ItemView | None) -> str:
    # The inbox preview line: the lead story's title reads better than nothing.
    first = featured or next((s.items[0] for s in sections if s.items), None)
    return first.title if first else ""
