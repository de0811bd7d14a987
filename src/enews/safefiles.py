"""Writing files so that a crash never leaves a half-written or mixed state.

``atomic_write`` replaces one file (temp file, fsync, rename, folder fsync).
``replace_folder`` replaces a whole folder of files in one step: the new
files are written and synced into a hidden staging folder beside it
(``.<name>.new-XXXX``), which then takes the old folder's place at once
(Linux ``renameat2(RENAME_EXCHANGE)``, or two renames elsewhere, undone by
the next writer or reader if a crash falls between them). Writers in one
parent folder take turns (``flock``), so two builds never take each other's
staging folder for a leftover; ``read_folder`` waits its turn too, so it
never reads half of one bundle and half of the next.
"""

from __future__ import annotations

import ctypes
import errno
import glob
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import cache
from pathlib import Path
from typing import BinaryIO, cast

if sys.platform != "win32":
    import fcntl


def replace_folder(folder: Path, files: dict[str, bytes]) -> None:
    """Make ``folder`` hold ``files`` (plus the other files it held), in one
    step; what a killed earlier write left beside it is cleaned up first."""
    target = _real(folder)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _writers_take_turns(target.parent):
        _recover(target)
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=_aside(target)))
        try:
            _fill(staging, files, carry_from=target)
            _swap(staging, target)
        finally:
            _remove(staging)  # after a swap: the old folder, if there was one
        _fsync_dir(target.parent)


def read_folder(folder: Path, names: Sequence[str]) -> dict[str, bytes]:
    """The files ``names`` of ``folder``, all from the same write.

    Read while no writer is at work (a build swapping its new folder in
    between two reads would give a mix of two bundles), after putting back
    a folder a killed write left aside. FileNotFoundError if one is missing.
    """
    target = _real(folder)
    if not target.parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, "no such folder", str(target.parent))
    with _writers_take_turns(target.parent):
        _recover(target)
        return {name: (target / name).read_bytes() for name in names}


def replace_file(path: Path, data: bytes) -> None:
    """``atomic_write``, taking turns with other writers in the folder and
    removing the temp files of killed earlier writes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _writers_take_turns(path.parent):
        for temp in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
            _remove(temp)  # nobody else writes now
        atomic_write(path, data)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one rename, after an fsync."""
    with atomic_file(path) as handle:
        handle.write(data)


@contextmanager
def atomic_file(path: Path, *, mode: int = 0o644) -> Iterator[BinaryIO]:
    """A file to write ``path``'s new content into, streamed; it replaces
    ``path`` in one rename when the block ends without an error.

    A failed or killed write leaves the old file, and at most a hidden
    ``.<name>.XXXX.tmp`` beside it. ``mode``: 0o600 for private files.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).chmod(mode)  # mkstemp makes 0600
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)  # the rename itself survives a power cut only then


# Folders set aside are named ".<name>.new-XXXX" (a staging folder, or an old
# folder being deleted) and ".<name>.old-XXXX" (an old folder moved aside by
# _swap_by_renames). No issue slug starts with a dot (assemble.check_slug):
# they are never taken for a bundle.
_NEW, _OLD = "new-", "old-"
_AT_FDCWD = -100  # <fcntl.h>: paths are relative to the working directory
_RENAME_EXCHANGE = 2  # <linux/fs.h>


def _real(folder: Path) -> Path:
    # A symlinked bundle folder stays a symlink: the swap happens at its target.
    return folder.resolve() if folder.is_symlink() else folder


def _aside(target: Path, kind: str = _NEW) -> str:
    return f".{target.name}.{kind}"


@contextmanager
def _writers_take_turns(folder: Path) -> Iterator[None]:
    """An exclusive lock on ``folder`` while writing in it.

    Two builds at once (the web workspace and the CLI) then never take each
    other's staging folder for a leftover, nor interleave their renames. The
    lock goes with the process: a killed build does not keep it.
    """
    if sys.platform == "win32":  # no flock; Windows is no team server here
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        # Where flock is missing (some network mounts), writing goes on, only
        # without this guard against a concurrent build.
        with suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _recover(target: Path) -> None:
    """Undo what a killed build left beside ``target`` (lock held): the old
    bundle, if it was killed between the renames of ``_swap_by_renames``,
    goes back in place; every other leftover goes."""
    kinds = (_aside(target, _NEW), _aside(target, _OLD))
    leftovers = sorted(p for p in target.parent.iterdir() if p.name.startswith(kinds))
    aside = [p for p in leftovers if p.name.startswith(kinds[1])]
    if aside and not os.path.lexists(target):
        aside[0].rename(target)
        leftovers.remove(aside[0])
    for path in leftovers:
        _remove(path)


def _fill(staging: Path, files: dict[str, bytes], *, carry_from: Path) -> None:
    """The complete new bundle in ``staging``, synced to disk."""
    staging.chmod(0o755)  # mkdtemp makes 0700; exports are meant to be read
    for name, data in files.items():
        with (staging / name).open("xb") as handle:
            _write_synced(handle, data)
        (staging / name).chmod(0o644)
    if carry_from.is_dir():
        _carry_over(carry_from, staging)
    _fsync_dir(staging)


def _carry_over(old: Path, staging: Path) -> None:
    # Builds used to leave other files in the folder alone; a swap must not
    # lose them. Hard links copy nothing. Hidden .tmp files, left by killed
    # writes of earlier versions, are not carried over.
    for entry in old.iterdir():
        new = staging / entry.name
        if new.exists() or (entry.name[0] == "." and entry.suffix == ".tmp"):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, new, symlinks=True, copy_function=_link)
        else:
            _link(entry, new)


def _link(source: str | Path, destination: str | Path) -> None:
    try:
        os.link(source, destination, follow_symlinks=False)
    except OSError:  # a file system without hard links
        shutil.copy2(source, destination, follow_symlinks=False)


def _swap(staging: Path, target: Path) -> None:
    """Put ``staging`` in ``target``'s place in one step; ``staging`` then
    holds the old bundle, if there was one."""
    if not os.path.lexists(target):
        staging.rename(target)  # nothing to replace: a rename is one step
    elif not target.is_dir():
        raise FileExistsError(errno.EEXIST, "exists and is not a folder", str(target))
    elif not _exchange(staging, target):
        _swap_by_renames(staging, target)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step (Linux renameat2); False where the system
    cannot (another OS, glibc < 2.28, a file system without it)."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    paths = os.fsencode(first), os.fsencode(second)
    if renameat2(_AT_FDCWD, paths[0], _AT_FDCWD, paths[1], _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))


@cache
def _renameat2() -> Callable[..., int] | None:
    if sys.platform != "linux":
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # glibc < 2.28, or a libc without it
        return None
    function.argtypes = (ctypes.c_int, ctypes.c_char_p) * 2 + (ctypes.c_uint,)
    function.restype = ctypes.c_int
    return cast("Callable[..., int]", function)


def _swap_by_renames(staging: Path, target: Path) -> None:
    """Old bundle aside, new one in, where folders cannot be exchanged.

    Between the two renames there is no ``target`` for a moment (readers
    through ``read_folder`` wait for the lock and never see it), and a build
    killed right there leaves the complete old bundle as ``.<slug>.old-XXXX``,
    which the next build or ``read_folder`` puts back.
    """
    old = target.with_name(_aside(target, _OLD) + staging.name[len(_aside(target)) :])
    target.rename(old)
    try:
        staging.rename(target)
    except BaseException:
        if not os.path.lexists(target):
            old.rename(target)
        raise
    # Back to a staging name before it is deleted: an ``.old-`` folder is
    # then always a whole bundle, safe for _recover to put back. The swap is
    # done; if this fails, the next build deletes it.
    with suppress(OSError):
        old.rename(staging)


def _write_synced(handle: BinaryIO, data: bytes) -> None:
    handle.write(data)
    handle.flush()
    os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    """Make the names in ``folder`` (new files, renames) survive a power cut."""
    if sys.platform == "win32":  # a folder cannot be opened there
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    """Delete a leftover or an old bundle; failing that, the next build will."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with suppress(OSError):
            path.unlink(missing_ok=True)
