"""Link unfurl benchmark: a pasted link read from a local HTTP server.

    .venv/bin/python benchmarks/bench_unfurl.py [--runs 5] [--src DIR]

Serves a realistic article page (~60 KB: navigation, a long body, Open
Graph, Twitter cards, JSON-LD NewsArticle with an ImageObject, a relative
image) from a ThreadingHTTPServer on 127.0.0.1, then measures

1. the library call, ``enews.collect.unfurl.unfurl(url)``, in this process
   (after a first call that imports extruct, as a running web worker has): the
   median of RUNS, the Python memory it allocates at its peak (tracemalloc:
   lxml's own C memory is not counted) and this process's max RSS after
   the runs. Target: at most 0.3 s.
2. the whole command, ``enews -w WS item add --from-url URL`` as a separate
   process per run (a fresh workspace each, its ``init`` not timed): median
   wall and CPU time, and peak memory (max RSS, from os.wait4). Target:
   200 MB.

``--src DIR`` puts DIR first on PYTHONPATH of the measured code, as in
bench_feed.py.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from childenv import child_env, timed_run

TARGET_S, TARGET_MB = 0.3, 200.0
PARAGRAPH = (
    "<p>Members of the <strong>Riverside Housing Co-operative</strong> voted on "
    "Tuesday to approve the second phase of the Mill Lane project: 24 homes "
    'with solar roofs, shared gardens and a community room. <a href="/news/{n}">'
    "Read the minutes</a> of meeting {n}.</p>\n"
)
HEAD = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Mill Lane phase two | News | Riverside Housing Co-operative</title>
<meta name="description" content="The co-operative approved phase two.">
<link rel="canonical" href="{origin}/news/mill-lane-phase-two">
<meta property="og:type" content="article">
<meta property="og:title" content="Members vote for 24 new homes at Mill Lane">
<meta property="og:description" content="Solar roofs, shared gardens and a room.">
<meta property="og:image" content="/media/mill-lane.jpg">
<meta property="og:image:alt" content="Drawing of the Mill Lane terraces">
<meta property="article:published_time" content="2020-11-27T09:30:00+01:00">
<meta name="twitter:card" content="summary_large_image">
<meta name="twitter:title" content="Members vote for 24 new homes">
<script type="application/ld+json">{{"@context": "https://schema.org",
 "@graph": [{{"@type": "WebPage", "name": "Mill Lane"}},
 {{"@type": "NewsArticle", "headline": "Members vote for 24 new homes",
   "datePublished": "2020-11-27T09:30:00+01:00",
   "image": {{"@type": "ImageObject", "url": "/media/mill-lane.jpg",
              "caption": "Drawing of the Mill Lane terraces"}}}}]}}</script>
<link rel="stylesheet" href="/style.css"></head><body>
<header><nav>{nav}</nav></header><main><article><h1>Members vote</h1>
"""


def article(origin: str) -> bytes:
    nav = "".join(f'<a href="/section/{n}">Section {n}</a> ' for n in range(60))
    body = "".join(PARAGRAPH.format(n=n) for n in range(200))
    foot = "</article></main><footer>" + nav + "</footer></body></html>\n"
    return (HEAD.format(origin=origin, nav=nav) + body + foot).encode()


def serve() -> tuple[ThreadingHTTPServer, str]:
    page: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page[0])))
            self.end_headers()
            self.wfile.write(page[0])

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    origin = f"http://127.0.0.1:{httpd.server_address[1]}"
    page.append(article(origin))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, origin


def bench_library(url: str, runs: int) -> None:
    from enews.collect.unfurl import unfurl

    started = time.perf_counter()
    unfurl(url)  # the first call imports extruct, as a new process does
    first = time.perf_counter() - started
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        found = unfurl(url)
        times.append(time.perf_counter() - started)
    tracemalloc.start()
    unfurl(url)
    peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    median = statistics.median(times)
    verdict = "ok" if median <= TARGET_S else "MISSED"
    print(f"library unfurl(url): median {median * 1000:.1f} ms of {runs} "
          f"(min {min(times) * 1000:.1f}), {peak_mb:.1f} MB allocated at peak, "
          f"max RSS {rss_mb:.0f} MB; target {TARGET_S:g} s: {verdict}\n"
          f"        first call (importing extruct) {first * 1000:.0f} ms\n"
          f"        [{found.kind}: {found.title} -> {found.url}]")  # fmt: skip


def bench_process(url: str, runs: int, env: dict[str, str]) -> None:
    enews = str(Path(sys.executable).with_name("enews"))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(runs):
            ws = str(Path(tmp) / f"ws{n}")
            subprocess.run([enews, "-w", ws, "init"], check=True, env=env,
                           capture_output=True)  # fmt: skip
            command = [enews, "-w", ws, "item", "add", "--from-url", url]
            results.append(run_once(command, env))
    seconds = statistics.median(r[0] for r in results)
    cpu = statistics.median(r[1] for r in results)
    peak = max(r[2] for r in results)
    what = "enews item add --from-url"
    verdict = "ok" if peak <= TARGET_MB else "MISSED"
    print(f"process {what}: median {seconds:.2f} s wall ({cpu:.2f} s CPU) "
          f"of {runs}, peak {peak:.0f} MB; target {TARGET_MB:g} MB: {verdict}\n"
          f"        [{results[-1][3]}]")  # fmt: skip


def run_once(
    command: list[str], env: dict[str, str]
) -> tuple[float, float, float, str]:
    seconds, cpu, peak, text = timed_run(command, env)
    return seconds, cpu, peak, text.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--src", help="a folder to put first on PYTHONPATH")
    args = parser.parse_args()
    env = child_env(args.src)
    httpd, origin = serve()
    url = f"{origin}/news/mill-lane"
    try:
        print(f"page {len(article(origin)) / 1000:.0f} KB from {origin}")
        bench_library(url, args.runs)
        bench_process(url, args.runs, env)
    finally:
        httpd.shutdown()
        httpd.server_close()


if __name__ == "__main__":
    main()
