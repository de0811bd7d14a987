"""Crash safety: a build or an import killed at any moment leaves what was
there before whole.

Builds: ``enews build`` subprocesses killed (SIGKILL) at random moments,
aimed at the few milliseconds it spends writing; and, step by step, a build
that dies (fork + os._exit: no cleanup runs) or fails before each file system
operation of ``write_bundle``. Imports: ``enews import`` of a large CSV killed
half-way, interrupted, terminated.
"""

from __future__ import annotations

import csv
import ctypes
import dataclasses
import datetime as dt
import errno
import itertools
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

import enews.safefiles as safefiles
from enews.compose.issues import set_fields
from enews.errors import EnewsError
from enews.publish.archive import build_archive
from enews.publish.build import (
    HTML_FILE,
    Bundle,
    build_issue,
    read_bundle,
    write_bundle,
)
from enews.publish.public import public_page
from enews.store.models import Item
from tests.factories import make_issue, make_item

SLUG = "2020-10"
SEED = 20201031
KILLS = 20  # builds killed per database: about 1 s each, two at a time
posix_only = pytest.mark.skipif(os.name != "posix", reason="signals and fork")
# The import tests follow the import's progress in /proc/PID/fdinfo.
linux_only = pytest.mark.skipif(sys.platform != "linux", reason="needs /proc")


# -- builds ------------------------------------------------------------------


def two_bundles(workspace, items: int = 80) -> tuple[Bundle, Bundle]:
    """Bundle A of an issue, then B after a change: what ``enews build``
    writes before and after, computed here."""
    with workspace.transaction() as session:
        for n in range(items):  # a real issue's size: ~150 KB of files
            make_item(session, date=dt.date(2020, 10, n % 28 + 1))
        make_issue(session)
        set_fields(session, SLUG, intro="The first intro.")
    with workspace.transaction() as session:
        first = build(session, workspace)
        set_fields(session, SLUG, intro="A second intro: the next build differs.")
    with workspace.transaction() as session:
        second = build(session, workspace)
    assert first.files() != second.files()
    return first, second


def build(session, workspace) -> Bundle:
    return build_issue(
        session, SLUG, settings=workspace.settings, workspace=workspace.root
    )


def bundle_state(folder: Path, expected: dict[str, Bundle]) -> str:
    """Which bundle ``folder`` holds whole ("A" or "B"), or "missing".

    Anything else (a mix, a short file, a temp file, a missing file) fails.
    """
    if not folder.exists():
        return "missing"
    found = {path.name: path.read_bytes() for path in folder.iterdir()}
    for label, bundle in expected.items():
        if found == bundle.files():
            return label
    raise AssertionError(f"{folder} holds no whole bundle: {describe(found, expected)}")


def describe(found: dict[str, bytes], expected: dict[str, Bundle]) -> str:
    parts = []
    for name, data in sorted(found.items()):
        like = [k for k, b in expected.items() if b.files().get(name) == data]
        parts.append(f"{name} ({len(data)} bytes, {'='.join(like) or 'neither'})")
    return ", ".join(parts)


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def enews_build(workspace, out: Path) -> subprocess.Popen[bytes]:
    # DATABASE_URL, set by the workspace fixture for PostgreSQL, is inherited.
    command = [sys.executable, "-m", "enews", "-w", str(workspace.root), "build"]
    if out != workspace.issues_dir:
        command += ["--out", str(out)]
    return subprocess.Popen(
        [*command, SLUG], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def finish(process: subprocess.Popen[bytes]) -> None:
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr.decode()


@dataclasses.dataclass(frozen=True)
class Kill:
    """When to kill a build: ``delay`` seconds after its start or, with a
    ``mark``, after it reached that point of its writing (see ``reached``)."""

    mark: str | None
    delay: float


@dataclasses.dataclass(frozen=True)
class Outcome:
    kill: Kill
    killed: bool  # else the build had finished
    state: str
    mid_write: bool  # it left a staging folder: killed while writing


MARKS = ("staging", "staged", "swapped")


def reached(mark: str, out: Path, old: set[str], folder_id: int) -> bool:
    """Whether a build into ``out`` began writing its staging folder, filled
    it (or swapped: it then holds the old files), or swapped it in. ``old``:
    staging folders a killed build left; ``folder_id``: the bundle folder's
    inode before."""
    try:
        if mark == "swapped":
            return (out / SLUG).stat().st_ino != folder_id
        new = staging(out) - old
        if mark == "staging":
            return bool(new)
        return any(len(list((out / name).iterdir())) == 4 for name in new)
    except OSError:  # renamed or deleted while we looked
        return False


def staging(out: Path) -> set[str]:
    return {p.name for p in out.iterdir() if p.name.startswith(f".{SLUG}.new-")}


def wait_for(process: subprocess.Popen[bytes], done: Callable[[], bool]) -> float:
    """Poll ``done`` until true or the process ended; returns when."""
    while process.poll() is None and not done():
        time.sleep(0.0005)
    return time.perf_counter()


def timed_build(workspace, out: Path) -> tuple[float, float]:
    """An uninterrupted build's run time, and how long it was writing (from
    its staging folder's appearance to its removal)."""
    started = time.perf_counter()
    process = enews_build(workspace, out)
    writing = wait_for(process, lambda: bool(staging(out)))
    written = wait_for(process, lambda: not staging(out))
    finish(process)
    return time.perf_counter() - started, written - writing


def kill_plans(rng: random.Random, count: int, run: float, write: float) -> list[Kill]:
    # A quarter spread over the whole run (most land before any write), the
    # rest aimed at the writing itself: a few milliseconds of about a second.
    return [
        Kill(None, rng.uniform(0, 1.1 * run))
        if rng.random() < 1 / 4
        else Kill(rng.choice(MARKS), rng.uniform(0, write))
        for _ in range(count)
    ]


def kill_build(workspace, out: Path, kill: Kill, run: float) -> bool:
    """Run a build into ``out`` and SIGKILL it as planned; False if it had
    finished first. ``run``: how long a build takes."""
    old, folder_id = staging(out), (out / SLUG).stat().st_ino
    process = enews_build(workspace, out)
    if kill.mark:
        time.sleep(0.6 * run)  # it writes at the very end: poll only then
        wait_for(process, lambda: reached(kill.mark, out, old, folder_id))
    pause(kill.delay)
    process.kill()
    process.communicate(timeout=60)
    return process.returncode == -signal.SIGKILL


def pause(seconds: float) -> None:
    # time.sleep oversleeps by a fraction of a millisecond: spin the end.
    end = time.perf_counter() + seconds
    time.sleep(max(0.0, seconds - 0.002))
    while time.perf_counter() < end:
        pass


def run_lane(
    workspace, out: Path, plans: list[Kill], run: float, expected: dict[str, Bundle]
) -> list[Outcome]:
    outcomes = []
    for kill in plans:
        before = staging(out)  # a killed build's, cleaned by the next one
        killed = kill_build(workspace, out, kill, run)
        state = bundle_state(out / SLUG, expected)
        assert state in ("A", "B"), kill
        assert killed or state == "B", kill
        outcomes.append(Outcome(kill, killed, state, bool(staging(out) - before)))
        if state == "B":  # back to A, so that each build changes something
            write_bundle(expected["A"], out)
    return outcomes


@posix_only
def test_a_build_killed_at_random_moments_leaves_a_whole_bundle(workspace, tmp_path):
    first, second = two_bundles(workspace)
    expected = {"A": first, "B": second}
    # Two builds at a time (one into issues/, one into --out), each into its
    # own folder: twice the kills in the time.
    lanes = [workspace.issues_dir, tmp_path / "out"]
    for out in lanes:
        write_bundle(first, out)
    run, write = timed_build(workspace, lanes[0])
    assert bundle_state(lanes[0] / SLUG, expected) == "B"
    write_bundle(first, lanes[0])
    rng = random.Random(SEED)
    plans = [kill_plans(rng, KILLS // 2, run, write) for _ in lanes]
    with ThreadPoolExecutor(len(lanes)) as pool:
        futures = [
            pool.submit(run_lane, workspace, out, plan, run, expected)
            for out, plan in zip(lanes, plans, strict=True)
        ]
        outcomes = [outcome for f in futures for outcome in f.result()]
    # Some were killed before the swap, some after, some while writing.
    assert {o.state for o in outcomes if o.killed} == {"A", "B"}, outcomes
    assert sum(o.mid_write for o in outcomes) >= 3, outcomes
    # An uninterrupted build finishes, and clears what the killed ones left.
    for process in [enews_build(workspace, out) for out in lanes]:
        finish(process)
    for out in lanes:
        assert bundle_state(out / SLUG, expected) == "B"
        assert leftovers(out) == []


# Every file system call write_bundle makes goes through one of these.
FS_CALLS = ("mkdir", "chmod", "fsync", "rename", "replace", "link", "unlink", "rmdir")
KILLED = 77  # the exit code of a child "killed" before a call


def before_call(
    patch: pytest.MonkeyPatch, number: int, act: Callable[[], None], exchange: bool
) -> None:
    """Make ``act`` run before the ``number``-th (from 0) file system call;
    without ``exchange``, as on a system with no renameat2."""
    counter = itertools.count()

    def counted(function: Callable[..., object]) -> Callable[..., object]:
        def call(*args: object, **kwargs: object) -> object:
            if next(counter) == number:
                act()
            return function(*args, **kwargs)

        return call

    for name in FS_CALLS:
        patch.setattr(os, name, counted(getattr(os, name)))
    renameat2 = safefiles._renameat2()
    assert renameat2 is not None, "this system has no renameat2"
    swap = counted(renameat2) if exchange else None
    patch.setattr(safefiles, "_renameat2", lambda: swap)


def die_at(number: int, bundle: Bundle, issues_dir: Path, exchange: bool) -> bool:
    """write_bundle in a child process that dies, as if killed, before its
    ``number``-th file system call; False if it finished first."""
    pid = os.fork()
    if pid == 0:  # the child: os._exit runs no cleanup, no finally, no atexit
        try:
            before_call(
                pytest.MonkeyPatch(), number, lambda: os._exit(KILLED), exchange
            )
            write_bundle(bundle, issues_dir)
        except BaseException:
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    assert code in (0, KILLED), code
    return code == KILLED


def fresh(issues_dir: Path, bundle: Bundle) -> None:
    shutil.rmtree(issues_dir)
    write_bundle(bundle, issues_dir)


EXCHANGE = pytest.mark.parametrize(
    "exchange", [True, False], ids=["renameat2", "two-renames"]
)


@posix_only
@pytest.mark.sqlite_only  # about files: one database is enough
@EXCHANGE
def test_a_build_killed_before_any_file_call_leaves_a_whole_bundle(workspace, exchange):
    first, second = two_bundles(workspace, items=3)
    expected = {"A": first, "B": second}
    issues, folder = workspace.issues_dir, workspace.issues_dir / SLUG
    seen = set()
    for number in itertools.count():
        fresh(issues, first)
        died = die_at(number, second, issues, exchange)
        state = bundle_state(folder, expected)
        seen.add(state)
        if state == "missing":  # between the two renames: the old one aside
            assert not exchange
            read = read_bundle(issues, SLUG)  # puts the old one back first
            assert read is not None and read[HTML_FILE] == first.files()[HTML_FILE]
            assert bundle_state(folder, expected) == "A"
        assert died or state == "B"
        write_bundle(second, issues)  # the next build cleans up
        assert bundle_state(folder, expected) == "B"
        assert leftovers(issues) == []
        if not died:
            break
    assert number > 10  # every call was a place to die
    assert seen == ({"A", "B"} if exchange else {"A", "B", "missing"})


@pytest.mark.sqlite_only  # about files: one database is enough
@EXCHANGE
def test_a_build_failing_at_any_file_call_leaves_a_whole_bundle(workspace, exchange):
    first, second = two_bundles(workspace, items=3)
    expected = {"A": first, "B": second}
    issues, folder = workspace.issues_dir, workspace.issues_dir / SLUG

    tripped: list[bool] = []

    def disk_full() -> None:
        tripped.append(True)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    for number in itertools.count():
        fresh(issues, first)
        tripped.clear()
        with pytest.MonkeyPatch.context() as patch:
            before_call(patch, number, disk_full, exchange)
            try:
                write_bundle(second, issues)
                failed = False
            except EnewsError as exc:
                assert "No space left on device" in str(exc)
                failed = True
        state = bundle_state(folder, expected)  # never "missing": put back
        assert state in ("A", "B")
        if failed:
            assert leftovers(issues) == []  # a failed build cleans up itself
        else:
            assert state == "B"
        write_bundle(second, issues)
        assert bundle_state(folder, expected) == "B"
        assert leftovers(issues) == []
        if not tripped:
            break  # it made fewer calls than that: all were tried
    assert number > 10


@pytest.mark.sqlite_only  # about files: one database is enough
def test_without_folder_exchange_the_swap_falls_back_to_renames(workspace, monkeypatch):
    first, second = two_bundles(workspace, items=3)
    calls = []

    def unsupported(*args: object) -> int:  # as on a file system without it
        calls.append(args)
        ctypes.set_errno(errno.EINVAL)
        return -1

    monkeypatch.setattr(safefiles, "_renameat2", lambda: unsupported)
    write_bundle(first, workspace.issues_dir)
    folder = write_bundle(second, workspace.issues_dir)
    assert len(calls) == 1  # the first build had nothing to exchange with
    assert bundle_state(folder, {"A": first, "B": second}) == "B"
    assert leftovers(workspace.issues_dir) == []


@pytest.mark.sqlite_only  # about files: one database is enough
def test_a_staging_folder_left_over_is_never_a_bundle(workspace, tmp_path):
    first, second = two_bundles(workspace, items=3)
    issues = workspace.issues_dir
    write_bundle(first, issues)
    stale = issues / f".{SLUG}.new-killed"  # complete, never swapped in
    stale.mkdir()
    (stale / "index.html").write_bytes(second.files()["index.html"])
    with workspace.transaction() as session:
        result = build_archive(
            session,
            settings=workspace.settings,
            workspace=workspace.root,
            out_dir=tmp_path / "archive",
            base_url=None,
        )
    assert result.issues == (SLUG,)
    page = tmp_path / "archive" / SLUG / "index.html"
    files = first.files()  # bundle A's page, merge tags made public
    expected = public_page(
        files["index.html"],
        manifest=files["manifest.json"],
        settings=workspace.settings,
        page_url="index.html",
    )
    assert page.read_bytes() == expected
    assert not [p for p in (tmp_path / "archive").rglob(".*")]
    write_bundle(second, issues)
    assert leftovers(issues) == []


@pytest.mark.sqlite_only  # about files: one database is enough
def test_other_files_in_the_bundle_folder_are_kept(workspace):
    first, second = two_bundles(workspace, items=3)
    folder = write_bundle(first, workspace.issues_dir)
    (folder / "notes.txt").write_text("for the team")
    (folder / "images").mkdir()
    (folder / "images" / "logo.png").write_bytes(b"png")
    (folder / ".index.html.abc123.tmp").write_bytes(b"left by an old enews")
    write_bundle(second, workspace.issues_dir)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [*second.files(), "notes.txt", "images"]
    )
    assert (folder / "notes.txt").read_text() == "for the team"
    assert (folder / "images" / "logo.png").read_bytes() == b"png"
    assert (folder / "index.html").read_bytes() == second.files()["index.html"]


# -- imports -----------------------------------------------------------------

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
    )


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


@posix_only
@pytest.mark.sqlite_only  # about files: one database is enough
def test_reading_a_bundle_waits_for_a_writer_at_work(workspace):
    """``enews check`` reads index.html and index.txt; a build swapping its
    folder in between the two would give half of each bundle. Readers take
    their turn with writers, so they never see a write in progress."""
    first, _ = two_bundles(workspace, items=3)
    issues = workspace.issues_dir
    write_bundle(first, issues)
    with ThreadPoolExecutor(1) as pool:
        with safefiles._writers_take_turns(issues):  # a build at work
            reading = pool.submit(read_bundle, issues, SLUG)
            time.sleep(0.3)
            assert not reading.done()
        files = reading.result(timeout=10)
    assert files == {n: first.files()[n] for n in ("index.html", "index.txt")}
