"""Sessions that end on the server, and account names unique ignoring case.

users.session_stamp is a random value held in every session cookie of the
user; enews makes a new one on sign-out and on a new password, which ends
every session made with the old one. Each existing account gets its own.
users.name_key, lower(name) made by the database and unique, makes "Amy"
and "amy" one account (names are ASCII: lower() is the same on SQLite and
PostgreSQL). A generated column, not an index on lower(name), because
SQLAlchemy cannot read an expression index back from SQLite.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import secrets
from typing import Literal

import sqlalchemy as sa
from alembic import op

from enews.errors import DatabaseError

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Frozen here rather than imported from models: a migration must keep its
# meaning when the application code changes.
RANDOM_STAMP = {
    "sqlite": "(lower(hex(randomblob(16))))",
    "postgresql": "replace(gen_random_uuid()::text, '-', '')",
}


def upgrade() -> None:
    connection = op.get_bind()
    _refuse_names_differing_in_case(connection)
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_stamp", sa.String(32), nullable=True))
    users = sa.table(
        "users", sa.column("id", sa.Integer), sa.column("session_stamp", sa.String)
    )
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(session_stamp=secrets.token_hex(16))
        )
    sqlite = connection.dialect.name == "sqlite"
    default = RANDOM_STAMP.get(connection.dialect.name)
    # SQLite adds no stored generated column in place: rebuild the table
    # there (only there: on PostgreSQL a copy would get a new id sequence).
    with op.batch_alter_table("users", recreate=_rebuild(sqlite)) as batch:
        batch.alter_column(
            "session_stamp",
            existing_type=sa.String(32),
            nullable=False,
            server_default=sa.text(default) if default else None,
        )
        batch.add_column(
            sa.Column(
                "name_key",
                sa.String(80),
                sa.Computed("lower(name)", persisted=True),
                nullable=False,
            )
        )
        batch.create_unique_constraint("uq_users_name_key", ["name_key"])


def _refuse_names_differing_in_case(connection: sa.Connection) -> None:
    # Which of two such accounts to keep is the user's decision (each has its
    # own password): stop before changing anything and name them.
    rows = connection.execute(
        sa.text(
            "SELECT lower(name), count(*) FROM users GROUP BY lower(name) "
            "HAVING count(*) > 1 ORDER BY lower(name)"
        )
    ).all()
    if not rows:
        return
    names = connection.execute(
        sa.text(
            "SELECT name FROM users WHERE lower(name) IN :folded ORDER BY id"
        ).bindparams(sa.bindparam("folded", expanding=True)),
        {"folded": [folded for folded, _ in rows]},
    ).scalars()
    shown = ", ".join(repr(name) for name in list(names)[:6])
    raise DatabaseError(
        f"{len(rows)} account name(s) differ only in case ({shown}), and names "
        "now ignore case; remove all but one of each with the enews that made "
        "this database ('enews user rm NAME'), then upgrade again"
    )


def _rebuild(sqlite: bool) -> Literal["always", "auto"]:
    return "always" if sqlite else "auto"


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("users", recreate=_rebuild(sqlite)) as batch:
        batch.drop_constraint("uq_users_name_key", type_="unique")
        batch.drop_column("name_key")
        batch.drop_column("session_stamp")
