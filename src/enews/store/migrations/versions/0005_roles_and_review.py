"""Roles and the review of an issue.

users.role: admin, editor or reviewer; every existing account becomes an
admin (they could do everything until now). issues gain who last edited
them, who approved and when, who marked them sent and when; the old
"ready" status becomes "review" (draft -> review -> approved -> sent).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_ISSUE_COLUMNS = (
    ("last_editor", sa.String(80)),
    ("approved_by", sa.String(80)),
    ("approved_at", sa.DateTime(timezone=True)),
    ("sent_by", sa.String(80)),
    ("sent_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("role", sa.String(20), nullable=False, server_default="editor")
        )
    op.execute("UPDATE users SET role = 'admin'")
    with op.batch_alter_table("issues") as batch:
        for name, type_ in _ISSUE_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
    op.execute("UPDATE issues SET status = 'review' WHERE status = 'ready'")


def downgrade() -> None:
    op.execute("UPDATE issues SET status = 'ready' WHERE status <> 'draft'")
    with op.batch_alter_table("issues") as batch:
        for name, _ in reversed(_ISSUE_COLUMNS):
            batch.drop_column(name)
    # Not a batch: rebuilding users on SQLite would have to copy its
    # generated name_key, which Alembic's reflection writes back wrongly.
    op.execute("ALTER TABLE users DROP COLUMN role")
