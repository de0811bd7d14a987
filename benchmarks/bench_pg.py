"""Month selection out of 1,000,000 items: PostgreSQL beside SQLite.

    .venv/bin/python benchmarks/bench_pg.py [--items 1000000] [--runs 20]
                                            [--years 100 8]

Fills a SQLite file and a throw-away PostgreSQL database (tests/pgserver.py),
both migrated to head by ensure_schema, with the same N items spread evenly
over Y years (100 years, as bench_import.py, is ~830 items a month; 8 years
is ~10,400), then times on each, the same way (a new session per run, a few
warm-up runs, the median of R runs), selecting month 2020-10:

- find_items(month=...): the real code path, Item objects newest first;
- find_items(limit=50): the same, first page only;
- all columns, no objects: the same query's rows, no Item objects built;
- indexed query alone: id, title and date rows (as bench_import.py);
- indexed count(*).

It prints the plan of the find_items query (it must use ix_items_published_on)
and the ratio PostgreSQL / SQLite. Target: <= 10 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select, text

from enews.compose.items import find_items
from enews.dates import month_bounds
from enews.store import db
from enews.store.models import Item

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.pgserver import PgServer, available

MONTH = "2020-10"
WARMUP = 3
COLUMNS = "kind, title, title_key, published_on, url, summary_format"
FILL_PG = f"""
INSERT INTO items ({COLUMNS})
SELECT (ARRAY['News', 'Article', 'Interview'])[n % 3 + 1], 'Item ' || n,
       'item ' || n, CAST(:start AS date) + CAST(n::bigint * :days / :count AS int),
       'https://coop.example/' || n, 'text'
FROM generate_series(0, :count - 1) AS n
"""
FILL_SQLITE = f"""
WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < :count - 1)
INSERT INTO items ({COLUMNS})
SELECT CASE n % 3 WHEN 0 THEN 'News' WHEN 1 THEN 'Article' ELSE 'Interview' END,
       'Item ' || n, 'item ' || n, date(:start, '+' || (n * :days / :count) || ' days'),
       'https://coop.example/' || n, 'text'
FROM seq
"""


def fill(url: str, count: int, years: int) -> float:
    """Migrate to head and insert the items inside the database; seconds."""
    engine = db.make_engine(url)
    started = time.perf_counter()
    db.ensure_schema(engine)
    values = {
        "count": count,
        "days": round(years * 365.25),
        "start": dt.date(2020 - years // 2, 1, 1).isoformat(),
    }
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        conn.execute(text(FILL_PG if postgres else FILL_SQLITE), values)
    if postgres:  # what autovacuum would do after such a load
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE items")
    engine.dispose()
    return time.perf_counter() - started


def month_query(*columns):
    lo, hi = month_bounds(MONTH)
    return select(*columns).where(Item.published_on >= lo, Item.published_on < hi)


def newest_first(query):
    return query.order_by(Item.published_on.desc(), Item.id.desc())


# Each case returns the number of rows it selected.
CASES = {
    "find_items(month=...)": lambda s: len(find_items(s, month=MONTH)),
    "find_items(limit=50)": lambda s: len(find_items(s, month=MONTH, limit=50)),
    "all columns, no objects": lambda s: len(
        s.execute(newest_first(month_query(*Item.__table__.c))).all()
    ),
    "indexed query alone": lambda s: len(
        s.execute(month_query(Item.id, Item.title, Item.published_on)).all()
    ),
    "indexed count(*)": lambda s: s.scalar(month_query(func.count())),
}


def median_ms(factory, case, runs: int) -> tuple[float, int]:
    """Median milliseconds of case(session), each in a new session; its rows."""
    times, found = [], 0
    for n in range(WARMUP + runs):
        with factory() as session:
            begin = time.perf_counter()
            found = case(session)
            if n >= WARMUP:
                times.append(time.perf_counter() - begin)
    return statistics.median(times) * 1000, found


def plan(engine) -> list[str]:
    """EXPLAIN of the find_items query; PostgreSQL's nodes with actual times."""
    query = newest_first(month_query(*Item.__table__.c))
    sql = query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
            return [row[-1] for row in rows]
        rows = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}").all()
    keep = ("->", "Sort ", "Incremental", "Index", "Execution")
    return [row[0] for row in rows if row[0].strip().startswith(keep)]


def measure(url: str, runs: int) -> dict[str, tuple[float, int]]:
    engine = db.make_engine(url)
    factory = db.session_factory(engine)
    try:
        results = {name: median_ms(factory, case, runs) for name, case in CASES.items()}
        for line in plan(engine):
            print(f"    {engine.dialect.name} plan: {line}")
    finally:
        engine.dispose()
    return results


def report(sqlite: dict, postgres: dict) -> None:
    head = f"{'median of runs':<25} {'SQLite':>9} {'PostgreSQL':>11} {'PG/SQLite':>9}"
    print(f"    {head}   rows")
    for name, (lite_ms, rows) in sqlite.items():
        pg_ms, pg_rows = postgres[name]
        assert rows == pg_rows, (name, rows, pg_rows)  # the same data on both
        print(f"    {name:<25} {lite_ms:>6.2f} ms {pg_ms:>8.2f} ms "
              f"{pg_ms / lite_ms:>8.2f}x  {rows:>6}")  # fmt: skip


def bench(server: PgServer, count: int, years: int, runs: int) -> None:
    print(f"\n{count} items over {years} years, month {MONTH}, median of {runs}")
    with tempfile.TemporaryDirectory() as tmp:
        lite_url = f"sqlite:///{tmp}/big.sqlite"
        pg_url = server.new_database()
        print(f"  filled SQLite in {fill(lite_url, count, years):.1f} s, "
              f"PostgreSQL in {fill(pg_url, count, years):.1f} s")  # fmt: skip
        lite = measure(lite_url, runs)
        postgres = measure(pg_url, runs)
        server.drop_database(pg_url)
    report(lite, postgres)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--years", type=int, nargs="+", default=[100, 8])
    args = parser.parse_args()
    missing = available()
    if missing:
        sys.exit(f"no PostgreSQL server: {missing}")
    print(f"month selection out of {args.items} items (target <= 10 ms)")
    server = PgServer()
    try:
        server.start()
        for years in args.years:
            bench(server, args.items, years, args.runs)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
