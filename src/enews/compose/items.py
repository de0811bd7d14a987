"""Adding, changing and finding items. Functions take a Session and never commit."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Select, func, or_, select, true, tuple_
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from enews import limits
from enews.compose.assets import is_asset_ref
from enews.compose.review import item_changed
from enews.dates import check_date, month_bounds, parse_date
from enews.errors import ConflictError, NotFoundError, ValidationError
from enews.render.richtext import clean_summary
from enews.store.db import fold, fold_text
from enews.store.models import Item
from enews.urls import check_url

# A page of a listing ends at this (date, id); the next starts after it.
Cursor = tuple[dt.date, int]
_NOT_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class ItemDraft:
    """Validated values for a new or changed item (None means 'not given')."""

    kind: str | None = None
    title: str | None = None
    published_on: dt.date | None = None
    url: str | None = None
    summary: str | None = None
    summary_format: str | None = None  # "text" or "html", set with summary
    image_url: str | None = None
    image_alt: str | None = None
    source: str | None = None


def make_draft(
    *,
    kind: str | None = None,
    title: str | None = None,
    date: str | dt.date | None = None,
    url: str | None = None,
    summary: str | None = None,
    summary_format: str | None = None,
    image_url: str | None = None,
    image_alt: str | None = None,
    source: str | None = None,
) -> ItemDraft:
    """Check raw user values field by field; an empty string clears a field.

    ``summary_format`` declares the summary as "text", "html" or "markdown";
    without it the format is guessed. Rich text is stored sanitized.
    """
    stored_summary, stored_format = _summary(summary, summary_format)
    return ItemDraft(
        kind=_text(kind, "kind", limits.KIND, required=True),
        title=_text(title, "title", limits.ITEM_TITLE, required=True),
        published_on=_date(date),
        url=_link(url, "url"),
        summary=stored_summary,
        summary_format=stored_format,
        image_url=_image(image_url),
        image_alt=_text(image_alt, "image_alt", limits.IMAGE_ALT, required=False),
        source=_text(source, "source", limits.SOURCE, required=False),
    )


FORM_FIELDS = ("kind", "title", "date", "url", "summary", "image_url", "image_alt")


def check_form(values: dict[str, str]) -> tuple[ItemDraft | None, dict[str, str]]:
    """Validate a whole form at once: the draft, or every field's problem.

    The CLI stops at the first bad value; a form shows each problem beside
    its field, so every field is checked on its own.
    """
    problems: dict[str, str] = {}
    for name in FORM_FIELDS:
        value = values.get(name, "")
        if name in ("kind", "title", "date") and not value.strip():
            problems[name] = "is required"
            continue
        try:
            make_draft(**{name: value})
        except ValidationError as exc:
            problems[name] = exc.problem
    if values.get("image_url", "").strip() and not values.get("image_alt", "").strip():
        problems.setdefault("image_alt", "an image needs alt text for screen readers")
    if problems:
        return None, problems
    return make_draft(**{name: values.get(name, "") for name in FORM_FIELDS}), {}


def _text(value: str | None, field: str, limit: int, *, required: bool) -> str | None:
    if value is None:
        return None
    return limits.one_line(value, field, limit, required=required)


def _date(value: str | dt.date | None) -> dt.date | None:
    if isinstance(value, str):
        return parse_date(value)
    return None if value is None else check_date(value)


def _summary(value: str | None, given: str | None) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    if not value.strip():
        return "", "text"  # clear it
    stored, stored_format = clean_summary(value, given or None)
    return stored or "", stored_format


def title_key(title: str) -> str:
    """The title as compared for duplicates: case, accents' forms, punctuation
    and spacing do not matter ("Co-op news!" == "co op  NEWS")."""
    folded = unicodedata.normalize("NFKC", title).casefold()
    return " ".join(_NOT_WORD.sub(" ", folded).split())


def _image(value: str | None) -> str | None:
    """An absolute http(s) URL, or an image stored in the workspace."""
    if value is not None and is_asset_ref(value.strip()):
        return value.strip()
    return _link(value, "image")


def _link(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    if not value.strip():
        return ""
    bad = limits.bad_char(value)  # before check_url, which would quote it
    if bad:
        raise ValidationError(field, bad)
    url = check_url(limits.no_token(value, field), field)
    return limits.check_length(url, field, limits.URL)


def add_item(session: Session, draft: ItemDraft) -> Item:
    """Store a new item; kind, title and date are required."""
    for name in ("kind", "title", "published_on"):
        if getattr(draft, name) in (None, ""):
            raise ValidationError(
                "date" if name == "published_on" else name, "is required"
            )
    item = Item()
    _apply(item, draft)
    _check_url_free(session, item.url, None)
    _check_title_free(session, item)
    session.add(item)
    session.flush()
    return item


def update_item(session: Session, item_id: int, draft: ItemDraft) -> Item:
    """Change the fields given in ``draft``; other fields keep their value."""
    item = get_item(session, item_id)
    if draft.url:  # before the change is applied, so no autoflush hits the index
        _check_url_free(session, draft.url, item.id)
    with session.no_autoflush:
        _apply(item, draft)
        _check_title_free(session, item)
    if session.is_modified(item):
        item_changed(session, [p.issue for p in item.placements])
    session.flush()
    return item


def _apply(item: Item, draft: ItemDraft) -> None:
    for f in fields(draft):
        value = getattr(draft, f.name)
        if value is None:
            continue
        setattr(item, f.name, value if value != "" else None)
    if draft.title:
        item.title_key = title_key(draft.title)
    if item.image_url and not item.image_alt:
        raise ValidationError("image_alt", "an image needs alt text for screen readers")


def _check_url_free(session: Session, url: str | None, own_id: int | None) -> None:
    if not url:
        return
    other = session.scalar(select(Item.id).where(Item.url == url))
    if other is not None and other != own_id:
        raise ConflictError(f"item {other} already has the link {url}", field="url")


def _check_title_free(session: Session, item: Item) -> None:
    """Without a link, an item is its title and date: one such item only."""
    if item.url:
        return
    other = session.scalar(
        select(Item.id).where(
            Item.url.is_(None),
            Item.title_key == item.title_key,
            Item.published_on == item.published_on,
            Item.id != item.id if item.id is not None else true(),
        )
    )
    if other is not None:
        raise ConflictError(
            f"item {other} has the same title and date and no link either",
            field="title",
        )


def get_item(session: Session, item_id: int) -> Item:
    item = session.get(Item, item_id) if limits.is_row_id(item_id) else None
    if item is None:
        raise NotFoundError(f"no item with id {item_id}")
    return item


def delete_item(session: Session, item_id: int) -> Item:
    """Remove an item; it also leaves every issue it was placed in."""
    item = get_item(session, item_id)
    left = [(placement.issue, placement.section) for placement in item.placements]
    item_changed(session, [issue for issue, _ in left])
    session.delete(item)
    session.flush()
    for issue, section in left:
        # The issue changed: bump its version so an editor working from an
        # older copy gets a conflict, not a silent surprise.
        flag_modified(issue, "status")
        session.expire(issue, ["entries"])  # loaded copies must not list it
        entries = sorted(
            (e for e in issue.entries if e.section == section),
            key=lambda e: (e.position, e.item_id),
        )
        for position, entry in enumerate(entries):  # close the gap it leaves
            entry.position = position
    session.flush()
    return item


def find_items(
    session: Session,
    *,
    month: str | None = None,
    kind: str | None = None,
    text: str | None = None,
    limit: int | None = None,
    after: Cursor | None = None,
) -> list[Item]:
    """Items newest first, filtered by month (YYYY-MM), kind and a word.

    ``after`` (the date and id of the last item of a page) gives the next
    page: a keyset, so a page deep into a big month costs what the first
    one does.
    """
    query = _filtered(select(Item), month=month, kind=kind, text=text)
    query = query.order_by(Item.published_on.desc(), Item.id.desc())
    if after is not None:
        query = query.where(tuple_(Item.published_on, Item.id) < tuple_(*after))
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def count_items(
    session: Session,
    *,
    month: str | None = None,
    kind: str | None = None,
    text: str | None = None,
) -> int:
    """How many items ``find_items`` would give without a limit."""
    query = _filtered(select(func.count(Item.id)), month=month, kind=kind, text=text)
    return session.scalar(query) or 0


def cursor_after(item: Item) -> str:
    """Where the page after ``item`` starts, as text for a link: ``2020-10-05.12``."""
    return f"{item.published_on.isoformat()}.{item.id}"


def parse_cursor(text: str) -> Cursor:
    """The (date, id) of a ``cursor_after`` text."""
    day, _, number = text.partition(".")
    try:
        cursor = dt.date.fromisoformat(day), int(number)
    except ValueError:
        cursor = None
    if cursor is None or not limits.is_row_id(cursor[1]) or not number.isdigit():
        raise ValidationError("after", f"{text!r} is not a page position")
    return cursor


def _filtered(
    query: Select[Any], *, month: str | None, kind: str | None, text: str | None
) -> Select[Any]:
    if month:
        start, end = month_bounds(month)
        query = query.where(Item.published_on >= start, Item.published_on < end)
    if kind:
        query = query.where(fold(Item.kind) == fold_text(kind))
    if text:
        # autoescape: % and _ in the word match themselves
        word = fold_text(text)
        query = query.where(
            or_(
                fold(Item.title).contains(word, autoescape=True),
                fold(func.coalesce(Item.summary, "")).contains(word, autoescape=True),
            )
        )
    return query


def latest_month(session: Session) -> str | None:
    """``YYYY-MM`` of the newest item, None without items."""
    latest = session.scalar(
        select(Item.published_on).order_by(Item.published_on.desc()).limit(1)
    )
    return latest.strftime("%Y-%m") if latest else None


def kinds_in_use(session: Session) -> list[str]:
    """Every kind in use, A to Z."""
    return list(session.scalars(select(Item.kind).distinct().order_by(Item.kind)))


def find_same(session: Session, draft: ItemDraft) -> Item | None:
    """The stored item a draft describes: same URL, else same title and date."""
    if draft.url:
        return session.scalar(select(Item).where(Item.url == draft.url))
    if draft.title and draft.published_on:
        return session.scalar(
            select(Item).where(
                Item.title_key == title_key(draft.title),
                Item.published_on == draft.published_on,
            )
        )
    return None
