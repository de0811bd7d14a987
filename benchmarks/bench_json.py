"""JSON import benchmark: one-line against pretty-printed files.

    .venv/bin/python benchmarks/bench_json.py [--items 40000 80000] [--runs 3]
        [--reader path/to/json_source.py]

For each count of generated item objects, written once on one line
(``json.dumps(items)``) and once pretty-printed (``indent=2``), this times,
each as a separate process:

- ``enews -w WS import FILE --dry-run`` (the whole command: interpreter
  start, validation, the database look-ups of a dry run), and
- the library call alone, ``read_json`` over the file (time measured inside
  the process, so without interpreter start),

and prints the median wall time of ``--runs`` runs and the largest peak
memory (VmHWM, the peak RSS) of those runs, in one table. Both layouts of one count
should take about the same time and memory: the reader streams, and a line
break is not what bounds an item.

``--reader FILE`` loads FILE as ``enews.collect.json_source`` in the timed
processes instead of the installed module, to compare against another
version (say, a copy of an older json_source.py kept in /tmp).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SUMMARY = (
    "Savings and credit cooperatives from twelve countries met to compare how "
    "member deposits held up, which digital services members used, and what "
    "regulators should change so small rural cooperatives can offer payments."
)
KINDS = ("News", "Article", "Interview")

# Run in the timed process: optionally swap in another json_source.py, run,
# then report the peak RSS on stderr (the last line, so the output stays).
PRELUDE = """\
import importlib.util, resource, sys, time
def peak_kb():
    # VmHWM starts again at exec; ru_maxrss keeps the forking parent's peak.
    try:
        with open("/proc/self/status") as status:
            return next(int(l.split()[1]) for l in status if l.startswith("VmHWM"))
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
reader = sys.argv.pop(1)
if reader:
    spec = importlib.util.spec_from_file_location("enews.collect.json_source", reader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
"""
CLI = (
    PRELUDE
    + """\
from enews.cli import main
sys.argv = sys.argv[1:]
try:
    main()
finally:
    print(f"PEAK {peak_kb()}", file=sys.stderr)
"""
)
LIBRARY = (
    PRELUDE
    + """\
from enews.collect.json_source import read_json
path = sys.argv[1]
start = time.perf_counter()
with open(path, "rb") as stream:
    count = sum(1 for _ in read_json(stream, source=path))
seconds = time.perf_counter() - start
print(f"{count} {seconds} {peak_kb()}")
"""
)


def items(count: int) -> list[dict[str, str]]:
    return [
        {
            "kind": KINDS[n % 3],
            "title": f"Cooperative forum {n} debates deposit guarantees",
            "date": f"2020-{n % 12 + 1:02d}-{n % 28 + 1:02d}",
            "url": f"https://coop.example/news/{n}",
            "summary": SUMMARY,
        }
        for n in range(count)
    ]


def run(code: str, reader: str, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-c", code, reader, *args], capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(args)}\n{done.stderr.strip()}")
    return done


def time_cli(workspace: Path, source: Path, reader: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one ``enews import --dry-run``."""
    import time

    start = time.perf_counter()
    args = ("enews", "-w", str(workspace), "import", str(source), "--dry-run")
    done = run(CLI, reader, *args)
    seconds = time.perf_counter() - start
    peak_kb = int(done.stderr.rsplit("PEAK ", 1)[1].split()[0])
    return seconds, peak_kb / 1024


def time_library(source: Path, count: int, reader: str) -> tuple[float, float]:
    """Seconds inside the process and its peak RSS (MB) for ``read_json``."""
    found, seconds, peak_kb = run(LIBRARY, reader, str(source)).stdout.split()
    if int(found) != count:
        sys.exit(f"{source}: read {found} records, expected {count}")
    return float(seconds), int(peak_kb) / 1024


def measure(root: Path, count: int, runs: int, reader: str) -> None:
    workspace = root / "ws"
    if not workspace.exists():
        run(CLI, reader, "enews", "-w", str(workspace), "init")
    for layout, indent in (("one line", None), ("pretty", 2)):
        source = root / f"items-{count}-{indent}.json"
        # Not kept: the timed processes are forked from this one.
        source.write_text(json.dumps(items(count), indent=indent), encoding="utf-8")
        cli = [time_cli(workspace, source, reader) for _ in range(runs)]
        lib = [time_library(source, count, reader) for _ in range(runs)]
        print(
            f"| {count:>7,} | {layout:<8} | {source.stat().st_size / 1e6:6.1f} "
            f"| {statistics.median(s for s, _ in cli):8.2f} "
            f"| {max(p for _, p in cli):8.0f} "
            f"| {statistics.median(s for s, _ in lib):8.2f} "
            f"| {max(p for _, p in lib):8.0f} |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, nargs="+", default=[40_000, 80_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reader", default="", help="another json_source.py")
    args = parser.parse_args()
    reader = str(Path(args.reader).resolve()) if args.reader else ""
    print(f"reader: {reader or 'installed enews.collect.json_source'}; "
          f"medians of {args.runs} runs, largest peak RSS (VmHWM)")  # fmt: skip
    print("|   items | layout   |     MB | import s | peak MB  | read s   | peak MB  |")
    print("|---------|----------|--------|----------|----------|----------|----------|")
    with tempfile.TemporaryDirectory() as tmp:
        for count in args.items:
            measure(Path(tmp), count, args.runs, reader)


if __name__ == "__main__":
    main()
