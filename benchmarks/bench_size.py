"""HTML size of an issue of typical items: the 90 KB target for 100 items.

    .venv/bin/python benchmarks/bench_size.py [--items 100]

Builds issues of 10 and of N typical items (kind, ~80-character title,
date, ~250-character summary, link: bench_build's items, all plain text)
for each bundled theme, with the Outlook-safe item markup and the "Read
more" links on (the defaults), and prints the HTML size, the bytes each
item adds (the slope between the two sizes) and the fixed bytes (header,
styles, footer). Gmail clips a message from about 102 KB; the mailing
service adds its tracking links, so enews aims at 90 KB.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench_build import fill
from enews.publish.build import build_issue
from enews.workspace import Workspace, init_workspace

KB = 1024


def html_bytes(root: Path, items: int, theme: str) -> int:
    init_workspace(root)
    (root / "enews.toml").write_text(f'theme = "{theme}"\n', encoding="utf-8")
    ws = Workspace(root)
    try:
        fill(ws, items, rich=0)
        with ws.transaction() as session:
            bundle = build_issue(
                session, "2020-10", settings=ws.settings, workspace=ws.root
            )
        return len(bundle.html.encode("utf-8"))
    finally:
        ws.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for theme in ("default", "bold"):
            small = html_bytes(Path(tmp, f"{theme}-10"), 10, theme)
            big = html_bytes(Path(tmp, f"{theme}-n"), args.items, theme)
            per_item = (big - small) / (args.items - 10)
            fixed = big - per_item * args.items
            verdict = "under" if big < 90 * KB else "OVER"
            print(
                f"{theme:8} {args.items} items: {big / KB:.1f} KB ({verdict} 90 KB); "
                f"{per_item:.0f} bytes per item, {fixed / KB:.1f} KB fixed"
            )


if __name__ == "__main__":
    main()
