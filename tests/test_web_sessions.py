"""Sessions that end on the server, account names that ignore case, and the
bad requests that must not become a 500: a replayed cookie after sign-out
or a new password, `next=` with CR LF, a library error in an after_request
hook; and the 0004 migration and the dumps around the session stamps."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from enews.cli import cli
from enews.errors import ConflictError, DatabaseError, DumpError, ValidationError
from enews.store import accounts, db
from enews.store.models import Item, User
from tests.helpers_transfer import DUMP_V1, dump_bytes, load_bytes
from tests.helpers_web import PASSWORD, Browser, signed_in
from tests.helpers_web import app as app

ITEM = {
    "kind": "News", "title": "Added with a stolen cookie", "date": "2020-10-29",
    "url": "https://e.example/stolen", "summary": "", "source": "",
    "image_url": "", "image_alt": "",
}  # fmt: skip


@pytest.fixture
def amy(workspace):
    with workspace.transaction() as session:
        accounts.add_user(session, "Amy", PASSWORD)
    return "Amy"


class Replay(Browser):
    """Another client that sends a copy of ``tab``'s cookie and CSRF token
    with every request, as someone who saw them could, whatever the server
    answers (a refusal clears the cookie of a real browser, not of a thief)."""

    def __init__(self, app, tab):
        super().__init__(app)
        self.cookie = tab.client.get_cookie("session").value
        self.token = tab.token

    def get(self, url, **kw):
        self.client.set_cookie("session", self.cookie)
        return self.client.get(url, **kw)

    def post(self, url, data=None, *, htmx=True, **kw):
        self.client.set_cookie("session", self.cookie)
        return super().post(url, data, htmx=htmx, **kw)


def items_titled(workspace, title=ITEM["title"]):
    with workspace.transaction() as session:
        return session.scalar(
            select(func.count()).select_from(Item).where(Item.title == title)
        )


def assert_signed_out(app, tab):
    """``tab``'s cookie and token, replayed, open no page and add no item."""
    tab = Replay(app, tab)
    page = tab.get("/items")
    assert page.status_code == 302 and page.location.startswith("/signin")
    added = tab.post("/items/new", ITEM, htmx=False)
    assert added.status_code == 302 and added.location.startswith("/signin")


# --- sessions end on the server ----------------------------------------------


def test_a_cookie_copied_before_signout_opens_nothing_and_adds_nothing(
    workspace, app, amy
):
    tab = signed_in(app)
    thief = Replay(app, tab)
    assert thief.get("/items").status_code == 200  # the copy works...
    assert tab.post("/signout", htmx=False).status_code == 303
    assert_signed_out(app, thief)  # ...until the owner signs out
    assert items_titled(workspace) == 0
    htmx = thief.post("/items/new", ITEM)
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/signin")
    assert items_titled(workspace) == 0


def test_a_refused_cookie_is_cleared(app, amy):
    tab = signed_in(app)
    thief = Replay(app, tab)
    tab.post("/signout", htmx=False)
    response = thief.get("/items")
    assert "session=;" in response.headers.get("Set-Cookie", "")


def test_signing_out_ends_every_session_of_the_account(app, amy):
    laptop, phone = signed_in(app), signed_in(app)
    laptop.post("/signout", htmx=False)
    assert_signed_out(app, phone)
    assert signed_in(app).get("/items").status_code == 200  # again


def test_a_new_password_from_the_command_ends_the_sessions(workspace, app, amy):
    tab = signed_in(app)
    result = CliRunner().invoke(
        cli,
        ["-w", str(workspace.root), "user", "passwd", "amy", "--password-stdin"],
        input="another long password\n",
        env={"ENEWS_WORKSPACE": None},
    )
    assert result.exit_code == 0, result.output
    assert "changed the password of Amy" in result.stdout
    assert_signed_out(app, tab)
    assert signed_in(app, password="another long password")


def test_an_account_removed_and_added_again_does_not_get_the_old_sessions(
    workspace, app, amy
):
    tab = signed_in(app)
    with workspace.transaction() as session:
        accounts.remove_user(session, "Amy")
    with workspace.transaction() as session:  # SQLite may give it the old id
        accounts.add_user(session, "Amy", PASSWORD)
    assert_signed_out(app, tab)


def test_stamps_are_random_and_change_on_signout(workspace, app, amy):
    with workspace.transaction() as session:
        accounts.add_user(session, "bob", PASSWORD)

    def stamps():
        with workspace.transaction() as session:
            return dict(session.execute(select(User.name, User.session_stamp)).all())

    before = stamps()
    assert len(set(before.values())) == 2
    assert all(len(stamp) == 32 for stamp in before.values())
    signed_in(app).post("/signout", htmx=False)
    after = stamps()
    assert after["Amy"] != before["Amy"] and after["bob"] == before["bob"]


# --- account names ignore case -----------------------------------------------


def test_a_name_differing_only_in_case_is_the_same_account(workspace, amy):
    with (
        workspace.transaction() as session,
        pytest.raises(ConflictError, match="a user 'Amy' already exists"),
    ):
        accounts.add_user(session, "amy", PASSWORD)
    with workspace.transaction() as session:
        assert [u.name for u in accounts.list_users(session)] == ["Amy"]
        assert accounts.get_user(session, "AMY").name == "Amy"  # shown as typed


def test_the_database_refuses_a_second_name_differing_in_case(workspace, amy):
    # Not only the library: two commands at once, or plain SQL, cannot either.
    with workspace.engine.connect() as conn:
        with pytest.raises(IntegrityError, match=r"(?i)unique"):
            conn.execute(
                text("INSERT INTO users (name, password_hash) VALUES ('aMY', 'x')")
            )
        conn.rollback()


def test_signin_ignores_the_case_of_the_name(app, amy):
    tab = signed_in(app, name="AMY")
    assert "<span>Amy</span>" in tab.get("/items").get_data(as_text=True)


def test_failures_count_for_the_account_whatever_the_case(workspace, amy):
    now = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)
    for number in range(accounts.MAX_PER_USER):
        name = "AMY" if number % 2 else "amy"
        with workspace.transaction() as session:
            failed = accounts.sign_in(
                session, name, "wrong", address=str(number), now=now
            )
            assert failed is None
    with workspace.transaction() as session, pytest.raises(accounts.RateLimited):
        accounts.sign_in(session, "Amy", PASSWORD, address="new", now=now)


def test_user_add_of_a_name_differing_in_case_is_one_line(workspace, amy):
    result = CliRunner().invoke(
        cli,
        ["-w", str(workspace.root), "user", "add", "amy", "--password-stdin"],
        input=PASSWORD,
        env={"ENEWS_WORKSPACE": None},
    )
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "a user 'Amy' already exists (names ignore case)" in result.stderr


# --- next= and library errors: never a 500 -----------------------------------


@pytest.mark.sqlite_only  # about URLs: one database is enough
@pytest.mark.parametrize(
    "query",
    [
        "next=%0d%0aSet-Cookie:x=1",
        "next=/%0d%0aSet-Cookie:x=1",
        "next=/items%0d%0aSet-Cookie:x=1",
        "next=/items%0aLocation:https://evil.example/",
        "next=/items%00",
        "next=/items%e2%80%a8x",  # U+2028, a line separator
        "next=/items%09/evil.example",  # a tab
    ],
)
def test_a_next_with_control_characters_goes_to_the_issues_page(app, amy, query):
    tab = Browser(app)
    tab.get("/signin")
    response = tab.post(
        f"/signin?{query}", {"name": "Amy", "password": PASSWORD}, htmx=False
    )
    assert response.status_code == 303
    assert response.location == "/issues"
    assert all("x=1" not in cookie for cookie in response.headers.getlist("Set-Cookie"))


@pytest.mark.sqlite_only
def test_a_page_asked_for_with_cr_lf_leads_through_signin_to_the_issues(app, amy):
    tab = Browser(app)
    asked = tab.get("/items%0d%0aSet-Cookie:x=1")
    assert asked.status_code == 302 and asked.location.startswith("/signin?next=")
    tab.get("/signin")
    response = tab.post(
        asked.location, {"name": "Amy", "password": PASSWORD}, htmx=False
    )
    assert response.status_code == 303 and response.location == "/issues"


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("error", "status"),
    [(ValidationError("month", "not a month"), 422), (ConflictError("taken"), 409)],
)
def test_a_library_error_in_an_after_request_hook_is_a_4xx_page(
    workspace, error, status
):
    from enews.web import create_app

    app = create_app(workspace)

    @app.after_request
    def fails(response):
        raise error

    response = app.test_client().get("/issues")
    assert response.status_code == status
    assert str(error) in response.get_data(as_text=True)


# --- the 0004 migration --------------------------------------------------------


def at_0003_with_users(engine: Engine, *names: str) -> None:
    command.upgrade(db._alembic_config(engine), "0003")
    with engine.begin() as conn:
        for name in names:
            conn.execute(
                text("INSERT INTO users (name, password_hash) VALUES (:n, 'h')"),
                {"n": name},
            )


def test_0004_gives_each_account_its_own_stamp(empty_engine):
    at_0003_with_users(empty_engine, "Amy", "bob")
    db.upgrade(empty_engine)
    with empty_engine.connect() as conn:
        rows = conn.execute(
            text("SELECT name, name_key, session_stamp FROM users ORDER BY id")
        ).all()
    assert [(name, key) for name, key, _ in rows] == [("Amy", "amy"), ("bob", "bob")]
    stamps = [stamp for _, _, stamp in rows]
    assert len(set(stamps)) == 2 and all(len(s) == 32 for s in stamps)
    with empty_engine.begin() as conn:  # plain SQL: the database makes both
        conn.execute(text("INSERT INTO users (name, password_hash) VALUES ('C', 'h')"))
        added = conn.execute(
            text("SELECT id, name_key, session_stamp FROM users WHERE name = 'C'")
        ).one()
    assert added[:2] == (3, "c")  # the id sequence goes on
    assert re.fullmatch("[0-9a-f]{32}", added[2]) and added[2] not in stamps


def test_0004_refuses_names_differing_only_in_case_and_changes_nothing(
    empty_engine,
):
    at_0003_with_users(empty_engine, "Amy", "bob", "amy")
    with pytest.raises(DatabaseError, match=r"\('Amy', 'amy'\).*enews user rm"):
        db.upgrade(empty_engine)
    assert db.current_revision(empty_engine) == "0003"
    with empty_engine.connect() as conn:
        names = conn.execute(text("SELECT name FROM users ORDER BY id")).scalars()
        assert list(names) == ["Amy", "bob", "amy"]
        columns = {c["name"] for c in _columns(conn, "users")}
    assert "session_stamp" not in columns


def _columns(conn, table):
    return inspect(conn).get_columns(table)


def test_0004_downgrades_to_0003(empty_engine):  # through 0005
    at_0003_with_users(empty_engine, "Amy")
    db.upgrade(empty_engine)
    with empty_engine.connect() as conn:
        added = {c["name"] for c in _columns(conn, "users")}
    assert {"session_stamp", "name_key"} <= added
    command.downgrade(db._alembic_config(empty_engine), "0003")
    with empty_engine.connect() as conn:
        columns = [c["name"] for c in _columns(conn, "users")]
        assert conn.execute(text("SELECT name FROM users")).scalars().all() == ["Amy"]
    assert columns == ["id", "name", "password_hash", "created_at", "updated_at"]


# --- dumps carry no stamp ------------------------------------------------------


def test_a_dump_holds_no_stamp_and_a_restore_signs_everyone_out(workspace, app, amy):
    tab = signed_in(app)
    data = dump_bytes(workspace.engine)
    head = json.loads(data.splitlines()[0])
    assert head["revision"] == db.head_revision()
    (user,) = [
        row["row"] for row in map(json.loads, data.splitlines()[1:])
        if row.get("table") == "users"
    ]  # fmt: skip
    assert "session_stamp" not in user and "name_key" not in user
    assert user["name"] == "Amy"
    load_bytes(workspace.engine, data, replace=True)
    assert_signed_out(app, tab)
    assert signed_in(app, name="amy")  # the account itself came back


def test_a_0003_dump_loads_and_each_account_gets_a_new_stamp(workspace):
    v1 = json.loads(DUMP_V1.read_text(encoding="utf-8"))
    assert v1["revision"] == "0003"
    v1["tables"]["users"].append(v1["tables"]["users"][0] | {"id": 2, "name": "Bob"})
    workspace.sessions()
    load_bytes(workspace.engine, json.dumps(v1))
    with workspace.transaction() as session:
        rows = session.execute(select(User.name_key, User.session_stamp)).all()
    assert sorted(key for key, _ in rows) == ["amy", "bob"]
    assert len({stamp for _, stamp in rows}) == 2


def test_a_dump_with_names_differing_in_case_is_refused_whole(workspace):
    lines = [
        {"format": "enews-dump", "version": 2, "revision": "0003"},
        *(
            {"table": "users", "row": {
                "id": n, "name": name, "password_hash": "h",
                "created_at": "2020-10-01T08:05:00+00:00",
                "updated_at": "2020-10-01T08:05:00+00:00",
            }}
            for n, name in ((1, "Amy"), (2, "amy"))
        ),
    ]  # fmt: skip
    ends = {"issues": 0, "items": 0, "signin_failures": 0, "users": 2}
    lines.append({"end": ends | {"issue_items": 0}})
    workspace.sessions()
    with pytest.raises(DumpError, match="its rows break a rule of the database"):
        load_bytes(workspace.engine, "\n".join(map(json.dumps, lines)) + "\n")
    with workspace.transaction() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0
