"""News page import benchmark: ``enews import URL`` as a whole process.

    .venv/bin/python benchmarks/bench_page.py [--items 100] [--runs 5]
        [--shape dom jsonld] [--src DIR]

Writes a news listing page of N blocks in the seed shape (a kind label, a
linked title, a date like "27 November 2020", a teaser, an image on every
other block; relative links), wrapped in a header, navigation, breadcrumbs,
pager, share links and footer. ``--shape jsonld`` adds an ItemList of
NewsArticles in JSON-LD (the path that loads extruct). The page is served
from a local HTTP server on 127.0.0.1 in this process; each run imports it
into a fresh workspace (``enews init`` before the clock starts) with
``.venv/bin/enews -w WS import URL`` as a separate process. Prints the
median wall time and CPU time (user + system) of the runs and the peak
memory (max RSS, os.wait4). Target: 100 items in at most 1 s, under 200 MB.

``--src DIR`` puts DIR first on PYTHONPATH, to time another copy of the
code the same way (see bench_feed.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench_feed import Run, run_once
from childenv import child_env

TARGET_S, TARGET_MB = 1.0, 200.0
KINDS = ("News", "Article", "ILO COOP 100 Interview")
NOISE_TOP = """<header class="site-header"><a href="/" class="logo">
<img src="/img/logo.svg" alt="Logo"></a><ul class="top-links">
<li><a href="/contact">Contact us</a></li><li><a href="/jobs">Jobs</a></li>
</ul></header>
<nav class="main-nav"><ul>{links}</ul></nav>
<div class="breadcrumbs"><a href="/">Home</a> &gt; <a href="/topics">Topics</a></div>
"""
NOISE_BOTTOM = """<ul class="pager"><li><a href="?page=2">2</a></li>
<li><a href="?page=2">Next page</a></li></ul>
<div class="share-this"><a href="https://twitter.com/intent/tweet">Share</a>
<a href="https://www.facebook.com/sharer">Share on Facebook</a></div></main>
<footer class="site-footer"><ul>{links}</ul></footer></body></html>
"""


def write_page(path: Path, items: int, shape: str) -> None:
    start = dt.date(2020, 11, 27)
    days = [start - dt.timedelta(days=3 * n) for n in range(items)]
    nav = "".join(f'<li><a href="/topic/{n}">Topic {n}</a></li>' for n in range(30))
    head = "<title>Cooperatives: news</title>"
    if shape == "jsonld":
        head += _json_ld(days)
    with path.open("w", encoding="utf-8") as out:
        out.write(f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">{head}')
        out.write("</head><body>" + NOISE_TOP.format(links=nav))
        out.write("<main><h1>Cooperatives: news and articles</h1><div class='list'>")
        for n, day in enumerate(days):
            out.write(_block(n, day))
        out.write("</div>" + NOISE_BOTTOM.format(links=nav))


def _block(n: int, day: dt.date) -> str:
    image = ""
    if n % 2 == 0:
        image = f'<img src="/media/{n}.jpg" alt="Cooperative members at meeting {n}">'
    return (
        f'<div class="content-list__item">{image}<p>{KINDS[n % 3]}</p>'
        f'<h3><a href="/news/WCMS_{700000 + n}/lang--en/index.htm">Cooperatives '
        f"story number {n}: members vote on the next step</a></h3>"
        f"<p>{day.day} {day.strftime('%B %Y')}</p>"
        f"<p>The cooperative movement in region {n} met this week to discuss "
        "jobs, housing and the social and solidarity economy.</p></div>\n"
    )


def _json_ld(days: list[dt.date]) -> str:
    elements = [
        {"@type": "ListItem", "position": n + 1, "item": {
            "@type": "NewsArticle",
            "headline": f"Cooperatives story number {n}: members vote on the next step",
            "url": f"/news/WCMS_{700000 + n}/lang--en/index.htm",
            "datePublished": day.isoformat(),
        }}
        for n, day in enumerate(days)
    ]  # fmt: skip
    data = {"@context": "https://schema.org", "@type": "ItemList",
            "itemListElement": elements}  # fmt: skip
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


@contextmanager
def serving(folder: Path) -> Iterator[str]:
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def bench(items: int, shape: str, runs: int, env: dict[str, str]) -> None:
    enews = str(Path(sys.executable).with_name("enews"))
    with tempfile.TemporaryDirectory() as tmp, serving(Path(tmp)) as url:
        write_page(Path(tmp) / "news.html", items, shape)
        size = (Path(tmp) / "news.html").stat().st_size / 1e3
        results: list[Run] = []
        for n in range(runs):
            workspace = Path(tmp) / f"ws{n}"
            subprocess.run([enews, "-w", str(workspace), "init"], env=env,
                           check=True, capture_output=True)  # fmt: skip
            command = [enews, "-w", str(workspace), "import", f"{url}/news.html"]
            results.append(run_once(command, env))
    seconds = statistics.median(r.seconds for r in results)
    cpu = statistics.median(r.cpu for r in results)
    peak = max(r.peak_mb for r in results)
    ok = seconds <= TARGET_S and peak <= TARGET_MB
    print(f"{items:>5} items, {shape:<6} ({size:.0f} kB): median {seconds:.2f} s wall "
          f"({cpu:.2f} s CPU) of {runs}, peak {peak:.0f} MB  target "
          f"{TARGET_S:g} s, {TARGET_MB:g} MB: {'ok' if ok else 'MISSED'}\n"
          f"        [{results[-1].line}]")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, nargs="+", default=[100])
    parser.add_argument("--shape", nargs="+", default=["dom", "jsonld"],
                        choices=["dom", "jsonld"])  # fmt: skip
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--src", help="a folder to put first on PYTHONPATH")
    args = parser.parse_args()
    env = child_env(args.src)
    print(f"enews import URL (a news page on 127.0.0.1), {args.runs} runs each")
    for items in args.items:
        for shape in args.shape:
            bench(items, shape, args.runs, env)


if __name__ == "__main__":
    main()
