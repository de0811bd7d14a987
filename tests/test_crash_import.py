"""Crash safety of imports: ``enews import`` of a large CSV killed half-way,
interrupted (Ctrl-C), terminated, leaves the database as it was."""

from __future__ import annotations

import csv
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from enews.store.models import Item
from tests.factories import make_item

# The import tests follow the import's progress in /proc/PID/fdinfo.
linux_only = pytest.mark.skipif(sys.platform != "linux", reason="needs /proc")


ROWS = 20_000


def big_csv(path: Path, stored: list[tuple[str, str, str, str]]) -> Path:
    """``stored`` rows changed (updated early by an import), then ROWS new."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["kind", "title", "date", "url", "summary"])
        for kind, title, date, url in stored:
            writer.writerow([kind, title, date, url, "Changed by the import."])
        for n in range(ROWS):
            date = f"2020-10-{n % 28 + 1:02}"
            url = f"https://coop.example/big/{n}"
            writer.writerow(["News", f"Imported item {n}", date, url, f"Text {n}."])
    return path


def stored_items(workspace, count: int = 50) -> list[tuple[str, str, str, str]]:
    with workspace.transaction() as session:
        items = [make_item(session) for _ in range(count)]
        return [
            (i.kind, i.title, i.published_on.isoformat(), i.url or "") for i in items
        ]


def snapshot(workspace) -> list[tuple[object, ...]]:
    """Every stored item, every column."""
    with workspace.transaction() as session:
        rows = session.execute(select(Item.__table__).order_by(Item.id))
        return [tuple(row) for row in rows]


def fetch_items(workspace) -> list[Item]:
    with workspace.transaction() as session:
        return list(session.scalars(select(Item)))


def start_import(workspace, source: Path, *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "enews", "-w", str(workspace.root), "import"]
    return subprocess.Popen(
        [*command, str(source), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint,  # no other thread runs then: fork-safe
    )


def default_sigint() -> None:
    """Ctrl-C as in a terminal, however the suite was started.

    A shell running the suite in the background (``pytest &``) ignores
    SIGINT in it; the import would inherit that through exec, and Python
    installs no KeyboardInterrupt handler for an ignored signal. Popen's
    ``restore_signals`` only restores SIGPIPE, SIGXFZ and SIGXFSZ."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_until_read(process: subprocess.Popen[str], source: Path, part: float) -> None:
    """Until the import has read ``part`` of ``source``: its file position,
    from /proc. The rows are written as they are read, 500 at a time."""
    goal = part * source.stat().st_size
    while process.poll() is None:
        if read_position(process.pid, source) >= goal:
            return
        time.sleep(0.001)
    raise AssertionError(f"the import ended first: {process.communicate()}")


def read_position(pid: int, source: Path) -> int:
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            if fd.readlink() == source:
                info = Path(f"/proc/{pid}/fdinfo/{fd.name}").read_text()
                return int(info.split("pos:", 1)[1].split()[0])
    except OSError:  # it ended, or closed the file, meanwhile
        pass
    return 0


def assert_sound(workspace) -> None:
    """The database passes its own integrity check; no URL is stored twice."""
    with workspace.transaction() as session:
        if session.get_bind().dialect.name == "sqlite":
            assert session.execute(text("PRAGMA integrity_check")).all() == [("ok",)]
            assert session.execute(text("PRAGMA foreign_key_check")).all() == []
        doubles = (
            select(Item.url).where(Item.url.is_not(None)).group_by(Item.url)
            .having(func.count() > 1)
        )  # fmt: skip
        assert session.execute(doubles).all() == []


@linux_only
def test_an_import_killed_half_way_leaves_the_database_as_it_was(workspace, tmp_path):
    stored = stored_items(workspace)
    source = big_csv(tmp_path.resolve() / "big.csv", stored)
    before = snapshot(workspace)
    for part in (0.1, 0.5, 0.9):
        process = start_import(workspace, source)
        wait_until_read(process, source, part)
        process.kill()
        process.communicate(timeout=60)
        assert process.returncode == -signal.SIGKILL
        assert snapshot(workspace) == before, f"killed at {part:.0%}"
        assert_sound(workspace)
    # Uninterrupted, it goes through: added and updated as one.
    process = start_import(workspace, source)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert f"{ROWS} added, {len(stored)} updated" in stdout
    after = snapshot(workspace)
    assert len(after) == len(before) + ROWS
    summaries = {item.url: item.summary for item in fetch_items(workspace)}
    assert {summaries[url] for *_, url in stored} == {"Changed by the import."}
    assert_sound(workspace)


@linux_only
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["INT", "TERM"])
def test_an_interrupted_import_exits_cleanly_and_writes_nothing(
    workspace, tmp_path, signum
):
    stored = stored_items(workspace)
    source = big_csv(tmp_path.resolve() / "big.csv", stored)
    before = snapshot(workspace)
    process = start_import(workspace, source)
    wait_until_read(process, source, 0.5)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    # Ctrl-C and `kill` alike: the CLI's own one-line error, rolled back.
    assert (process.returncode, stderr) == (1, "\nerror: aborted\n")
    assert snapshot(workspace) == before
    assert_sound(workspace)
