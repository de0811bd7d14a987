"""Engine, pragmas and schema checks (enews.store.db), on real SQLite files."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, String, inspect, text
from sqlalchemy.exc import IntegrityError

from enews.errors import DatabaseError
from enews.store import db
from enews.store.models import Base


@pytest.fixture
def engine_for(tmp_path):
    """Make engines on files in tmp_path; dispose of them afterwards."""
    engines = []

    def make(name: str = "test.sqlite"):
        engine = db.make_engine(f"sqlite:///{tmp_path / name}")
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()


@pytest.fixture
def migrated(engine_for):
    engine = engine_for()
    db.ensure_schema(engine)
    return engine


def pragma(engine, name: str):
    with engine.connect() as conn:
        return conn.execute(text(f"PRAGMA {name}")).scalar()


def test_migrations_form_one_line_ending_at_head():
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory(db.MIGRATIONS)
    assert scripts.get_heads() == [db.head_revision()]
    chain = [rev.revision for rev in scripts.walk_revisions()]
    assert chain[-1] == "0001"  # every revision descends from the first
    assert len(chain) == len(set(chain)) == len(list(scripts.walk_revisions()))


def test_head_constant_is_the_head_of_the_migration_scripts():
    # Every command compares the database with HEAD_REVISION instead of
    # asking Alembic; a migration added without updating it fails here.
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory(db.MIGRATIONS).get_heads()
    assert heads == [db.HEAD_REVISION], (
        f"the migrations end at {heads}: set HEAD_REVISION in "
        "src/enews/store/db.py to the newest revision"
    )
    assert db.head_revision() == db.HEAD_REVISION
    assert db.HEAD_REVISION in db.known_revisions()


def test_upgrade_from_first_revision_keeps_data(tmp_path):
    """A database filled at revision 0001 comes to head with every row intact,
    issue placements included (SQLite's table rebuild must not cascade)."""
    from alembic import command

    engine = db.make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    command.upgrade(db._alembic_config(engine), "0001")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO items (id, kind, title, url, published_on, summary) "
                "VALUES (1, 'News', 'Co-op  News, Zoë!', 'https://e.org/1', "
                "'2020-10-05', 'Plain <b>text</b>'), "
                "(2, 'Article', 'Second', NULL, '2020-10-06', NULL)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO issues (id, slug, title, period, status, version) "
                "VALUES (1, '2020-10', 'October issue', '2020-10', 'draft', 3)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO issue_items (issue_id, item_id, section, position, "
                "featured) VALUES (1, 1, 'News', 0, 1), (1, 2, 'Article', 0, 0)"
            )
        )
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision()
    with engine.connect() as conn:
        columns = "title, title_key, summary, summary_format"
        rows = conn.execute(text(f"SELECT {columns} FROM items ORDER BY id")).all()
        placements = conn.execute(
            text("SELECT issue_id, item_id, section, position, featured "
                 "FROM issue_items ORDER BY item_id")
        ).all()  # fmt: skip
        issue = conn.execute(text("SELECT slug, version FROM issues")).one()
        foreign_keys = conn.execute(text("PRAGMA foreign_keys")).scalar()
    assert rows == [
        ("Co-op  News, Zoë!", "co op news zoë", "Plain <b>text</b>", "text"),
        ("Second", "second", None, "text"),
    ]
    assert placements == [(1, 1, "News", 0, 1), (1, 2, "Article", 0, 0)]
    assert issue == ("2020-10", 3)
    assert foreign_keys == 1  # back on for the connections that follow


def test_fresh_file_gets_schema_at_head(engine_for, tmp_path):
    engine = engine_for("fresh.sqlite")
    assert db.current_revision(engine) is None
    db.ensure_schema(engine)
    assert (tmp_path / "fresh.sqlite").exists()
    assert db.current_revision(engine) == db.head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {"items", "issues", "issue_items", "alembic_version"} <= tables


def test_ensure_schema_is_idempotent_at_head(migrated):
    with migrated.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO items (kind, title, title_key, published_on) "
                "VALUES ('News', 'Kept', 'kept', '2020-10-01')"
            )
        )
    db.ensure_schema(migrated)
    with migrated.connect() as conn:
        assert conn.execute(text("SELECT title FROM items")).scalars().all() == ["Kept"]


def test_upgrade_reports_before_and_after(engine_for):
    engine = engine_for()
    assert db.upgrade(engine) == (None, db.head_revision())
    assert db.upgrade(engine) == (db.head_revision(), db.head_revision())


def test_foreign_keys_and_wal_are_on(migrated):
    assert pragma(migrated, "foreign_keys") == 1
    assert pragma(migrated, "journal_mode") == "wal"
    assert pragma(migrated, "busy_timeout") == db.BUSY_TIMEOUT_MS == 30_000


def test_foreign_keys_are_enforced(migrated):
    with pytest.raises(IntegrityError), migrated.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO issue_items (issue_id, item_id, section, position, "
                "featured) VALUES (1, 1, 'News', 0, 0)"
            )
        )


def test_in_memory_database_keeps_memory_journal():
    engine = db.make_engine("sqlite://")
    try:
        assert pragma(engine, "journal_mode") == "memory"
        assert pragma(engine, "foreign_keys") == 1
    finally:
        engine.dispose()


def test_models_match_the_migrations(migrated):
    with migrated.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_drift_check_is_not_vacuous(migrated):
    # A model whose column type differs from the migration must show up.
    drifted = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["items"].c.title.type = String(100)
    with migrated.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), drifted)
    assert [d[0][0] for d in diff] == ["modify_type"]


def test_published_on_index_exists(migrated):
    indexes = {
        i["name"]: i["column_names"] for i in inspect(migrated).get_indexes("items")
    }
    assert indexes["ix_items_published_on"] == ["published_on"]


def test_unknown_revision_is_refused_with_upgrade_advice(engine_for):
    engine = engine_for()
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('abc')"))
    assert db.current_revision(engine) == "abc"
    with pytest.raises(DatabaseError) as info:
        db.ensure_schema(engine)
    message = str(info.value)
    assert "revision abc" in message
    assert db.head_revision() in message
    assert "enews db upgrade" in message
    # Never migrated behind the user's back.
    assert db.current_revision(engine) == "abc"
    assert "items" not in inspect(engine).get_table_names()


def test_non_empty_database_without_alembic_version_is_refused(engine_for):
    engine = engine_for()
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE notes (body TEXT)"))
    with pytest.raises(DatabaseError) as info:
        db.ensure_schema(engine)
    assert "has no enews schema" in str(info.value)
    assert "enews db upgrade" in str(info.value)
    assert set(inspect(engine).get_table_names()) == {"notes"}


@pytest.mark.parametrize("url", ["nosuchdb://x", "not a url"])
def test_bad_url_is_a_database_error(url):
    with pytest.raises(DatabaseError, match="cannot use database URL"):
        db.make_engine(url)


def test_unopenable_file_is_a_database_error(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'db.sqlite'}")
    try:
        with pytest.raises(DatabaseError, match="cannot open database"):
            db.ensure_schema(engine)
    finally:
        engine.dispose()


def test_database_url_prefers_explicit(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///from-env.sqlite")
    assert db.database_url(tmp_path, "sqlite:///explicit.sqlite") == (
        "sqlite:///explicit.sqlite"
    )


def test_database_url_then_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///from-env.sqlite")
    assert db.database_url(tmp_path) == "sqlite:///from-env.sqlite"
    assert db.database_url(tmp_path, None) == "sqlite:///from-env.sqlite"


def test_database_url_defaults_to_workspace_file(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    url = db.database_url(Path("ws"))
    assert url == f"sqlite:///{(tmp_path / 'ws' / 'db.sqlite').resolve()}"
    assert Path(url.removeprefix("sqlite:///")).is_absolute()


def test_transaction_commits_or_rolls_back(migrated):
    factory = db.session_factory(migrated)
    insert = text(
        "INSERT INTO items (kind, title, title_key, published_on) "
        "VALUES ('News', :t, :t, '2020-10-01')"
    )
    with db.transaction(factory) as session:
        session.execute(insert, {"t": "committed"})
    with pytest.raises(RuntimeError), db.transaction(factory) as session:
        session.execute(insert, {"t": "rolled back"})
        raise RuntimeError
    with migrated.connect() as conn:
        titles = conn.execute(text("SELECT title FROM items")).scalars().all()
    assert titles == ["committed"]


@pytest.mark.parametrize(
    "url", ["postgres://u@h/d", "postgresql://u@h/d", "postgresql+psycopg://u@h/d"]
)
def test_postgresql_urls_use_psycopg_3(url):
    engine = db.make_engine(url)  # no connection is made yet
    assert engine.url.drivername == "postgresql+psycopg"
    engine.dispose()
