"""Build-speed and size benchmark: enews against official mjml + juice.

    .venv/bin/python benchmarks/bench_build.py [--items 40] [--runs 50] [--pairs 200]

Builds an issue of N typical items (kind, ~80-character title, date,
~250-character summary, link; --rich of them with HTML summaries) from a
real SQLite file and prints the median time of each stage, of database to
HTML + text, and of the whole bundle (HTML, text, .eml and manifest), with
the HTML size and bytes per item.

When Node.js is present, the official ``mjml`` and ``juice`` packages
(installed into a cache folder outside the repository) compile and inline
MJML inside one Node process: first enews's own compact MJML, for context;
then a conventional one-section-per-item MJML of the same items, timed in
samples paired with enews runs (the 10x target). Finally it times
``enews --help`` as a whole process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from enews.compose.issues import draft_issue, set_fields
from enews.compose.items import add_item, make_draft
from enews.compose.view import load_issue_view
from enews.config import Settings
from enews.publish.build import build_issue
from enews.render.compiler import compile_mjml
from enews.render.inliner import inline_css
from enews.render.templates import render_mjml, render_text, template_dirs
from enews.workspace import Workspace, init_workspace
from node_reference import paired_reference, run_reference

KINDS = ("News", "News", "Article", "Interview")
SUMMARY = (
    "Savings and credit cooperatives from twelve countries met to compare how "
    "member deposits held up during the year, which digital services members "
    "actually used, and what regulators should change so that small rural "
    "cooperatives can offer mobile payments safely."
)


# What a feed entry's summary looks like: HTML with a link and a list. Such
# summaries are what premailer styles (the template's .rich rules).
RICH_SUMMARY = (
    "<p>Savings and credit cooperatives from twelve countries compared how "
    'member deposits held up; <a href="https://www.coopnews.example/report">the '
    "report</a> has the figures.</p><ul><li>Mobile payments for rural members"
    "</li><li>What regulators should change</li></ul>"
)


def fill(ws: Workspace, count: int, rich: float = 0.25) -> None:
    """``count`` typical items; a ``rich`` share of them with HTML summaries."""
    every = round(1 / rich) if rich else 0
    with ws.transaction() as session:
        for n in range(count):
            add_item(
                session,
                make_draft(
                    kind=KINDS[n % len(KINDS)],
                    title=f"Cooperative finance forum {n}: members debate deposit "
                    "guarantees and youth",
                    date=dt.date(2020, 10, n % 28 + 1),
                    url=f"https://www.coopnews.example/news/2020/10/forum-{n}",
                    summary=RICH_SUMMARY if every and n % every == 0 else SUMMARY,
                ),
            )
        draft_issue(session, "October issue", month="2020-10")
        set_fields(session, "2020-10", intro="Welcome to the October issue.")


def conventional_mjml(view) -> str:
    """The same items in a conventional MJML layout: one mj-section per item,
    styles in an inline mj-style. Only used to give the Node figures context
    (it is the kind of template the issue's ~65 ms reference was timed on)."""
    blocks = []
    for item in view.items:
        summary = "".join(f"<p>{p}</p>" for p in item.paragraphs)
        blocks.append(
            '<mj-section background-color="#ffffff"><mj-column>'
            f'<mj-text css-class="meta">{item.date}</mj-text>'
            '<mj-text css-class="title">'
            f'<a href="{item.url}">{item.title}</a></mj-text>'
            f'<mj-text css-class="summary">{summary}</mj-text>'
            f'<mj-button href="{item.url}" align="left">Read more</mj-button>'
            "</mj-column></mj-section>"
        )
    return (
        '<mjml lang="en"><mj-head><mj-title>October issue</mj-title>'
        "<mj-preview>Co-op news</mj-preview>"
        '<mj-attributes><mj-all font-family="Arial, sans-serif" /></mj-attributes>'
        '<mj-style inline="inline">.meta div { color: #4f5b66; font-size: 13px; } '
        ".title a { color: #1f5f8b; font-size: 18px; font-weight: bold; } "
        ".summary p { margin: 0 0 6px; font-size: 15px; line-height: 1.5; }</mj-style>"
        "<mj-style>@media (max-width: 480px) "
        "{ .title a { font-size: 17px !important; } }"
        '</mj-style></mj-head><mj-body background-color="#f3f5f7">'
        + "".join(blocks)
        + "</mj-body></mjml>"
    )


def median_ms(func: Callable[[], object], runs: int) -> float:
    func()  # warm-up: template compilation, CSS parse cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def help_ms(runs: int = 10) -> float:
    exe = Path(sys.executable).with_name("enews")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([str(exe), "--help"], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument(
        "--pairs", type=int, default=200,
        help="samples of Node paired with enews for the ratios [default: 200]",
    )  # fmt: skip
    parser.add_argument(
        "--rich", type=float, default=0.25,
        help="share of items with an HTML summary (0 to 1) [default: 0.25]",
    )  # fmt: skip
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        init_workspace(root)
        ws = Workspace(root)
        fill(ws, args.items, args.rich)
        settings, dirs = Settings(), template_dirs(None)
        factory = ws.sessions()

        def load():  # a fresh session each time: no identity-map shortcuts
            with factory() as session:
                return load_issue_view(session, "2020-10", settings)

        def html_and_text():  # issue 2's target: database to html + txt
            view = load()
            html = inline_css(
                compile_mjml(render_mjml(view, settings=settings, dirs=dirs))
            )
            return html, render_text(view, settings=settings, dirs=dirs)

        def whole():
            with factory() as session:
                return build_issue(
                    session, "2020-10", settings=settings, workspace=None
                )

        view = load()
        mjml = render_mjml(view, settings=settings, dirs=dirs)
        compiled = compile_mjml(mjml)
        stages = {
            "load (db -> view)": median_ms(load, args.runs),
            "render (jinja2 -> mjml)": median_ms(
                lambda: render_mjml(view, settings=settings, dirs=dirs), args.runs
            ),
            "compile (mjml-python)": median_ms(lambda: compile_mjml(mjml), args.runs),
            "inline (premailer)": median_ms(lambda: inline_css(compiled), args.runs),
            "text (jinja2)": median_ms(
                lambda: render_text(view, settings=settings, dirs=dirs), args.runs
            ),
        }
        stages["db -> html + txt"] = median_ms(html_and_text, args.runs)
        total = median_ms(whole, args.runs)
        bundle = whole()

        print(f"{args.rich:.0%} of the items have an HTML summary (--rich)")
        report(args.items, args.runs, stages, total, bundle)
        compare_with_node(mjml, args.runs, stages, total)
        paired(conventional_mjml(view), html_and_text, whole, args)
    print(f"enews --help as a process: {help_ms():.0f} ms median (target < 200 ms)")


def paired(reference_mjml, html_and_text, whole, args):
    """enews and Node on a conventional MJML of the same items, sample by sample.

    This shared 2-core machine drifts by 2x within seconds. Each sample is
    one Node run (mjml + juice, ~60 ms) right next to a burst of enews runs
    of about the same length, and the ratio is taken per sample: both sides
    see the same moment. Each side is timed warm, as in a loop: the first
    enews run after Node's (its caches evicted) is left out of the burst.
    """
    with paired_reference(reference_mjml) as node_once:
        if node_once is None:
            return
        for _ in range(10):  # warm-up on both sides
            node_once(), html_and_text(), whole()
        samples = [
            (node_once(), burst_ms(html_and_text), burst_ms(whole))
            for _ in range(args.pairs)
        ]
    node = [s[0] for s in samples]
    print(
        "mjml + juice on a conventional one-section-per-item MJML of the same "
        f"items, {args.pairs} samples paired with enews: "
        f"{statistics.median(node):.2f} ms median"
    )
    for index, label in ((1, "db -> html + txt"), (2, "whole bundle")):
        ratios = sorted(s[0] / s[index] for s in samples)
        low, high = ratios[len(ratios) // 4], ratios[3 * len(ratios) // 4]
        print(
            f"  enews {label:<17} {statistics.median(s[index] for s in samples):6.2f}"
            f" ms, {statistics.median(ratios):.1f}x faster "
            f"(middle half of the samples {low:.1f}x-{high:.1f}x)"
        )


def burst_ms(func: Callable[[], object], runs: int = 6) -> float:
    """Median of a short burst of runs, after one to warm the caches."""
    return median_ms(func, runs)


def report(items, runs, stages, total, bundle):
    size = len(bundle.html.encode("utf-8"))
    print(f"enews build of a {items}-item issue, median of {runs} runs")
    for name, ms in stages.items():
        print(f"  {name:<28}{ms:8.2f} ms")
    print(f"  {'whole bundle (db->html,txt,eml)':<28}{total:8.2f} ms")
    print(f"  html {size} bytes ({size / items:.0f} bytes/item), "
          f"text {len(bundle.text.encode('utf-8'))} bytes")  # fmt: skip


def compare_with_node(mjml, runs, stages, total):
    ref = run_reference(mjml, iterations=runs)
    if ref is None:
        return
    node = {key: float(str(ref[key])) for key in ("mjml_ms", "juice_ms", "total_ms")}
    print(f"official mjml {ref['mjml_version']} + juice {ref['juice_version']} "
          "in one Node process, same MJML")  # fmt: skip
    print(f"  mjml {node['mjml_ms']:.2f} ms, juice {node['juice_ms']:.2f} ms, "
          f"total {node['total_ms']:.2f} ms, html {ref['html_bytes']} B")  # fmt: skip
    ours = stages["compile (mjml-python)"] + stages["inline (premailer)"]
    # Context only: the compact MJML is already cheap for Node; the 10x
    # target is for the same items in a conventional layout (see paired()).
    print(f"  whole enews build: {node['total_ms'] / total:.1f}x faster")
    print(f"  compile + inline:  {node['total_ms'] / ours:.1f}x faster")


if __name__ == "__main__":
    main()
