"""Import and selection benchmark.

    .venv/bin/python benchmarks/bench_import.py [--rows 100000] [--stored 1000000]

1. Imports N generated CSV rows, then N generated RSS entries, each with
   `enews import` as a separate process, and prints wall time and the peak
   memory (max RSS) of that process. A second import of the same file shows
   the no-change path.
2. Fills a database with M items spread over 100 years and prints the median
   time to select one month of them (find_items, as `enews item list
   --month` does) and the median of the bare indexed query.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

SUMMARY = (
    "Savings and credit cooperatives from twelve countries met to compare how "
    "member deposits held up, which digital services members used, and what "
    "regulators should change so small rural cooperatives can offer payments."
)
KINDS = ("News", "Article", "Interview")


def day(n: int) -> dt.date:
    return dt.date(2020, 1, 1) + dt.timedelta(days=n % 365)


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("kind,title,date,url,summary\n")
        for n in range(rows):
            title = f"Cooperative forum {n} debates deposit guarantees"
            url = f"https://coop.example/news/{n}"
            out.write(f'{KINDS[n % 3]},{title},{day(n)},{url},"{SUMMARY}"\n')


def write_rss(path: Path, entries: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
                  "<title>Co-op news</title><link>https://coop.example/</link>"
                  "<description>News</description>\n")  # fmt: skip
        for n in range(entries):
            date = day(n).strftime("%a, %d %b %Y 09:00:00 +0000")
            out.write(f"<item><title>Cooperative forum {n} debates guarantees</title>"
                      f"<link>https://coop.example/feed/{n}</link>"
                      f"<category>{KINDS[n % 3]}</category><pubDate>{date}</pubDate>"
                      f"<description>{escape('<p>' + SUMMARY + '</p>')}</description>"
                      "</item>\n")  # fmt: skip
        out.write("</channel></rss>\n")


def timed_import(workspace: Path, source: Path) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB and the report line of one `enews import`."""
    code = (
        "import resource, sys; from enews.cli import main; sys.argv = sys.argv[1:]\n"
        "try:\n    main()\nfinally:\n"
        "    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "    print(f'PEAK {peak}', file=sys.stderr)"
    )
    start = time.perf_counter()
    command = ["enews", "-w", str(workspace), "import", str(source)]
    done = subprocess.run(
        [sys.executable, "-c", code, *command], capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"import failed: {done.stderr.strip()}")
    peak_kb = int(done.stderr.split("PEAK ")[1].split()[0])
    return seconds, peak_kb / 1024, done.stdout.strip().splitlines()[-1]


def bench_imports(rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, writer in (("items.csv", write_csv), ("items.xml", write_rss)):
            source = root / name
            writer(source, rows)
            workspace = root / f"ws-{name}"
            workspace.mkdir()
            size = source.stat().st_size / 1e6
            for attempt in ("first", "again"):
                seconds, peak, line = timed_import(workspace, source)
                print(f"  {name} ({rows} records, {size:.0f} MB), {attempt}: "
                      f"{seconds:.1f} s, peak {peak:.0f} MB  [{line}]")  # fmt: skip


def fill(url: str, count: int) -> None:
    from sqlalchemy import insert

    from enews.store import db
    from enews.store.models import Item

    engine = db.make_engine(url)
    db.ensure_schema(engine)
    start = dt.date(1970, 1, 1)
    with engine.begin() as conn:
        for first in range(0, count, 50_000):
            conn.execute(insert(Item), [
                {"kind": KINDS[n % 3], "title": f"Item {n}", "title_key": f"item {n}",
                 "published_on": start + dt.timedelta(days=n * 36525 // count),
                 "url": f"https://coop.example/{n}", "summary_format": "text"}
                for n in range(first, min(first + 50_000, count))
            ])  # fmt: skip


def bench_select(count: int, runs: int = 50) -> None:
    from sqlalchemy import select

    from enews.compose.items import find_items
    from enews.dates import month_bounds
    from enews.store import db
    from enews.store.models import Item

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/big.sqlite"
        started = time.perf_counter()
        fill(url, count)
        print(f"  filled {count} items in {time.perf_counter() - started:.1f} s")
        factory = db.session_factory(db.make_engine(url))
        months = [f"{1970 + n % 100}-{n % 12 + 1:02d}" for n in range(runs)]

        def median_ms(func) -> tuple[float, int]:
            times, found = [], 0
            for month in months:
                with factory() as session:
                    begin = time.perf_counter()
                    found = len(func(session, month))
                    times.append(time.perf_counter() - begin)
            return statistics.median(times) * 1000, found

        orm, n = median_ms(lambda s, m: find_items(s, month=m))
        print(f"  find_items(month=...): {orm:.2f} ms median, {n} items per month")

        def bare(session, month):
            lo, hi = month_bounds(month)
            query = select(Item.id, Item.title, Item.published_on).where(
                Item.published_on >= lo, Item.published_on < hi
            )
            return session.execute(query).all()

        core, _ = median_ms(bare)
        print(f"  indexed query alone:   {core:.2f} ms median")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--stored", type=int, default=1_000_000)
    args = parser.parse_args()
    print(f"imports (targets: <= 20 s and < 200 MB for {args.rows} records)")
    bench_imports(args.rows)
    print(f"month selection out of {args.stored} items (target <= 10 ms)")
    bench_select(args.stored)


if __name__ == "__main__":
    main()
