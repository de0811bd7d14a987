"""Drafting an issue from a month's items and arranging the items in it.

Sections are named after item kinds; their order comes from enews.toml at
render time. Inside a section, ``position`` orders the items (0 first).
Functions take a Session and never commit.
"""

from __future__ import annotations

import re

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from enews import limits
from enews.compose.items import find_items, get_item
from enews.compose.review import changed, require
from enews.config import Settings
from enews.dates import parse_month
from enews.errors import ConflictError, NotFoundError, ValidationError
from enews.store.models import Issue, IssueItem, Item

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")


def check_slug(slug: str) -> str:
    if not _SLUG.match(slug):
        raise ValidationError(
            "slug", f"{slug!r} must be lower-case letters, digits and dashes"
        )
    return slug


# Built once: every preview and build starts here.
_ISSUE_BY_SLUG = select(Issue).where(Issue.slug == bindparam("slug"))


def get_issue(session: Session, slug: str) -> Issue:
    issue = session.scalar(_ISSUE_BY_SLUG, {"slug": slug})
    if issue is None:
        raise NotFoundError(f"no issue with slug {slug!r}")
    return issue


def list_issues(session: Session) -> list[Issue]:
    return list(
        session.scalars(select(Issue).order_by(Issue.period.desc(), Issue.slug))
    )


def draft_issue(
    session: Session,
    title: str,
    *,
    month: str,
    slug: str | None = None,
    settings: Settings | None = None,
) -> Issue:
    """Create an issue holding every item dated in ``month``, newest first.

    One section per kind, or per the section ``settings`` maps a kind to
    (``[sections.aliases]``); the slug defaults to the month (``2020-10``).
    """
    period = parse_month(month)
    slug = check_slug(slug or period)
    title = limits.one_line(title, "title", limits.ISSUE_TITLE, required=True)
    if session.scalar(select(Issue.id).where(Issue.slug == slug)) is not None:
        raise ConflictError(f"an issue {slug!r} already exists", field="slug")
    issue = Issue(
        slug=slug,
        title=title,
        period=period,
        status="draft",
        last_editor=require(session, "edit").name,
    )
    counters: dict[str, int] = {}
    section_for = (settings or Settings()).section_for
    for item in find_items(session, month=period):
        section = section_for(item.kind)
        position = counters.get(section, 0)
        counters[section] = position + 1
        issue.entries.append(IssueItem(item=item, section=section, position=position))
    session.add(issue)
    session.flush()
    return issue


def delete_issue(session: Session, slug: str) -> None:
    """Delete an issue (its items stay; exported files are not touched)."""
    require(session, "edit")
    session.delete(get_issue(session, slug))
    session.flush()


def add_to_issue(
    session: Session,
    slug: str,
    item_id: int,
    *,
    section: str | None = None,
    settings: Settings | None = None,
) -> IssueItem:
    """Append an item at the end of its section: the one given, else the one
    its kind goes to (``Settings.section_for``)."""
    issue = get_issue(session, slug)
    changed(session, issue)
    item = get_item(session, item_id)
    if _find_entry(issue, item_id) is not None:
        raise ConflictError(f"item {item_id} is already in issue {slug!r}")
    if section:
        section = section_name(section)
    else:
        section = (settings or Settings()).section_for(item.kind)
    # After the last one: positions may have gaps where items were deleted.
    last = max((e.position for e in _section(issue, section)), default=-1)
    entry = IssueItem(item=item, section=section, position=last + 1)
    issue.entries.append(entry)
    session.flush()
    return entry


def remove_from_issue(session: Session, slug: str, item_id: int) -> None:
    issue = get_issue(session, slug)
    changed(session, issue)
    entry = _entry(issue, item_id)
    issue.entries.remove(entry)
    _renumber(_section(issue, entry.section))
    session.flush()


def move_in_issue(
    session: Session,
    slug: str,
    item_id: int,
    *,
    position: int,
    section: str | None = None,
) -> IssueItem:
    """Put an item at ``position`` (1 = top) of its section or another one."""
    issue = get_issue(session, slug)
    changed(session, issue)
    entry = _entry(issue, item_id)
    old = entry.section
    target = section_name(section) if section else old
    rest = [e for e in _section(issue, target) if e is not entry]
    if not 1 <= position <= len(rest) + 1:
        raise ValidationError("position", f"must be between 1 and {len(rest) + 1}")
    rest.insert(position - 1, entry)
    entry.section = target
    _renumber(rest)
    if old != target:
        _renumber(_section(issue, old))
    session.flush()
    return entry


def section_name(name: str) -> str:
    """A section named on the command line: one line, as long as a kind."""
    return limits.one_line(name, "section", limits.KIND, required=True)


def step_in_issue(session: Session, slug: str, item_id: int, step: int) -> IssueItem:
    """Move an item ``step`` places down its section (up when negative),
    stopping at either end."""
    issue = get_issue(session, slug)
    entries = _section(issue, _entry(issue, item_id).section)
    place = next(n for n, e in enumerate(entries, start=1) if e.item_id == item_id)
    target = min(max(place + step, 1), len(entries))
    return move_in_issue(session, slug, item_id, position=target)


def left_out(session: Session, issue: Issue) -> list[Item]:
    """Items of the issue's month that are not in it, newest first."""
    placed = {entry.item_id for entry in issue.entries}
    return [i for i in find_items(session, month=issue.period) if i.id not in placed]


def find_outside(
    session: Session, issue: Issue, text: str, *, limit: int = 20
) -> list[Item]:
    """Items of any month matching ``text`` (case and accents ignored) that
    are not in the issue, newest first: what the composer may include."""
    placed = {entry.item_id for entry in issue.entries}
    found = find_items(session, text=text, limit=limit + len(placed))
    return [i for i in found if i.id not in placed][:limit]


def set_featured(session: Session, slug: str, item_id: int | None) -> None:
    """Feature one item (shown first, highlighted) or none."""
    issue = get_issue(session, slug)
    changed(session, issue)
    if item_id is not None:
        _entry(issue, item_id)
    for entry in issue.entries:
        entry.featured = entry.item_id == item_id
    session.flush()


# The texts of an issue and their limits; title, subject and preheader are
# one line each (the subject becomes a header), the intro has paragraphs.
_ONE_LINE = {
    "title": limits.ISSUE_TITLE,
    "subject": limits.SUBJECT,
    "preheader": limits.PREHEADER,
}


def set_fields(session: Session, slug: str, **values: str | None) -> Issue:
    """Change title, subject, preheader or intro of an issue.

    An empty subject, preheader or intro goes back to its default. The
    status changes through compose/review.py alone.
    """
    issue = get_issue(session, slug)
    if any(value is not None for value in values.values()):
        changed(session, issue)
    for name, value in values.items():
        if value is not None:
            setattr(issue, name, _field_value(name, value))
    session.flush()
    return issue


def _field_value(name: str, value: str) -> str | None:
    if name == "intro":
        return limits.multi_line(value.strip(), "intro", limits.INTRO) or None
    if name not in _ONE_LINE:
        raise ValidationError(name, "is not a field of an issue")
    text = limits.one_line(value, name, _ONE_LINE[name], required=name == "title")
    return text or None


def ordered_sections(
    issue: Issue, settings: Settings
) -> list[tuple[str, list[IssueItem]]]:
    """Sections in configured order, each with its entries in position order."""
    names = sorted({e.section for e in issue.entries}, key=settings.section_rank)
    return [(name, _section(issue, name)) for name in names]


def _section(issue: Issue, section: str) -> list[IssueItem]:
    entries = [e for e in issue.entries if e.section == section]
    return sorted(entries, key=lambda e: (e.position, e.item_id))


def _find_entry(issue: Issue, item_id: int) -> IssueItem | None:
    return next((e for e in issue.entries if e.item_id == item_id), None)


def _entry(issue: Issue, item_id: int) -> IssueItem:
    entry = _find_entry(issue, item_id)
    if entry is None:
        raise NotFoundError(f"item {item_id} is not in issue {issue.slug!r}")
    return entry


def _renumber(entries: list[IssueItem]) -> None:
    for position, entry in enumerate(entries):
        entry.position = position
