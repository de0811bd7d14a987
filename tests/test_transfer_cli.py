"""enews db dump / load / copy on the command line: output, files, and
errors as one line."""

from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy import text

from enews.cli import cli
from enews.store import db
from tests.helpers_transfer import (
    DUMP_V1,
    UNREACHABLE,
    counts,
    dump_bytes,
    fill,
    ok,
    one_line_error,
    rows_by_table,
    v1_loaded,
)
from tests.helpers_transfer import engines as engines
from tests.helpers_transfer import fresh as fresh
from tests.helpers_transfer import head_sqlite as head_sqlite
from tests.helpers_transfer import migrated as migrated
from tests.helpers_transfer import run as run


def test_cli_dump_load_copy(workspace, run, fresh, engines, tmp_path):
    fill(workspace)
    target = fresh("other")
    path = tmp_path / "backup.jsonl"
    assert ok(run("db", "dump", str(path))).stdout.strip() == str(path.resolve())
    piped = ok(run("db", "dump")).stdout_bytes
    assert piped == path.read_bytes()
    assert path.stat().st_mode & 0o777 == 0o600

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


def test_cli_loads_a_v1_dump(workspace, run):
    workspace.sessions()
    report = json.loads(ok(run("db", "load", str(DUMP_V1), "--json")).stdout)
    assert report["tables"]["items"] == 4 and report["tables"]["issue_items"] == 3
    assert rows_by_table(ok(run("db", "dump")).stdout_bytes) == v1_loaded()


def test_cli_errors_are_one_line(workspace, run, tmp_path):
    fill(workspace)
    one_line_error(run("db", "copy", "--to", UNREACHABLE), "cannot connect", "refused")
    one_line_error(run("db", "copy", "--to", "nonsense"), "cannot use database URL")
    one_line_error(run("db", "load", str(tmp_path / "none.json")), "cannot read")
    bad = tmp_path / "bad.jsonl"
    good = ok(run("db", "dump")).stdout_bytes.split(b"\n")
    bad.write_bytes(b"\n".join([*good[:3], b'{"table": "items", "row": {,}}']))
    load = ("db", "load", str(bad), "--replace")  # past the filled database
    one_line_error(run(*load), f"{bad}:4: not valid JSON")
    bad.write_text('{"format": "enews-dump", "version": 1,,}', encoding="utf-8")
    one_line_error(run("db", "load", str(bad)), f"{bad}:1: not valid JSON")
    header = {"format": "enews-dump", "version": 2, "revision": "9999"}
    bad.write_text(json.dumps(header) + "\n", encoding="utf-8")
    one_line_error(
        run("db", "load", str(bad)), f"{bad}:1: made by a newer", "upgrade enews first"
    )
    bad.write_bytes(b"\xff\xfe garbage")
    one_line_error(run("db", "load", str(bad)), f"{bad}: not UTF-8")
    # Past the first chunks of text: the bad bytes come after line 2.
    item = json.loads(good[2])
    item["row"]["summary"] = "x" * 100_000
    big = json.dumps(item).encode()
    bad.write_bytes(b"\n".join([*good[:2], big, b"\xff\xfe garbage\n"]))
    one_line_error(run(*load), f"{bad}: not UTF-8 text after line 2")
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
