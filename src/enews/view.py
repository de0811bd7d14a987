"""The data a template sees: plain, frozen values built from an Issue.

Templates never touch the ORM, so rendering is a pure function of this
view and the settings, and tests can render without a database.
"""

from __future__ import annotations

from dataclasses import dataclass

from enews.assemble import ordered_sections
from enews.config import Settings
from enews.dates import long_date, month_name
from enews.models import Issue, Item


@dataclass(frozen=True)
class ItemView:
    id: int
    kind: str
    title: str
    url: str | None
    date: str  # 29 October 2020
    iso_date: str  # 2020-10-29
    paragraphs: tuple[str, ...]  # the summary; empty when there is none
    image_url: str | None
    image_alt: str | None


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
    intro: tuple[str, ...]  # paragraphs
    featured: ItemView | None
    sections: tuple[SectionView, ...]

    @property
    def items(self) -> tuple[ItemView, ...]:
        """Every item in reading order, the featured one first."""
        head = (self.featured,) if self.featured else ()
        return head + tuple(i for s in self.sections for i in s.items)


def issue_view(issue: Issue, settings: Settings) -> IssueView:
    """Freeze an issue into what the templates render."""
    featured: ItemView | None = None
    sections = []
    for name, entries in ordered_sections(issue, settings):
        views = []
        for entry in entries:
            if entry.featured and featured is None:
                featured = item_view(entry.item)
            else:
                views.append(item_view(entry.item))
        if views:
            sections.append(SectionView(name, settings.heading_for(name), tuple(views)))
    period_name = month_name(issue.period)
    return IssueView(
        slug=issue.slug,
        title=issue.title,
        period=issue.period,
        period_name=period_name,
        subject=issue.subject or f"{issue.title}: {period_name}",
        preheader=issue.preheader or _default_preheader(sections, featured),
        intro=paragraphs(issue.intro),
        featured=featured,
        sections=tuple(sections),
    )


def item_view(item: Item) -> ItemView:
    return ItemView(
        id=item.id,
        kind=item.kind,
        title=item.title,
        url=item.url,
        date=long_date(item.published_on),
        iso_date=item.published_on.isoformat(),
        paragraphs=paragraphs(item.summary),
        image_url=item.image_url,
        image_alt=item.image_alt,
    )


def paragraphs(text: str | None) -> tuple[str, ...]:
    """Split text on blank lines; single line breaks join into one paragraph."""
    if not text:
        return ()
    blocks = text.replace("\r\n", "\n").split("\n\n")
    return tuple(" ".join(b.split()) for b in blocks if b.strip())


def _default_preheader(sections: list[SectionView], featured: ItemView | None) -> str:
    # The inbox preview line: the lead story's title reads better than nothing.
    first = featured or next((s.items[0] for s in sections if s.items), None)
    return first.title if first else ""
