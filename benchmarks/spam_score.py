"""SpamAssassin scores of built issues, with the shipped rules and local tests.

    .venv/bin/python benchmarks/spam_score.py [--items 80]

Builds the demo issue (the sample items) for every mailing-service profile,
and an issue of ``--items`` typical items (bench_build.py's ``fill``) with
the generic profile, each in a temporary workspace with the profile set in
its enews.toml, and scores each message.eml with the library's spam check
(``enews.publish.spamcheck``, ``spam_check``'s two steps: ``score_eml``
runs ``spamassassin -L -t``, ``as_check`` gives the status; Debian:
apt-get install spamassassin). Prints the score, the status (the target is
"pass": under 1.0), the seconds the run took and the rules hit.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_build import fill
from enews.compose.demo import load_demo
from enews.profiles import PROFILES
from enews.publish.build import build_issue, write_bundle
from enews.publish.spamcheck import as_check, score_eml
from enews.workspace import Workspace, init_workspace


def built_eml(root: Path, profile: str, items: int | None) -> bytes:
    init_workspace(root)
    toml = root / "enews.toml"
    toml.write_text(
        re.sub(r'(?m)^profile = ".*"$', f'profile = "{profile}"', toml.read_text())
    )
    ws = Workspace(root)
    if items is None:
        with ws.transaction() as session:
            load_demo(session)
    else:
        fill(ws, items)
    with ws.transaction() as session:
        bundle = build_issue(session, "2020-10", settings=ws.settings, workspace=root)
    folder = write_bundle(bundle, root / "issues")
    ws.close()
    return (folder / "message.eml").read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=80)
    args = parser.parse_args()
    if shutil.which("spamassassin") is None:
        sys.exit("spamassassin is not installed (apt-get install spamassassin)")
    cases = [(f"demo, {p}", p, None) for p in PROFILES]
    cases.append((f"{args.items} items, generic", "generic", args.items))
    print(f"{'issue':<22} {'score':>5} {'status':<6} {'run s':>5}  rules hit")
    worst = 0.0
    for label, profile, items in cases:
        with tempfile.TemporaryDirectory() as tmp:
            eml = built_eml(Path(tmp) / "ws", profile, items)
        started = time.perf_counter()
        report = score_eml(eml)
        seconds = time.perf_counter() - started
        status = as_check(report).status
        worst = max(worst, report.score)
        rules = ", ".join(f"{h.name} {h.points:+.1f}" for h in report.hits)
        print(f"{label:<22} {report.score:>5.1f} {status:<6} {seconds:>5.2f}  {rules}")
    print(f"highest score {worst:.1f} (target: under 1.0)")


if __name__ == "__main__":
    main()
