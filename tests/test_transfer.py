"""enews db dump / load / copy: whole databases, across SQLite and PostgreSQL.

Each test runs with the workspace on SQLite and on PostgreSQL; "other" is a
fresh database on the other backend, so copies and loads cross backends
in both directions.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, func, select, text

from enews.cli import cli
from enews.compose.issues import move_in_issue, set_featured, set_fields
from enews.errors import ConflictError, DatabaseError, DumpError
from enews.publish.build import build_issue
from enews.store import db, dumpfile, transfer
from enews.store.models import Issue, Item, SigninFailure, User
from enews.workspace import Workspace
from tests.factories import make_issue, make_item

SUMMARY_HTML = (
    '<p>Wind <strong>&amp;</strong> sun, <a href="https://e.example/x">read</a></p>'
)
UNREACHABLE = "postgresql+psycopg://x@127.0.0.1:1/none"


# --------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def head_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database at head, copied instead of migrating anew
    for each test (0.2 s each)."""
    path = tmp_path_factory.mktemp("head") / "head.sqlite"
    engine = db.make_engine(f"sqlite:///{path}")
    db.ensure_schema(engine)
    engine.dispose()
    return path


@pytest.fixture(autouse=True)
def _migrated(request: pytest.FixtureRequest, head_sqlite: Path) -> None:
    if "workspace" in request.fixturenames:
        ws: Workspace = request.getfixturevalue("workspace")
        if ws.db_url is None:
            shutil.copyfile(head_sqlite, ws.root / db.DEFAULT_DB_FILE)


@pytest.fixture
def fresh(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, head_sqlite: Path
) -> Iterator[Callable[[str], str]]:
    """``fresh("same" | "other")``: URL of an empty database at head on the
    workspace's backend or on the other one (dropped at the end)."""
    made: list[str] = []
    names = itertools.count(1)

    def make(which: str) -> str:
        sqlite = (backend == "sqlite") == (which == "same")
        if sqlite:
            path = tmp_path / f"db{next(names)}.sqlite"
            shutil.copyfile(head_sqlite, path)
            return f"sqlite:///{path}"
        url = request.getfixturevalue("pg").new_database()
        made.append(url)
        return url

    yield make
    for url in made:
        request.getfixturevalue("pg").drop_database(url)


@pytest.fixture
def engines() -> Iterator[Callable[[str], Engine]]:
    """Engines that are disposed of before their databases are dropped."""
    made: list[Engine] = []

    def make(url: str) -> Engine:
        made.append(db.make_engine(url))
        return made[-1]

    yield make
    for engine in made:
        engine.dispose()


def fill(ws: Workspace) -> None:
    """A month of items and an arranged issue, plus the sign-in tables."""
    with ws.transaction() as s:
        zoe = make_item(
            s, kind="Interview", title="Zoë Ólafsdóttir: énergie coopérative 🌬",
            summary=SUMMARY_HTML, summary_format="html",
            image_url="https://e.example/zoë.jpg", image_alt="Zoë, vent",
        )  # fmt: skip
        plain = make_item(s, title="Forum in Nairobi", summary="Line one.\n\nTwo")
        make_item(s, kind="Article", title="No link", url="", summary=None)
        make_item(s, title="September", date=dt.date(2020, 9, 30))
        make_issue(s)
        move_in_issue(s, "2020-10", plain.id, position=1)
        set_featured(s, "2020-10", zoe.id)
        set_fields(s, "2020-10", intro="Intro «ça va» — deux lignes.")
        s.add(User(name="amy", password_hash="scrypt$x$y"))
        at = dt.datetime(2020, 10, 5, 9, 30, 12, 345678, tzinfo=dt.UTC)
        s.add(SigninFailure(key="ip:10.0.0.7", at=at))


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[bytes]:
    """The dump of a filled SQLite workspace, made once for the module."""
    root = tmp_path_factory.mktemp("sample")
    ws = Workspace(root, db_url=f"sqlite:///{root / 'db.sqlite'}")
    fill(ws)
    yield dump_bytes(ws.engine)
    ws.close()


def dump_bytes(engine: Engine) -> bytes:
    out = io.StringIO()
    transfer.write_dump(engine, out)
    return out.getvalue().encode("utf-8")


def load_bytes(engine: Engine, data: bytes | str, **kw: Any) -> dict[str, int]:
    text_ = data.decode("utf-8") if isinstance(data, bytes) else data
    dump = dumpfile.read(io.StringIO(text_), "dump.json")
    return transfer.load(engine, dump.tables(), name="dump.json", **kw)


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.scalar(select(func.count()).select_from(t)) or 0
            for t in dumpfile.tables()
        }


def empty_counts() -> dict[str, int]:
    return {t.name: 0 for t in dumpfile.tables()}


# ------------------------------------------------------------ round trips


def test_dump_load_dump_is_byte_identical(workspace, fresh, engines, tmp_path):
    fill(workspace)
    first = tmp_path / "first.json"
    stored = transfer.dump_to_file(workspace.engine, first)
    assert stored["items"] == 4 and stored["issue_items"] == 3
    assert stored["users"] == stored["signin_failures"] == 1
    assert first.stat().st_mode & 0o077 == 0  # password hashes: owner only

    for which in ("same", "other"):
        target = engines(fresh(which))
        loaded = load_bytes(target, first.read_bytes())
        assert loaded == stored
        assert dump_bytes(target) == first.read_bytes(), which


def test_dump_is_portable_json_with_typed_values(workspace):
    fill(workspace)
    dump = json.loads(dump_bytes(workspace.engine))
    assert dump["format"] == "enews-dump" and dump["version"] == 1
    assert dump["revision"] == db.head_revision()
    assert list(dump["tables"]) == [t.name for t in dumpfile.tables()]
    items = dump["tables"]["items"]
    assert [i["id"] for i in items] == sorted(i["id"] for i in items)
    zoe = items[0]
    assert zoe["title"] == "Zoë Ólafsdóttir: énergie coopérative 🌬"
    assert (
        zoe["summary_format"] == "html" and "<strong>&amp;</strong>" in zoe["summary"]
    )
    assert zoe["published_on"].count("-") == 2
    assert dt.datetime.fromisoformat(zoe["created_at"]).utcoffset() == dt.timedelta(0)
    entries = dump["tables"]["issue_items"]
    assert [e["featured"] for e in entries].count(True) == 1
    assert {type(e["featured"]) for e in entries} == {bool}
    (failure,) = dump["tables"]["signin_failures"]
    assert failure["at"] == "2020-10-05T09:30:12.345678+00:00"


def test_copy_there_and_back_keeps_everything(workspace, fresh, engines, tmp_path):
    fill(workspace)
    before = dump_bytes(workspace.engine)
    there = engines(fresh("other"))
    back = engines(f"sqlite:///{tmp_path / 'new.sqlite'}")  # no schema yet
    copied = transfer.copy_database(workspace.engine, there)
    assert copied == counts(workspace.engine) == counts(there)
    transfer.copy_database(there, back)
    assert dump_bytes(there) == before
    assert dump_bytes(back) == before

    with db.session_factory(there)() as s:
        issue = s.scalar(select(Issue))
        assert issue is not None and issue.version > 1
        assert issue.intro == "Intro «ça va» — deux lignes."
        entries = {e.item.title: e for e in issue.entries}
        zoe = entries["Zoë Ólafsdóttir: énergie coopérative 🌬"]
        assert zoe.featured is True and zoe.section == "Interview"
        assert zoe.item.summary == SUMMARY_HTML
        assert sum(e.featured for e in entries.values()) == 1
        assert entries["Forum in Nairobi"].position == 0  # moved to the top


def test_build_is_identical_on_the_copy(workspace, fresh, engines):
    fill(workspace)
    other = engines(fresh("other"))
    transfer.copy_database(workspace.engine, other)
    builds = []
    for engine in (workspace.engine, other):
        with db.session_factory(engine)() as s:
            bundle = build_issue(
                s, "2020-10", settings=workspace.settings, workspace=workspace.root
            )
            builds.append(bundle.files())
    assert builds[0] == builds[1]
    assert "Zoë" in builds[0]["index.html"].decode()


def test_new_rows_after_a_load_get_new_ids(workspace, fresh, engines):
    fill(workspace)
    target = engines(fresh("other"))
    load_bytes(target, dump_bytes(workspace.engine))
    with db.transaction(db.session_factory(target)) as s:
        top = s.scalar(select(func.max(Item.id)))
        assert make_item(s, title="After the load").id == top + 1
        assert make_issue(s, month="2020-09").id == 2
        s.add(User(name="bob", password_hash="h"))
        s.flush()
        assert s.scalar(select(func.max(User.id))) == 2


def test_streams_in_small_chunks_and_batches(workspace, fresh, engines, monkeypatch):
    fill(workspace)
    data = dump_bytes(workspace.engine)
    # Every row and every number is cut across reads; inserts are batched.
    monkeypatch.setattr(dumpfile, "CHUNK", 7)
    monkeypatch.setattr(transfer, "BATCH", 2)
    seen: list[tuple[str, int]] = []
    target = engines(fresh("same"))
    load_bytes(target, data, progress=lambda t, n: seen.append((t, n)))
    assert dump_bytes(target) == data
    assert ("items", 2) in seen and ("items", 4) in seen


def test_any_json_layout_loads(workspace, fresh, engines):
    fill(workspace)
    data = dump_bytes(workspace.engine)
    pretty = json.dumps(json.loads(data), indent=3, ensure_ascii=True)
    target = engines(fresh("same"))
    load_bytes(target, pretty)
    assert dump_bytes(target) == data


# ------------------------------------------------------------- refusals


def test_non_empty_target_is_refused_then_replaced(workspace, fresh, engines):
    fill(workspace)
    data = dump_bytes(workspace.engine)
    target = engines(fresh("other"))
    transfer.prepare_target(target)
    with db.transaction(db.session_factory(target)) as s:
        make_item(s, title="Already here")
    kept = dump_bytes(target)
    with pytest.raises(ConflictError, match=r"not empty \(1 items\).*--replace"):
        load_bytes(target, data)
    with pytest.raises(ConflictError, match="not empty"):
        transfer.copy_database(workspace.engine, target)
    assert dump_bytes(target) == kept

    broken = data.replace(b'"section"', b'"sektion"')
    with pytest.raises(DumpError):
        load_bytes(target, broken, replace=True)
    assert dump_bytes(target) == kept  # the delete was rolled back too
    load_bytes(target, data, replace=True)
    assert dump_bytes(target) == data


def header(**changes: Any) -> str:
    values = {"format": "enews-dump", "version": 1, "revision": db.head_revision()}
    values.update(changes)
    return json.dumps(values)[:-1] + ', "tables": {}}'


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            header(revision="9999"),
            "dump.json was made by a newer enews (schema revision 9999; this enews "
            "knows up to",
            id="newer-revision",
        ),
        pytest.param(header(version=2), "made by a newer enews", id="newer-version"),
        pytest.param(header(revision="0001"), "made by an older enews", id="older"),
        pytest.param(header(format="other"), "not an enews dump", id="format"),
        pytest.param("[1, 2]", "not an enews dump", id="not-an-object"),
        pytest.param('{"format": "enews-dump", ', "not valid JSON", id="truncated"),
        pytest.param("", "not valid JSON", id="empty"),
        pytest.param(header()[:-2] + "}", "not valid JSON", id="unclosed"),
        pytest.param(header() + " x", "unexpected data after the dump", id="trailing"),
    ],
)
def test_bad_headers_are_refused_before_any_database(data, message):
    with pytest.raises(DumpError) as caught:
        dump = dumpfile.read(io.StringIO(data), "dump.json")
        for _table, rows in dump.tables():
            list(rows)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def _break(dump: dict[str, Any], how: str) -> str:
    tables = dump["tables"]
    entry, item = tables["issue_items"][-1], tables["items"][0]
    if how == "missing-column":
        del entry["section"]
    elif how == "unknown-column":
        entry["colour"] = "red"
    elif how == "wrong-type":
        entry["position"] = "first"
    elif how == "bad-date":
        item["published_on"] = "29 October 2020"
    elif how == "null":
        item["title"] = None
    elif how == "too-long":
        item["kind"] = "x" * 41
    elif how == "duplicate-id":
        tables["items"].append(dict(item))
    elif how == "dangling-reference":
        entry["item_id"] = 999
    elif how == "unknown-table":
        tables["extras"] = []
    elif how == "missing-table":
        del tables["users"]
    elif how == "order":
        dump["tables"] = {"issue_items": tables.pop("issue_items"), **tables}
    return json.dumps(dump)


BREAKAGES = {
    "missing-column": "table issue_items, row 3: missing column 'section'",
    "unknown-column": "table issue_items, row 3: unknown column 'colour'",
    "wrong-type": "position must be a whole number",
    "bad-date": "table items, row 1: published_on",
    "null": "title cannot be null",
    "too-long": "kind is longer than 40 characters",
    "duplicate-id": "break a rule of the database",
    "dangling-reference": "break a rule of the database",
    "unknown-table": "unknown table 'extras'",
    "missing-table": "no table 'users'",
    "order": "table 'issue_items' comes before 'issues', which it refers to",
}


@pytest.mark.parametrize("how", BREAKAGES)
def test_a_bad_row_changes_nothing(workspace, sample, how):
    workspace.sessions()
    with pytest.raises(DumpError) as caught:
        load_bytes(workspace.engine, _break(json.loads(sample), how))
    assert BREAKAGES[how] in str(caught.value)
    assert "\n" not in str(caught.value)
    assert counts(workspace.engine) == empty_counts()


def test_unreachable_or_wrong_databases_are_one_line(workspace, tmp_path):
    workspace.sessions()
    for url, says in [
        (UNREACHABLE, "cannot connect to postgresql+psycopg://x@127.0.0.1:1/none"),
        (f"sqlite:///{tmp_path}/no/such/folder.sqlite", "cannot connect"),
    ]:
        target = db.make_engine(url)
        with pytest.raises(DatabaseError) as caught:
            transfer.copy_database(workspace.engine, target)
        assert says in str(caught.value) and "\n" not in str(caught.value)
        target.dispose()
    with pytest.raises(DatabaseError, match="cannot use database URL"):
        db.make_engine("nosuchdb://nobody")


def test_target_at_another_revision_is_left_alone(workspace, fresh, engines):
    fill(workspace)
    target = engines(fresh("same"))
    transfer.prepare_target(target)
    with target.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0002'"))
    with pytest.raises(DatabaseError, match="is at schema revision 0002"):
        transfer.copy_database(workspace.engine, target)
    assert db.current_revision(target) == "0002"
    assert counts(target) == empty_counts()


def test_source_at_an_unknown_revision_is_refused(workspace):
    workspace.sessions()
    with workspace.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(DatabaseError, match="revision 9999"):
        dump_bytes(workspace.engine)


def test_copy_into_itself_is_refused(workspace):
    with pytest.raises(DatabaseError, match="is the database being copied"):
        transfer.copy_database(workspace.engine, db.make_engine(workspace.url))


# ------------------------------------------------------------------ the CLI


@pytest.fixture
def run(workspace: Workspace) -> Callable[..., Result]:
    runner = CliRunner()

    def invoke(*args: str, db_url: str | None = None, input: Any = None) -> Result:
        return runner.invoke(
            cli,
            ["-w", str(workspace.root), *args],
            env={"DATABASE_URL": db_url or workspace.db_url, "ENEWS_WORKSPACE": None},
            input=input,
        )

    return invoke


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def one_line_error(result: Result, *mentions: str) -> str:
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    (line,) = result.stderr.splitlines()
    assert line.startswith("error:"), line
    for word in mentions:
        assert word in line, f"{word!r} not in {line!r}"
    assert "Traceback" not in result.output
    return line


def test_cli_dump_load_copy(workspace, run, fresh, engines, tmp_path):
    fill(workspace)
    target = fresh("other")
    path = tmp_path / "backup.json"
    assert ok(run("db", "dump", str(path))).stdout.strip() == str(path.resolve())
    piped = ok(run("db", "dump")).stdout_bytes
    assert piped == path.read_bytes()

    out = ok(run("db", "load", str(path), db_url=target)).stdout
    assert out.startswith(f"loaded {path} into ") and "4 items" in out
    assert dump_bytes(engines(target)) == piped
    line = one_line_error(run("db", "load", "-", db_url=target, input=piped))
    assert "not empty" in line and "--replace" in line
    ok(run("db", "load", "-", "--replace", db_url=target, input=piped))

    third = fresh("other")
    report = json.loads(ok(run("db", "copy", "--to", third, "--json")).stdout)
    assert report["tables"] == counts(workspace.engine)
    assert dump_bytes(engines(third)) == piped
    out = ok(run("db", "copy", "--to", fresh("same"), db_url=third)).stdout
    assert out.startswith("copied ") and "4 items, " in out


def test_cli_errors_are_one_line(workspace, run, tmp_path):
    fill(workspace)
    one_line_error(run("db", "copy", "--to", UNREACHABLE), "cannot connect", "refused")
    one_line_error(run("db", "copy", "--to", "nonsense"), "cannot use database URL")
    one_line_error(run("db", "load", str(tmp_path / "none.json")), "cannot read")
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "enews-dump", "version": 1,,}', encoding="utf-8")
    one_line_error(run("db", "load", str(bad)), "bad.json is not valid JSON", "line 1")
    bad.write_text(header(revision="9999"), encoding="utf-8")
    one_line_error(run("db", "load", str(bad)), "newer enews", "upgrade enews first")
    bad.write_bytes(b"\xff\xfe garbage")
    one_line_error(run("db", "load", str(bad)), "not UTF-8")
    one_line_error(run("db", "dump", str(tmp_path / "no" / "x.json")), "cannot write")
    one_line_error(run("db", "dump", db_url=UNREACHABLE), "cannot connect")
    one_line_error(run("db", "dump", db_url="nonsense"), "cannot use database URL")
    assert counts(workspace.engine)["items"] == 4
    with workspace.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    one_line_error(run("db", "dump"), "revision 9999")
    there = tmp_path / "there.sqlite"
    one_line_error(run("db", "copy", "--to", f"sqlite:///{there}"), "revision 9999")
    assert not there.exists()


def test_cli_load_into_a_new_workspace(tmp_path, workspace, run):
    fill(workspace)
    dump = ok(run("db", "dump")).stdout_bytes
    other = tmp_path / "new"
    result = CliRunner().invoke(
        cli,
        ["-w", str(other), "db", "load", "-"],
        env={"DATABASE_URL": None, "ENEWS_WORKSPACE": None},
        input=dump,
    )
    one_line_error(result, "does not exist")  # a folder is never guessed
    other.mkdir()
    result = CliRunner().invoke(
        cli,
        ["-w", str(other), "db", "load", "-"],
        env={"DATABASE_URL": None, "ENEWS_WORKSPACE": None},
        input=dump,
    )
    assert ok(result).stdout.startswith("loaded stdin into sqlite:///")
    engine = db.make_engine(db.default_url(other))
    try:
        assert dump_bytes(engine) == dump
    finally:
        engine.dispose()
