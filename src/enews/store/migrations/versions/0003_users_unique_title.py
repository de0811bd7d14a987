"""Sign-in for a shared workspace, and one url-less item per title and date.

users holds the accounts of the web workspace (password hashes only);
signin_failures records failed sign-ins so every worker process of a
production server applies the same rate limit. The partial unique index
lets two imports of the same source at the same time skip, rather than
duplicate, an item without a URL (items with one are unique by URL).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from enews.errors import DatabaseError

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

NO_URL = sa.text("url IS NULL")


def upgrade() -> None:
    _refuse_duplicates()
    op.create_index(
        "ux_items_title_key_date_no_url",
        "items",
        ["title_key", "published_on"],
        unique=True,
        sqlite_where=NO_URL,
        postgresql_where=NO_URL,
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(80), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
            nullable=False,
        ),
    )  # fmt: skip
    op.create_table(
        "signin_failures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_signin_failures_key_at", "signin_failures", ["key", "at"])


def _refuse_duplicates() -> None:
    # The index cannot be built over duplicates, and which copy to keep is the
    # user's decision: stop before changing anything and name them.
    rows = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT min(id), max(id) FROM items WHERE url IS NULL "
                "GROUP BY title_key, published_on HAVING count(*) > 1"
            )
        )
        .all()
    )
    if rows:
        pairs = ", ".join(f"{a} and {b}" for a, b in rows[:5])
        raise DatabaseError(
            f"{len(rows)} pair(s) of items without a link share a title and a "
            f"date (items {pairs}); delete or date one of each with "
            "'enews item rm' or 'enews item edit', then upgrade again"
        )


def downgrade() -> None:
    op.drop_index("ix_signin_failures_key_at", "signin_failures")
    op.drop_table("signin_failures")
    op.drop_table("users")
    op.drop_index("ux_items_title_key_date_no_url", "items")
