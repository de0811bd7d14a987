"""Importing records into the items table: validate, match, add or update.

Records stream in batches. Each one is validated first; a valid record is
matched to a stored item (same URL or, without a URL, same normalised title
and date) and added, updated or left unchanged. Everything happens in the
caller's session and transaction: the caller commits only when
``report.ok_to_commit``, so an import with a bad record (without
``skip_invalid``) or a dry run leaves the database as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from itertools import islice
from typing import Any

from sqlalchemy import insert, or_, select, tuple_
from sqlalchemy.orm import Session, sessionmaker

from enews.collect.fetch import Source
from enews.collect.records import RawRecord
from enews.compose.items import ItemDraft, make_draft, title_key
from enews.errors import ValidationError
from enews.store.db import lock_for_writing
from enews.store.models import Item

BATCH = 500
MAX_LISTED_CHANGES = 200  # a report lists this many updates, then counts
COMPARED = ("kind", "title", "published_on", "url", "summary", "summary_format",
            "image_url", "image_alt")  # fmt: skip


@dataclass
class Change:
    where: str
    item_id: int
    title: str
    fields: list[str]


@dataclass
class Listed:
    """A record named in the report: where it is and its title."""

    where: str
    title: str


@dataclass
class ImportReport:
    source: str
    format: str
    dry_run: bool = False
    skip_invalid: bool = False
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    # What a dry run shows by title (at most MAX_LISTED_CHANGES of each).
    additions: list[Listed] = field(default_factory=list)
    rejections: list[Listed] = field(default_factory=list)

    @property
    def ok_to_commit(self) -> bool:
        return not self.dry_run and (self.invalid == 0 or self.skip_invalid)

    @property
    def records(self) -> int:
        return self.added + self.updated + self.unchanged + self.invalid

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["committed"] = self.ok_to_commit
        return data


@dataclass
class _Valid:
    where: str
    draft: ItemDraft
    key: tuple[str, ...]  # ("url", url) or ("title", title_key, iso date)


def import_records(
    session: Session,
    records: Iterable[RawRecord],
    report: ImportReport,
    *,
    kind: str | None = None,
    label: str = "",
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import ``records`` into the session, filling ``report``.

    ``kind`` is the default kind for records without one; ``label`` names a
    record's position ("entry " for feeds, "" for line numbers).
    """
    seen: dict[tuple[str, ...], str] = {}
    for batch in _batches(iter(records)):
        valid = [v for raw in batch if (v := _validate(raw, report, kind, label))]
        _apply_batch(session, _first_of_each(valid, seen, report), report)
        session.flush()
        session.expunge_all()  # constant memory, however long the file
        if progress:
            progress(len(batch))
    return report


def import_source(
    factory: sessionmaker[Session],
    opened: Source,
    *,
    fmt: str | None = None,
    kind: str | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None,
    base_url: str | None = None,
) -> ImportReport:
    """Detect the format of an opened source, read it and import it in one
    transaction, committed only when ``report.ok_to_commit``.

    The CLI (a file or URL) and the web workspace (an upload) both call this.
    ``base_url`` makes a web page's relative links absolute (a saved page).
    """
    from enews.collect import detect_format, read_records

    head = opened.stream.read(4096)
    opened.stream.seek(0)
    fmt = fmt or detect_format(head, name=opened.name, content_type=opened.content_type)
    report = ImportReport(
        source=opened.name, format=fmt, dry_run=dry_run, skip_invalid=skip_invalid
    )
    records = read_records(
        opened.stream,
        fmt,
        source=opened.name,
        kind=kind,
        warn=report.warnings.append,
        content_type=opened.content_type,
        base_url=base_url or opened.final_url,  # a page's links: after redirects
    )
    # Feed entries and page blocks are counted; other formats have lines.
    label = {"feed": "entry ", "html": "block "}.get(fmt, "")
    with factory() as session:
        if not dry_run:
            lock_for_writing(session)
        import_records(
            session, records, report, kind=kind, label=label, progress=progress
        )
        if report.ok_to_commit:
            session.commit()
        else:
            session.rollback()
    return report


def _batches(records: Iterator[RawRecord]) -> Iterator[list[RawRecord]]:
    while batch := list(islice(records, BATCH)):
        yield batch


def _validate(
    raw: RawRecord, report: ImportReport, kind: str | None, label: str
) -> _Valid | None:
    where = f"{report.source}:{label}{raw.line}"
    if raw.problem:
        _invalid(report, where, raw.problem, raw.fields.get("title"))
        return None
    fields = raw.fields
    try:
        draft = make_draft(
            kind=fields.get("kind") or kind or _missing("kind"),
            title=fields.get("title") or _missing("title"),
            date=fields.get("date") or _missing("date"),
            url=fields.get("url"),
            summary=fields.get("summary"),
            summary_format=fields.get("summary_format"),
            image_url=fields.get("image"),
            image_alt=fields.get("image_alt"),
        )
        if draft.image_url and not draft.image_alt:
            raise ValidationError("image_alt", "an image needs alt text")
    except ValidationError as exc:
        _invalid(report, where, str(exc), fields.get("title"))
        return None
    assert draft.title is not None and draft.published_on is not None
    if draft.url:
        key: tuple[str, ...] = ("url", draft.url)
    else:
        key = ("title", title_key(draft.title), draft.published_on.isoformat())
    return _Valid(where, draft, key)


def _missing(name: str) -> str:
    raise ValidationError(name, "is required")


def _invalid(report: ImportReport, where: str, problem: str, title: Any | None) -> None:
    report.invalid += 1
    report.problems.append(f"{where}: {problem}")
    if len(report.rejections) < MAX_LISTED_CHANGES:
        report.rejections.append(Listed(where, _shown(title)))


def _shown(title: Any | None) -> str:
    """A record's title as a report shows it: one line, printable (it may be
    a rejected record's, with the control characters that got it refused)."""
    if not title:
        return "(no title)"
    text = " ".join(str(title).split())
    text = "".join(c if c.isprintable() else "\ufffd" for c in text)
    return text if len(text) <= 120 else text[:119] + "\u2026"


def _first_of_each(
    valid: list[_Valid], seen: dict[tuple[str, ...], str], report: ImportReport
) -> list[_Valid]:
    """Drop (as invalid) a record describing an item met earlier in the file.

    Two rows for one item would overwrite each other on every import, so a
    re-import would never be a no-op.
    """
    kept = []
    for record in valid:
        first = seen.setdefault(record.key, record.where)
        if first != record.where:
            problem = f"the same item as {first}"
            _invalid(report, record.where, problem, record.draft.title)
        else:
            kept.append(record)
    return kept


def _apply_batch(session: Session, valid: list[_Valid], report: ImportReport) -> None:
    stored = _stored_matches(session, valid)
    new_rows = []
    for record in valid:
        item = stored.get(record.key)
        if item is None:
            new_rows.append(_row(record.draft, report.source))
            report.added += 1
            if len(report.additions) < MAX_LISTED_CHANGES:
                report.additions.append(
                    Listed(record.where, _shown(record.draft.title))
                )
            continue
        changed = _update(item, record.draft)
        if not changed:
            report.unchanged += 1
            continue
        report.updated += 1
        if len(report.changes) < MAX_LISTED_CHANGES:
            report.changes.append(Change(record.where, item.id, item.title, changed))
    if new_rows:
        added = _insert_new(session, new_rows)
        # Rows another import stored since we looked were skipped, not doubled.
        report.added -= len(new_rows) - added
        report.unchanged += len(new_rows) - added


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert, skipping rows whose URL (or title and date) is already stored;
    returns how many were inserted. Both dialects speak ON CONFLICT."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):  # pragma: no cover
        session.execute(insert(Item), rows)
        return len(rows)
    upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = upsert(Item).on_conflict_do_nothing().returning(Item.id)
    return len(session.scalars(statement, rows).all())


def _stored_matches(
    session: Session, valid: list[_Valid]
) -> dict[tuple[str, ...], Item]:
    """The stored items the batch's records describe, by record key."""
    urls = [r.key[1] for r in valid if r.key[0] == "url"]
    titles = [
        (r.key[1], dt.date.fromisoformat(r.key[2]))
        for r in valid
        if r.key[0] == "title"
    ]
    conditions = []
    if urls:
        conditions.append(Item.url.in_(urls))
    if titles:
        conditions.append(tuple_(Item.title_key, Item.published_on).in_(titles))
    if not conditions:
        return {}
    found: dict[tuple[str, ...], Item] = {}
    for item in session.scalars(select(Item).where(or_(*conditions))):
        if item.url:
            found[("url", item.url)] = item
        found.setdefault(("title", item.title_key, item.published_on.isoformat()), item)
    return found


def _row(draft: ItemDraft, source: str) -> dict[str, Any]:
    assert draft.title is not None
    row = {name: getattr(draft, name) or None for name in COMPARED}
    row["summary_format"] = draft.summary_format or "text"
    row["title_key"] = title_key(draft.title)
    row["source"] = source[-200:]  # where it came from; the end names the file
    return row


def _update(item: Item, draft: ItemDraft) -> list[str]:
    """Set the fields the draft gives; returns the names that changed."""
    changed = []
    for name in COMPARED:
        value = getattr(draft, name)
        if value is None:  # not in this source: keep what is stored
            continue
        value = value or None  # "" clears
        if name == "summary_format":
            value = value or "text"
        if getattr(item, name) != value:
            setattr(item, name, value)
            changed.append(name)
    if "title" in changed:
        item.title_key = title_key(item.title)
    return [c for c in changed if c != "summary_format" or "summary" not in changed]
