"""Whole-process start-up benchmark: ``enews build`` against the ``mjml`` CLI.

    .venv/bin/python benchmarks/bench_process.py [--runs 21] [--items 40]
        [--rich 0.25] [--mjml conventional|enews] [--no-bytecode-cache]
        [--python-m]

What a user waits for is the whole command, interpreter start and imports
included, not the build alone. This makes a temporary workspace with an
issue of N typical items (bench_build.py's ``fill``), then times, each as a
separate process:

- ``enews build 2020-10`` against the official ``mjml`` CLI (npm package
  ``mjml@5``, installed on demand into a cache folder outside the
  repository, as node_reference.py does) compiling a comparable MJML file
  of the same items: ``node_modules/.bin/mjml in.mjml -o out.html``. By
  default that file is the conventional one-section-per-item layout of
  bench_build.py; ``--mjml enews`` gives it the MJML enews itself renders.
  The runs alternate one by one (the order flips every pair) and the figure
  is the median of the per-pair ratios: this shared 2-core machine drifts
  by 2x within seconds, and both runs of a pair see the same moment.
  Target: at most 0.5x the mjml CLI.
- ``enews --help`` (target at most 0.1 s) and ``enews item list`` on the
  same workspace (target at most 0.3 s): medians.

Python runs from cached byte code, as an installed enews does, kept in a
temporary folder (PYTHONPYCACHEPREFIX) rather than in the checkout; with
``--no-bytecode-cache`` the caller's PYTHONDONTWRITEBYTECODE is kept.
Each timing gives the CPU time (user + system) of the process as well.

Without Node.js or npm the mjml comparison is skipped (one line says why).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from bench_build import conventional_mjml, fill
from enews.compose.view import load_issue_view
from enews.config import Settings
from enews.render.templates import render_mjml, template_dirs
from enews.workspace import Workspace, init_workspace
from node_reference import ensure_installed

SLUG = "2020-10"
BUILD_TARGET = 0.5  # enews build / mjml CLI, median of the pair ratios
HELP_TARGET_S = 0.1
LIST_TARGET_S = 0.3


def enews_command(as_module: bool) -> list[str | Path]:
    """The console script of this interpreter's environment (.venv/bin/enews),
    or ``python -m enews`` (enews/__main__.py rather than cli.main())."""
    if as_module:
        return [Path(sys.executable), "-m", "enews"]
    return [Path(sys.executable).with_name("enews")]


def child_env(pycache: Path | None) -> dict[str, str]:
    """The commands' environment: the workspace's own SQLite file, whatever
    the caller's shell points at; byte code cached under ``pycache``.

    A user's installed enews runs from cached byte code; a shell with
    PYTHONDONTWRITEBYTECODE (this sandbox sets it) would compile every
    enews module from source on every run instead. The cache goes to a
    folder of its own (PYTHONPYCACHEPREFIX), never into the checkout.
    """
    env = dict(os.environ)
    for name in ("DATABASE_URL", "ENEWS_WORKSPACE"):
        env.pop(name, None)
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


class Timing(NamedTuple):
    wall: float  # seconds, what the user waits for
    cpu: float  # user + system seconds of the process: less hurt by a busy machine


def run_s(command: Sequence[str | Path], env: dict[str, str]) -> Timing:
    """Wall and CPU time of one process; a failing command stops the run."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [str(part) for part in command],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            errors.seek(0)
            detail = errors.read().decode(errors="replace").strip()[-500:]
            shown = " ".join(str(part) for part in command)
            raise SystemExit(f"{shown} failed (exit {proc.returncode}): {detail}")
    return Timing(wall, usage.ru_utime + usage.ru_stime)


def make_workspace(root: Path, items: int, rich: float) -> Workspace:
    init_workspace(root)
    ws = Workspace(root)
    fill(ws, items, rich)
    return ws


def reference_mjml(ws: Workspace, layout: str) -> str:
    """The MJML the mjml CLI compiles: the same items as the issue."""
    settings = Settings()
    with ws.sessions()() as session:
        view = load_issue_view(session, SLUG, settings)
    if layout == "enews":
        return render_mjml(view, settings=settings, dirs=template_dirs(None))
    return conventional_mjml(view)


def timed(
    command: Sequence[str | Path], env: dict[str, str], runs: int
) -> list[Timing]:
    run_s(command, env)  # warm-up: byte-code caches, page cache
    return [run_s(command, env) for _ in range(runs)]


def paired(
    build: Sequence[str | Path],
    mjml: Sequence[str | Path],
    env: dict[str, str],
    runs: int,
) -> list[tuple[Timing, Timing]]:
    """(enews, mjml) timings per pair; the order flips from pair to pair."""
    run_s(build, env), run_s(mjml, env)  # warm-up on both sides
    pairs = []
    for n in range(runs):
        if n % 2:
            node = run_s(mjml, env)
            ours = run_s(build, env)
        else:
            ours = run_s(build, env)
            node = run_s(mjml, env)
        pairs.append((ours, node))
    return pairs


def quartiles(values: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return ordered[len(ordered) // 4], ordered[(3 * len(ordered)) // 4]


def median_of(timings: Sequence[Timing]) -> Timing:
    return Timing(
        statistics.median(t.wall for t in timings),
        statistics.median(t.cpu for t in timings),
    )


def report_pairs(pairs: list[tuple[Timing, Timing]], layout: str, items: int) -> None:
    ours, node = median_of([p[0] for p in pairs]), median_of([p[1] for p in pairs])
    ratios = [a.wall / b.wall for a, b in pairs]
    ratio, (low, high) = statistics.median(ratios), quartiles(ratios)
    cpu_ratio = statistics.median(a.cpu / b.cpu for a, b in pairs)
    verdict = "meets" if ratio <= BUILD_TARGET else "MISSES"
    print(f"enews build {SLUG} ({items} items), whole process: "
          f"{ours.wall:.3f} s median (CPU {ours.cpu:.3f} s)")  # fmt: skip
    print(f"mjml CLI on the {layout} MJML of the same items: "
          f"{node.wall:.3f} s median (CPU {node.cpu:.3f} s)")  # fmt: skip
    print(
        f"  enews / mjml, median of {len(pairs)} paired ratios: {ratio:.2f}x "
        f"(middle half {low:.2f}x-{high:.2f}x; CPU time {cpu_ratio:.2f}x); "
        f"target <= {BUILD_TARGET}x: {verdict}"
    )


def report_one(label: str, timings: Sequence[Timing], target: float) -> None:
    median = median_of(timings)
    verdict = "meets" if median.wall <= target else "MISSES"
    print(
        f"{label}: {median.wall:.3f} s median of {len(timings)} runs "
        f"(CPU {median.cpu:.3f} s); target <= {target} s: {verdict}"
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Each figure is a whole process, Python or Node start-up included.",
    )
    parser.add_argument(
        "--runs", type=int, default=21, metavar="N",
        help="timed runs of each command (pairs for build) [default: 21]",
    )  # fmt: skip
    parser.add_argument(
        "--items", type=int, default=40, metavar="N",
        help="items in the issue [default: 40]",
    )  # fmt: skip
    parser.add_argument(
        "--rich", type=float, default=0.25, metavar="SHARE",
        help="share of items with an HTML summary (0 to 1) [default: 0.25]",
    )  # fmt: skip
    parser.add_argument(
        "--mjml", choices=("conventional", "enews"), default="conventional",
        help="MJML for the mjml CLI: one section per item, or enews's own "
        "[default: conventional]",
    )  # fmt: skip
    parser.add_argument(
        "--no-bytecode-cache", action="store_true",
        help="time the commands as the shell runs them: with "
        "PYTHONDONTWRITEBYTECODE set, enews is compiled from source each run",
    )  # fmt: skip
    parser.add_argument(
        "--python-m", action="store_true",
        help="run `python -m enews` instead of the enews console script",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.runs < 1 or args.items < 1:
        parser.error("--runs and --items must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    enews = enews_command(args.python_m)
    with tempfile.TemporaryDirectory(prefix="enews-bench-process-") as tmp:
        env = child_env(None if args.no_bytecode_cache else Path(tmp) / "pycache")
        root = Path(tmp) / "ws"
        ws = make_workspace(root, args.items, args.rich)
        try:
            mjml_text = reference_mjml(ws, args.mjml)
        finally:
            ws.close()
        build: list[str | Path] = [*enews, "-w", root, "build", SLUG]
        node_modules = ensure_installed()
        if node_modules is None:
            print("no mjml CLI (see above): the build comparison is skipped")
        else:
            source, out = Path(tmp) / "in.mjml", Path(tmp) / "out.html"
            source.write_text(mjml_text, encoding="utf-8")
            mjml: list[str | Path] = [node_modules / ".bin" / "mjml", source, "-o", out]
            report_pairs(paired(build, mjml, env, args.runs), args.mjml, args.items)
        helping = timed([*enews, "--help"], env, args.runs)
        report_one("enews --help", helping, HELP_TARGET_S)
        listing = timed([*enews, "-w", root, "item", "list"], env, args.runs)
        report_one(f"enews item list ({args.items} items)", listing, LIST_TARGET_S)
    return 0


if __name__ == "__main__":
    sys.exit(main())
