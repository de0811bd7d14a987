"""The data a template sees: plain, frozen values.

Templates never touch the ORM, so rendering is a pure function of this
view and the settings, and tests can render without a database. The query
that fills it is ``enews.compose.view``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from markupsafe import Markup


@dataclass(frozen=True)
class ItemView:
    id: int
    kind: str
    title: str
    url: str | None
    date: str  # 29 October 2020
    iso_date: str  # 2020-10-29
    paragraphs: tuple[str, ...]  # the summary as plain text; empty when none
    image_url: str | None
    image_alt: str | None
    summary_html: Markup | None = None  # the summary when rich text (sanitized)
    # The image file's real size in pixels, when enews stored it (assets/);
    # None for an image elsewhere on the web, whose size is not known.
    image_width: int | None = None
    image_height: int | None = None


@dataclass(frozen=True)
class SectionView:
    kind: str
    heading: str
    items: tuple[ItemView, ...]


@dataclass(frozen=True)
class IssueView:
    slug: str
    title: str
    period: str  # 2020-10
    period_name: str  # October 2020
    subject: str
    preheader: str
    intro: tuple[str, ...]  # paragraphs (plain text, links as "text <url>")
    featured: ItemView | None
    sections: tuple[SectionView, ...]
    updated_at: dt.datetime | None = None  # the issue's last change (UTC)
    # The intro's Markdown as sanitized HTML; None when it is plain paragraphs.
    intro_html: Markup | None = None
    status: str = "draft"  # draft, review, approved or sent (compose/review.py)

    @property
    def items(self) -> tuple[ItemView, ...]:
        """Every item in reading order, the featured one first."""
        head = (self.featured,) if self.featured else ()
        return head + tuple(i for s in self.sections for i in s.items)


def default_subject(title: str, period_name: str) -> str:
    """``October issue`` -> ``October issue, 2020``; other titles get the month."""
    month, year = period_name.split()
    if month.casefold() in title.casefold():
        return title if year in title else f"{title}, {year}"
    return f"{title}: {period_name}"


def paragraphs(text: str | None) -> tuple[str, ...]:
    """Split text on blank lines; single line breaks join into one paragraph."""
    if not text:
        return ()
    blocks = text.replace("\r\n", "\n").split("\n\n")
    return tuple(" ".join(b.split()) for b in blocks if b.strip())
