"""The stored data: items, issues and the items placed in an issue.

Models only; queries live in items.py, assemble.py and issues.py.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import (
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql.functions import FunctionElement

# An issue goes draft -> review -> approved -> sent (compose/review.py).
ISSUE_STATUSES = ("draft", "review", "approved", "sent")


_NEW = {"missing": None}  # a column a dump from before 0005 lacks


class Base(DeclarativeBase):
    pass


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class Item(TimestampMixin, Base):
    """One piece of news, an article or an interview collected during the month."""

    __tablename__ = "items"
    __table_args__ = (
        Index("ix_items_published_on", "published_on"),
        Index("ix_items_title_key_date", "title_key", "published_on"),
        # Without a URL an item is its title and date: at most one such row,
        # so two imports running at once skip instead of duplicating.
        Index(
            "ux_items_title_key_date_no_url",
            "title_key",
            "published_on",
            unique=True,
            sqlite_where=text("url IS NULL"),
            postgresql_where=text("url IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(2000), unique=True)
    published_on: Mapped[dt.date] = mapped_column(Date)
    summary: Mapped[str | None] = mapped_column(Text)
    # "text" (escaped when rendered) or "html" (sanitized with nh3).
    summary_format: Mapped[str] = mapped_column(
        String(10), default="text", server_default="text"
    )
    # Normalised title: with the date, what identifies an item without a URL.
    title_key: Mapped[str] = mapped_column(String(300))
    image_url: Mapped[str | None] = mapped_column(String(2000))
    image_alt: Mapped[str | None] = mapped_column(String(300))
    source: Mapped[str | None] = mapped_column(String(200))

    placements: Mapped[list[IssueItem]] = relationship(
        back_populates="item", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"Item(id={self.id!r}, kind={self.kind!r}, title={self.title!r})"


class Issue(TimestampMixin, Base):
    """A monthly issue: its texts and the ordered items it contains."""

    __tablename__ = "issues"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    subject: Mapped[str | None] = mapped_column(String(300))
    preheader: Mapped[str | None] = mapped_column(String(300))
    intro: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Account names, not keys: the record stays when an account goes.
    # info "missing": what a dump from before 0005 gets (store/dumprows.py).
    last_editor: Mapped[str | None] = mapped_column(String(80), info=_NEW)
    approved_by: Mapped[str | None] = mapped_column(String(80), info=_NEW)
    approved_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), info=_NEW
    )
    sent_by: Mapped[str | None] = mapped_column(String(80), info=_NEW)
    sent_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), info=_NEW
    )

    entries: Mapped[list[IssueItem]] = relationship(
        back_populates="issue",
        cascade="all, delete-orphan",
        order_by="(IssueItem.section, IssueItem.position, IssueItem.item_id)",
    )

    # Optimistic lock: a save from a stale copy fails instead of overwriting.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads it

    def __repr__(self) -> str:
        return f"Issue(slug={self.slug!r}, title={self.title!r})"


class IssueItem(Base):
    """An item placed in an issue: which section, at which position."""

    __tablename__ = "issue_items"
    __table_args__ = (UniqueConstraint("issue_id", "item_id"),)

    issue_id: Mapped[int] = mapped_column(
        ForeignKey("issues.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    # The section's name (an item kind by default); sections are ordered by
    # enews.toml at render time, so a config change needs no data change.
    section: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)  # order inside the section
    featured: Mapped[bool] = mapped_column(default=False)

    issue: Mapped[Issue] = relationship(back_populates="entries")
    item: Mapped[Item] = relationship(back_populates="placements", lazy="joined")


def new_stamp() -> str:
    return secrets.token_hex(16)


class random_stamp(FunctionElement[str]):
    """32 random hex digits made by the database: the stamp of a user added
    by plain SQL (enews itself makes them with ``new_stamp``)."""

    type = String()
    inherit_cache = True
    name = "random_stamp"


@compiles(random_stamp, "sqlite")
def _random_stamp_sqlite(element: random_stamp, compiler: Any, **kw: Any) -> str:
    return "lower(hex(randomblob(16)))"


@compiles(random_stamp, "postgresql")
def _random_stamp_postgresql(element: random_stamp, compiler: Any, **kw: Any) -> str:
    return "replace(gen_random_uuid()::text, '-', '')"


class User(TimestampMixin, Base):
    """An account of the shared web workspace; only a password hash is kept.

    ``name`` is kept as typed, for display; ``name_key``, made from it by the
    database, is unique: "Amy" and "amy" are one account.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    # lower() is the same on both backends for the ASCII names accounts take.
    # Made by the database, so no insert (a dump's, plain SQL) can skip it.
    name_key: Mapped[str] = mapped_column(
        String(80),
        Computed("lower(name)", persisted=True),
        unique=True,
        info={"dumped": False},
    )
    password_hash: Mapped[str] = mapped_column(String(300))
    # admin, editor or reviewer (enews/roles.py).
    role: Mapped[str] = mapped_column(
        String(20),
        default="editor",
        server_default="editor",
        info={"missing": "admin"},  # as migration 0005 made every account
    )
    # In every session cookie of this user; a new one (sign-out, a new
    # password) ends them all. Never dumped: a restored database must not
    # bring back sessions ended since the dump, so a load makes new ones.
    session_stamp: Mapped[str] = mapped_column(
        String(32),
        default=new_stamp,
        server_default=random_stamp(),
        info={"dumped": False},
    )


class SigninFailure(Base):
    """A failed sign-in, kept for the rate limit (shared by all workers)."""

    __tablename__ = "signin_failures"
    __table_args__ = (Index("ix_signin_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200))  # "user:amy" or "ip:10.0.0.7"
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
