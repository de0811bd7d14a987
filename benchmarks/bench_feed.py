"""Feed import benchmark: ``enews import FEED --dry-run`` as a whole process.

    .venv/bin/python benchmarks/bench_feed.py [--entries 500 10000] [--runs 5]
        [--src DIR]

Writes a realistic RSS 2.0 feed of N entries (title, link, guid, pubDate,
an HTML description of ~600 characters, one or two categories, an image
enclosure on every third entry) into a temporary folder, then runs
``.venv/bin/enews -w TMPWS import FEED --dry-run`` RUNS times as a separate
process and prints, from os.wait4, the median wall time, the median CPU
time (user + system: what a loaded machine inflates least) and the peak
memory (max RSS) of those runs. Targets: 500 entries well under a second
(checked here as at most 1 s), 10,000 entries within 15 s and 200 MB.

``--src DIR`` puts DIR first on PYTHONPATH, to time another copy of the
code the same way, e.g. the last commit's:
``mkdir /tmp/old && git archive HEAD src | tar -x -C /tmp/old`` then
``--src /tmp/old/src``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple
from xml.sax.saxutils import escape

from childenv import child_env

TARGETS = {500: (1.0, None), 10_000: (15.0, 200.0)}  # entries: (seconds, MB)
CATEGORIES = ("News", "Housing", "Finance", "Events", "Interview")
DESCRIPTION = (
    "<p>Members of the <strong>Riverside Housing Co-operative</strong> voted "
    "on Tuesday to {verb} the {n}th phase of the Mill Lane project: "
    '<a href="https://riverside-housing.example/news/{n}">24 homes</a> with '
    "solar roofs, shared gardens and a community room.</p>"
    "<p>&ldquo;Everybody is a landlord and nobody is,&rdquo; said the chair. "
    "Rents stay at 60&nbsp;% of the market rate.</p>"
    "<ul><li>Planning: approved</li><li>Start: spring</li></ul>"
)


def write_feed(path: Path, entries: int) -> None:
    start = dt.datetime(2024, 10, 8, 10, 0, tzinfo=dt.UTC)
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>\n'
            "<title>Riverside Housing Co-operative</title>"
            "<link>https://riverside-housing.example/</link>"
            "<description>News for members</description>\n"
        )
        for n in range(entries):
            out.write(_item(n, start - dt.timedelta(hours=7 * n)))
        out.write("</channel></rss>\n")


def _item(n: int, when: dt.datetime) -> str:
    link = f"https://riverside-housing.example/news/{n}-mill-lane-phase"
    html = DESCRIPTION.format(verb=("approve", "fund", "start")[n % 3], n=n)
    categories = "".join(
        f"<category>{CATEGORIES[(n + k) % len(CATEGORIES)]}</category>"
        for k in range(1 + n % 2)
    )
    enclosure = ""
    if n % 3 == 0:
        enclosure = (
            f'<enclosure url="https://riverside-housing.example/media/{n}.jpg" '
            'length="182044" type="image/jpeg"/>'
        )
    # Half the descriptions escaped, half in CDATA, as real feeds mix them.
    body = f"<![CDATA[{html}]]>" if n % 2 else escape(html)
    return (
        f"<item><title>Mill Lane phase {n}: members vote on 24 new homes</title>"
        f'<link>{link}</link><guid isPermaLink="true">{link}</guid>'
        f"<pubDate>{when.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
        f"<dc:creator>Priya Natarajan</dc:creator>{categories}"
        f"<description>{body}</description>{enclosure}</item>\n"
    )


class Run(NamedTuple):
    seconds: float  # wall clock
    cpu: float  # user + system seconds of the process
    peak_mb: float  # its max RSS
    line: str  # the last line it printed


def run_once(command: list[str], env: dict[str, str]) -> Run:
    """One run of ``command`` as a child process, measured."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)  # already reaped
        out.seek(0)
        text = out.read().decode("utf-8", "replace").strip()
    if child.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{text}")
    cpu = usage.ru_utime + usage.ru_stime
    peak_mb = usage.ru_maxrss / 1024  # Linux: kilobytes
    return Run(seconds, cpu, peak_mb, text.splitlines()[-1])


def bench(entries: int, runs: int, env: dict[str, str]) -> None:
    enews = str(Path(sys.executable).with_name("enews"))
    with tempfile.TemporaryDirectory() as tmp:
        feed, workspace = Path(tmp) / "feed.xml", Path(tmp) / "ws"
        write_feed(feed, entries)
        workspace.mkdir()
        command = [enews, "-w", str(workspace), "import", str(feed), "--dry-run"]
        results = [run_once(command, env) for _ in range(runs)]
        size = feed.stat().st_size / 1e6
    seconds = statistics.median(r.seconds for r in results)
    cpu = statistics.median(r.cpu for r in results)
    peak = max(r.peak_mb for r in results)
    target_s, target_mb = TARGETS.get(entries, (None, None))
    verdict = ""
    if target_s is not None:
        ok = seconds <= target_s and (target_mb is None or peak <= target_mb)
        limits = f"{target_s:g} s" + (f", {target_mb:g} MB" if target_mb else "")
        verdict = f"  target {limits}: {'ok' if ok else 'MISSED'}"
    print(f"{entries:>6} entries ({size:.1f} MB): median {seconds:.2f} s wall "
          f"({cpu:.2f} s CPU) of {runs}, peak {peak:.0f} MB{verdict}\n"
          f"        [{results[-1].line}]")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, nargs="+", default=[500, 10_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--src", help="a folder to put first on PYTHONPATH")
    args = parser.parse_args()
    env = child_env(args.src)
    print(f"enews import FEED --dry-run, {args.runs} runs each"
          + (f" (code from {args.src})" if args.src else ""))  # fmt: skip
    for entries in args.entries:
        bench(entries, args.runs, env)


if __name__ == "__main__":
    main()
