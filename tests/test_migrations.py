"""Alembic upgrades on both backends: a database created at the first
revision and filled with data comes to head with everything intact."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text

from enews.errors import DatabaseError
from enews.store import db
from enews.store.models import Base


def at_revision(engine: Engine, revision: str) -> None:
    command.upgrade(db._alembic_config(engine), revision)


def fill_at_0001(engine: Engine, *, duplicate: bool = False) -> None:
    rows = [
        "('News', 'Co-op  News, Zoë!', 'https://e.org/1', '2020-10-05', 'Plain')",
        "('Article', 'Second', NULL, '2020-10-06', NULL)",
    ]
    if duplicate:
        rows.append("('Article', 'second!', NULL, '2020-10-06', NULL)")
    with engine.begin() as conn:
        conn.execute(
            text(
                # no ids: the sequences number them, as they did for users
                "INSERT INTO items (kind, title, url, published_on, summary) "
                "VALUES " + ", ".join(rows)
            )
        )
        conn.execute(
            text(
                "INSERT INTO issues (slug, title, period, status, version) "
                "VALUES ('2020-10', 'October issue', '2020-10', 'draft', 3)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO issue_items (issue_id, item_id, section, position, "
                "featured) VALUES (1, 1, 'News', 0, true), (1, 2, 'Article', 0, false)"
            )
        )


def test_upgrade_from_the_first_revision_keeps_every_row(empty_engine):
    at_revision(empty_engine, "0001")
    fill_at_0001(empty_engine)
    before, after = db.upgrade(empty_engine)
    assert (before, after) == ("0001", db.head_revision())
    with empty_engine.connect() as conn:
        items = conn.execute(
            text("SELECT id, title, title_key, summary_format FROM items ORDER BY id")
        ).all()
        placements = conn.execute(
            text("SELECT item_id, section, position, featured FROM issue_items "
                 "ORDER BY item_id")
        ).all()  # fmt: skip
        issue = conn.execute(text("SELECT slug, version FROM issues")).one()
    assert items == [
        (1, "Co-op  News, Zoë!", "co op news zoë", "text"),
        (2, "Second", "second", "text"),
    ]
    assert [tuple(p) for p in placements] == [
        (1, "News", 0, True),
        (2, "Article", 0, False),
    ]
    assert tuple(issue) == ("2020-10", 3)
    with empty_engine.connect() as conn:  # the upgraded schema is the models'
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert drift(diffs) == []


def drift(diffs: list) -> list:
    """Differences that matter. The unique constraint on issue_items repeats
    its primary key; PostgreSQL keeps only the key, which enforces the same."""

    def redundant(diff) -> bool:
        return diff[0] == "add_constraint" and diff[1].table.name == "issue_items"

    return [d for d in diffs if not redundant(d)]


def test_an_upgraded_database_takes_new_rows(empty_engine):
    """Sequences (PostgreSQL) and the new tables work after the upgrade."""
    at_revision(empty_engine, "0001")
    fill_at_0001(empty_engine)
    db.upgrade(empty_engine)
    with db.transaction(db.session_factory(empty_engine)) as session:
        from tests.factories import make_item

        item = make_item(session, url=None)
        assert item.id is not None
        session.execute(
            text("INSERT INTO users (name, password_hash) VALUES ('amy', 'x')")
        )


def test_0003_refuses_url_less_duplicates_and_changes_nothing(empty_engine):
    at_revision(empty_engine, "0002")
    with empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO items (id, kind, title, title_key, url, published_on) "
                "VALUES (1, 'News', 'Same', 'same', NULL, '2020-10-06'), "
                "(2, 'News', 'same!', 'same', NULL, '2020-10-06')"
            )
        )
    with pytest.raises(DatabaseError, match=r"items 1 and 2.*enews item rm"):
        db.upgrade(empty_engine)
    assert db.current_revision(empty_engine) == "0002"
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM items")).scalar() == 2
        tables = set(
            conn.dialect.get_table_names(conn)  # type: ignore[attr-defined]
        )
    assert "users" not in tables


def test_a_database_behind_is_refused_with_the_upgrade_command(empty_engine):
    at_revision(empty_engine, "0002")
    with pytest.raises(DatabaseError, match="enews db upgrade"):
        db.ensure_schema(empty_engine)


def test_0005_makes_every_account_an_admin_and_ready_issues_in_review(empty_engine):
    at_revision(empty_engine, "0004")
    with empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (name, password_hash, session_stamp) VALUES "
                "('amy', 'x', 'a'), ('Bo', 'y', 'b')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO issues (slug, title, period, status, version) VALUES "
                "('2020-10', 'October', '2020-10', 'ready', 2), "
                "('2020-11', 'November', '2020-11', 'draft', 1)"
            )
        )
    assert db.upgrade(empty_engine) == ("0004", db.head_revision())
    with empty_engine.connect() as conn:
        users = conn.execute(text("SELECT name, role FROM users ORDER BY id")).all()
        issues = conn.execute(
            text("SELECT slug, status, version, approved_by FROM issues ORDER BY id")
        ).all()
    assert [tuple(u) for u in users] == [("amy", "admin"), ("Bo", "admin")]
    assert [tuple(i) for i in issues] == [
        ("2020-10", "review", 2, None),
        ("2020-11", "draft", 1, None),
    ]
    with db.transaction(db.session_factory(empty_engine)) as session:
        from enews.store.accounts import add_user

        assert add_user(session, "cy", "a long password").role == "editor"
