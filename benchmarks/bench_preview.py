"""Preview refresh in the browser workspace, measured on the server side.

    .venv/bin/python benchmarks/bench_preview.py [--items 40] [--runs 50]

Each run does what the page does after an edit: POST a move (with the CSRF
token and the issue version), then GET the preview HTML, the plain text
and the check report that reload after it. Times are medians through
Flask's WSGI stack in-process (no socket, no browser), so they are the
server's share of the refresh. Target: the preview GET after an edit at
most 50 ms for a 40-item issue.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_build import fill
from enews.compose.issues import get_issue
from enews.web import create_app
from enews.workspace import Workspace, init_workspace

TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')
VERSION = re.compile(r'id="issue-version" name="version" value="(\d+)"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        init_workspace(root)
        ws = Workspace(root)
        fill(ws, args.items)
        report(measure(ws, args.runs), args.items, args.runs)


def measure(ws: Workspace, runs: int) -> dict[str, list[float]]:
    client = create_app(ws).test_client()
    page = client.get("/issues/2020-10").get_data(as_text=True)
    token = TOKEN.search(page)[1]  # type: ignore[index]
    version = int(VERSION.search(page)[1])  # type: ignore[index]
    with ws.transaction() as session:
        first = min(get_issue(session, "2020-10").entries, key=lambda e: e.position)
        moved, section = first.item_id, first.section
    size = sum(1 for e in get_entries(ws) if e == section)
    times: dict[str, list[float]] = {"edit": [], "html": [], "text": [], "check": []}
    headers = {"X-CSRFToken": token, "HX-Request": "true"}
    for run in range(runs + 3):  # three warm-up runs
        form = {"item_id": moved, "position": run % size + 1, "version": version}
        timed = _time(
            lambda form=form: client.post(
                "/issues/2020-10/move", data=form, headers=headers
            )
        )
        response, edit = timed
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        version = int(VERSION.search(response.get_data(as_text=True))[1])  # type: ignore[index]
        results = {"edit": edit}
        for name, url in (
            ("html", "/issues/2020-10/preview.html"),
            ("text", "/issues/2020-10/preview.txt"),
            ("check", "/issues/2020-10/check"),
        ):
            got, seconds = _time(lambda url=url: client.get(url))
            assert got.status_code == 200
            results[name] = seconds
        if run >= 3:
            for name, seconds in results.items():
                times[name].append(seconds)
    return times


def get_entries(ws: Workspace) -> list[str]:
    with ws.transaction() as session:
        return [e.section for e in get_issue(session, "2020-10").entries]


def _time(call):
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def report(times: dict[str, list[float]], items: int, runs: int) -> None:
    print(f"preview refresh, {items}-item issue, median of {runs} runs (ms)")
    labels = {
        "edit": "POST move (the edit)",
        "html": "GET preview.html",
        "text": "GET preview.txt",
        "check": "GET check report",
    }
    for name, label in labels.items():
        values = sorted(times[name])
        median = statistics.median(values) * 1000
        p95 = values[int(0.95 * (len(values) - 1))] * 1000
        print(f"  {label:<24} {median:7.1f}  (p95 {p95:.1f})")
    total = sum(statistics.median(times[n]) for n in ("edit", "html"))
    verdict = "meets" if statistics.median(times["html"]) <= 0.050 else "MISSES"
    print(f"  edit + preview            {total * 1000:7.1f}")
    print(f"target: preview at most 50 ms after an edit: {verdict}")


if __name__ == "__main__":
    sys.exit(main())
