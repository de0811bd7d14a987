"""What the atomic writers promise about fsync: a file's data reaches the
disk before the rename that makes it the file, and the folder holding the
new name is synced after the rename (else a power cut may undo it).

A missing fsync changes nothing a test could read back, so these tests
watch the calls themselves: ``os.fsync`` is wrapped, and each call records
which file or folder its descriptor is open on (from /proc) and what was on
disk at that moment.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from enews import safefiles

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="needs /proc")


@dataclasses.dataclass(frozen=True)
class Sync:
    """One fsync: what it was called on, and what the disk held then."""

    path: Path
    content: bytes | list[str]  # the file's bytes, or the folder's names
    seen: object  # what the test's ``look`` returned at that moment


class FsyncSpy:
    def __init__(self, real: Callable[[int], None]) -> None:
        self.real = real
        self.calls: list[Sync] = []
        self.look: Callable[[], object] = lambda: None

    def __call__(self, fd: int) -> None:
        path = Path(f"/proc/self/fd/{fd}").readlink()
        self.calls.append(Sync(path, _content(path), self.look()))
        self.real(fd)  # still a real fsync: the writer must not notice

    def under(self, folder: Path) -> list[Sync]:
        """The calls on ``folder`` and what is in it (nothing else's)."""
        return [c for c in self.calls if c.path.is_relative_to(folder)]


def _content(path: Path) -> bytes | list[str]:
    if path.is_dir():
        return sorted(p.name for p in path.iterdir())
    return path.read_bytes()


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[FsyncSpy]:
    watcher = FsyncSpy(os.fsync)
    monkeypatch.setattr(os, "fsync", watcher)
    yield watcher


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    made = tmp_path.resolve() / "out"  # /proc gives the real path
    made.mkdir()
    return made


def is_temp_of(path: Path, target: Path) -> bool:
    return path.parent == target.parent and (
        path.name.startswith(f".{target.name}.") and path.name.endswith(".tmp")
    )


# -- one file ----------------------------------------------------------------


@pytest.mark.parametrize(
    "write",
    [safefiles.atomic_write, safefiles.replace_file],
    ids=["atomic_write", "replace_file"],
)
def test_a_file_is_synced_before_the_rename_and_its_folder_after(spy, folder, write):
    target = folder / "page.html"
    target.write_bytes(b"old page")
    spy.look = target.read_bytes
    write(target, b"new page")
    data, names = spy.under(folder)
    # The temp file, whole, while the old file is still in place...
    assert is_temp_of(data.path, target), data
    assert (data.content, data.seen) == (b"new page", b"old page")
    # ... then the folder, once the new file has taken the name.
    assert names.path == folder
    assert names.seen == b"new page" and names.content == ["page.html"]


def test_a_streamed_file_is_synced_after_its_last_write(spy, folder):
    target = folder / "dump.json"
    spy.look = lambda: target.exists()
    with safefiles.atomic_file(target, mode=0o600) as handle:
        for part in (b"[1,", b"2,", b"3]"):
            handle.write(part)
        assert spy.calls == []  # not before the block has ended
    data, names = spy.under(folder)
    assert is_temp_of(data.path, target)
    assert (data.content, data.seen) == (b"[1,2,3]", False)
    assert (names.path, names.content, names.seen) == (folder, ["dump.json"], True)


def test_a_failed_write_syncs_nothing_into_place(spy, folder):
    target = folder / "page.html"
    target.write_bytes(b"old page")
    with pytest.raises(RuntimeError), safefiles.atomic_file(target) as handle:
        handle.write(b"half")
        raise RuntimeError("the writer failed")
    assert spy.under(folder) == []
    assert sorted(p.name for p in folder.iterdir()) == ["page.html"]


# -- a whole folder ----------------------------------------------------------

BUNDLE = {"index.html": b"<p>new</p>", "index.txt": b"new", "manifest.json": b"{}"}


def files_of(folder: Path) -> dict[str, bytes]:
    if not folder.is_dir():
        return {}
    return {p.name: p.read_bytes() for p in folder.iterdir()}


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
@pytest.mark.parametrize("before", ["no-folder", "old-folder"])
def test_a_folder_is_synced_file_by_file_then_as_a_whole_then_its_parent(
    spy, folder, monkeypatch, exchange, before
):
    target = folder / "2020-10"
    if before == "old-folder":
        safefiles.replace_folder(target, {"index.html": b"<p>old</p>"})
        (target / "notes.txt").write_bytes(b"kept: linked into the new folder")
        spy.calls.clear()
    old = files_of(target)
    kept = sorted(set(old) - set(BUNDLE))
    if not exchange:  # as on a system without renameat2
        monkeypatch.setattr(safefiles, "_renameat2", lambda: None)
    spy.look = lambda: files_of(target)
    safefiles.replace_folder(target, BUNDLE)
    *data, staged, parent = spy.under(folder)
    # Each new file, whole, in the staging folder beside the old one...
    staging = staged.path
    assert staging.parent == folder and staging.name.startswith(".2020-10.new-")
    assert {c.path: c.content for c in data} == {
        staging / name: content for name, content in BUNDLE.items()
    }
    assert all(c.seen == old for c in data)
    # ... then the staging folder, holding all of them, before the swap...
    assert (staged.content, staged.seen) == (sorted([*BUNDLE, *kept]), old)
    # ... and the parent folder once the new folder has taken the name.
    assert parent.path == folder and parent.seen == {
        **BUNDLE,
        **{n: old[n] for n in kept},
    }
    assert parent.content == ["2020-10"]  # the staging folder is gone too
