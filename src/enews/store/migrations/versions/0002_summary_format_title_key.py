"""Rich-text summaries and duplicate detection on imports.

items.summary_format says whether summary is plain text or sanitized HTML;
items.title_key is the normalised title that, with the date, identifies an
item without a URL. Existing rows are text and get their key computed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_NOT_WORD = re.compile(r"[\W_]+")


def _title_key(title: str) -> str:
    # A frozen copy of enews.compose.items.title_key as it was at this revision:
    # a migration must not change meaning when the application code does.
    folded = unicodedata.normalize("NFKC", title).casefold()
    return " ".join(_NOT_WORD.sub(" ", folded).split())


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(
            sa.Column(
                "summary_format", sa.String(10), nullable=False, server_default="text"
            )
        )
        batch.add_column(sa.Column("title_key", sa.String(300), nullable=True))
    items = sa.table(
        "items", sa.column("id", sa.Integer), sa.column("title", sa.String),
        sa.column("title_key", sa.String),
    )  # fmt: skip
    connection = op.get_bind()
    rows = connection.execute(sa.select(items.c.id, items.c.title)).all()
    for row_id, title in rows:
        connection.execute(
            items.update()
            .where(items.c.id == row_id)
            .values(title_key=_title_key(title))
        )
    with op.batch_alter_table("items") as batch:
        batch.alter_column("title_key", existing_type=sa.String(300), nullable=False)
        batch.create_index("ix_items_title_key_date", ["title_key", "published_on"])


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.drop_index("ix_items_title_key_date")
        batch.drop_column("title_key")
        batch.drop_column("summary_format")
