"""Crash safety of builds: ``enews build`` subprocesses killed (SIGKILL) at
random moments, aimed at the few milliseconds it spends writing, leave the
bundle folder whole, the old one or the new one.

Step by step (a build dying or failing before each file system call) in
test_crash_steps.py; imports killed half-way in test_crash_import.py.
"""

from __future__ import annotations

import dataclasses
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from enews.publish.build import (
    Bundle,
    write_bundle,
)
from tests.helpers_crash import (
    SLUG,
    bundle_state,
    leftovers,
    posix_only,
    two_bundles,
)

SEED = 20201031
KILLS = 20  # builds killed per database: about 1 s each, two at a time


def enews_build(workspace, out: Path) -> subprocess.Popen[bytes]:
    # DATABASE_URL, set by the workspace fixture for PostgreSQL, is inherited.
    command = [sys.executable, "-m", "enews", "-w", str(workspace.root)]
    command += ["build", "--force"]  # not approved: a build all the same
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
