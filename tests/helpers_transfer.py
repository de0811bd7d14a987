"""Fixtures and helpers of the enews db dump / load / copy tests
(tests/test_transfer*.py), which import what they use.

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
from sqlalchemy import Engine, func, select

from enews.cli import cli
from enews.compose.issues import move_in_issue, set_featured, set_fields
from enews.store import db, dumpfile, transfer
from enews.store.models import SigninFailure, User
from enews.workspace import Workspace
from tests.factories import make_issue, make_item

SUMMARY_HTML = (
    '<p>Wind <strong>&amp;</strong> sun, <a href="https://e.example/x">read</a></p>'
)
UNREACHABLE = "postgresql+psycopg://x@127.0.0.1:1/none"
DUMP_V1 = Path(__file__).parent / "data" / "dump-v1.json"  # made by enews 0.1


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
def migrated(request: pytest.FixtureRequest, head_sqlite: Path) -> None:
    """A SQLite workspace starts from the head copy (autouse where imported)."""
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


def lines(data: bytes | str) -> list[Any]:
    """A JSON Lines dump as its parsed lines (split at \\n only, as JSON
    Lines are: str.splitlines would also split at U+2028 and the like)."""
    text_ = data.decode("utf-8") if isinstance(data, bytes) else data
    return [json.loads(line) for line in text_.removesuffix("\n").split("\n")]


def rows_by_table(data: bytes | str) -> dict[str, list[Any]]:
    """The rows of a JSON Lines dump, table by table, in file order."""
    found: dict[str, list[Any]] = {t.name: [] for t in dumpfile.tables()}
    for line in lines(data)[1:-1]:
        found[line["table"]].append(line["row"])
    return found


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.scalar(select(func.count()).select_from(t)) or 0
            for t in dumpfile.tables()
        }


def empty_counts() -> dict[str, int]:
    return {t.name: 0 for t in dumpfile.tables()}


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


def v1_tables() -> dict[str, list[Any]]:
    return dict(json.loads(DUMP_V1.read_text(encoding="utf-8"))["tables"])


def v1_loaded() -> dict[str, list[Any]]:
    """The v1 fixture's rows as today's dump writes them: with the columns
    added since, at what an older dump gets (store/dumprows.py)."""
    added = {
        "issues": dict.fromkeys(
            ("last_editor", "approved_by", "approved_at", "sent_by", "sent_at")
        ),
        "users": {"role": "admin"},
    }
    return {
        name: [{**row, **added.get(name, {})} for row in rows]
        for name, rows in v1_tables().items()
    }
