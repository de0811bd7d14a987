"""The fuzz properties of tests/test_fuzz.py, run long.

    .venv/bin/python benchmarks/fuzz.py                 # 10,000 cases in all
    .venv/bin/python benchmarks/fuzz.py --cases 30000 --seed 7
    .venv/bin/python benchmarks/fuzz.py --only "import csv" --only "web import"

The cases are split evenly over the entry points (tests/helpers_fuzz_points.py).
Every stored case is built for real, checked and downloaded unless
``--builds`` says how many per entry point. Per entry point it prints the
cases run (hypothesis's shrinking runs included), how many were refused,
stored, stored-and-built, accepted with nothing to store ("empty": a
file of no items), the failures with their smallest failing input,
and the wall time. A failure stops hypothesis; the run goes on with the
next seed for the rest of that entry point's cases, up to three failures.
Exit status 1 when anything failed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.helpers_fuzz_points import ENTRY_POINTS, run
from tests.helpers_fuzz_run import Fuzzer
from tests.helpers_web import Browser

from enews.web import create_app
from enews.workspace import Workspace, init_workspace

MAX_FAILURES = 3
COUNTS = ("cases", "refused", "stored", "built", "nothing")
HEADER = (
    f"{'entry point':<18} {'cases':>6} {'refused':>8} {'stored':>7} "
    f"{'built':>6} {'empty':>6} {'failures':>8} {'seconds':>8}"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000, help="in all")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--builds", type=int, help="built cases per entry point")
    parser.add_argument("--only", action="append", choices=sorted(ENTRY_POINTS))
    args = parser.parse_args()
    names = args.only or list(ENTRY_POINTS)
    share = max(1, args.cases // len(names))
    print(HEADER, flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        init_workspace(root)
        ws = Workspace(root)
        app = create_app(ws, trusted_hosts=["localhost"])
        app.config["SERVER_NAME"] = "localhost"
        browser = Browser(app)
        browser.get("/issues")
        try:
            rows = [_entry(ws, browser, name, share, args) for name in names]
        finally:
            ws.close()
    _print(rows)
    return 1 if any(row["failures"] for row in rows) else 0


def _entry(ws, browser, name, share, args):
    fuzzer = Fuzzer(
        ws, browser, builds_left=share if args.builds is None else args.builds
    )
    failures = []
    seed = args.seed
    started = time.perf_counter()
    while fuzzer.counts["cases"] < share and len(failures) < MAX_FAILURES:
        try:
            run(fuzzer, name, share - fuzzer.counts["cases"], seed=seed)
        except Exception as exc:  # reported; the run goes on with the next seed
            found = _described(exc)
            for failure in found:
                print(f"  failed ({name}): {failure}", file=sys.stderr, flush=True)
            failures.extend(found)
        seed += 1
    seconds = time.perf_counter() - started
    row = {"name": name, "seconds": seconds, "failures": failures}
    row |= {key: fuzzer.counts[key] for key in COUNTS}
    print(_line(row), flush=True)
    return row


def _described(exc: BaseException) -> list[str]:
    found = exc.exceptions if isinstance(exc, BaseExceptionGroup) else [exc]
    described = []
    for one in found:
        what = "".join(traceback.format_exception_only(one)).strip()
        notes = [n for n in getattr(one, "__notes__", []) if "Falsifying" in n]
        described.append(f"{what[:600]}\n      {' '.join(notes)[:1500]}")
    return described


def _line(row) -> str:
    return (
        f"{row['name']:<18} {row['cases']:>6} {row['refused']:>8} {row['stored']:>7}"
        f" {row['built']:>6} {row['nothing']:>6} {len(row['failures']):>8}"
        f" {row['seconds']:>8.1f}"
    )


def _print(rows) -> None:
    print()
    print(HEADER)
    for row in rows:
        print(_line(row))
    total = {key: sum(r[key] for r in rows) for key in COUNTS}
    total |= {"name": "total", "seconds": sum(r["seconds"] for r in rows)}
    total |= {"failures": [f for r in rows for f in r["failures"]]}
    print(_line(total))
    for row in rows:
        for failure in row["failures"]:
            print(f"\nFAILED {row['name']}: {failure}")


if __name__ == "__main__":
    sys.exit(main())
