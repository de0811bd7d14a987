"""Crash safety of builds, step by step: a build that dies (fork +
os._exit: no cleanup runs) or fails before each file system operation of
``write_bundle`` leaves a whole bundle; what a killed build left behind is
never taken for one; readers never see a write in progress."""

from __future__ import annotations

import ctypes
import errno
import itertools
import os
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import enews.safefiles as safefiles
from enews.errors import EnewsError
from enews.publish.archive import build_archive
from enews.publish.build import (
    HTML_FILE,
    Bundle,
    read_bundle,
    write_bundle,
)
from enews.publish.public import public_page
from tests.helpers_crash import (
    SLUG,
    bundle_state,
    leftovers,
    posix_only,
    two_bundles,
)

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
