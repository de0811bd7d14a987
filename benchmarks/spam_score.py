"""SpamAssassin scores of built issues, with the shipped rules and local tests.

    .venv/bin/python benchmarks/spam_score.py [--items 80]

Builds the demo issue (the sample items) for every mailing-service profile,
and an issue of ``--items`` typical items (bench_build.py's ``fill``) with
the generic profile, each in a temporary workspace, and scores each
message.eml with ``spamassassin -L -t`` (Debian: apt-get install
spamassassin). Prints the score and the rules hit; the target is under 1.0.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_build import fill
from enews.compose.demo import load_demo
from enews.profiles import PROFILES
from enews.publish.build import build_issue, write_bundle
from enews.workspace import Workspace, init_workspace

RULE = re.compile(r"^\s*(-?\d+\.\d+)\s+([A-Z0-9_]+)\s", re.MULTILINE)


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


def score(eml: bytes) -> tuple[str, list[str]]:
    report = subprocess.run(
        ["spamassassin", "-L", "-t"], input=eml, capture_output=True, check=True
    ).stdout.decode("utf-8", "replace")
    total = re.search(r"Content analysis details:\s+\((-?[\d.]+) points", report)
    rules = [
        f"{name} {points}" for points, name in RULE.findall(report.split("----", 1)[-1])
    ]
    return (total[1] if total else "?"), rules


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=80)
    args = parser.parse_args()
    if shutil.which("spamassassin") is None:
        sys.exit("spamassassin is not installed (apt-get install spamassassin)")
    cases = [(f"demo, {p}", p, None) for p in PROFILES]
    cases.append((f"{args.items} items, generic", "generic", args.items))
    print(f"{'issue':<26} {'score':>6}  rules hit")
    for label, profile, items in cases:
        with tempfile.TemporaryDirectory() as tmp:
            points, rules = score(built_eml(Path(tmp) / "ws", profile, items))
        print(f"{label:<26} {points:>6}  {', '.join(rules)}")


if __name__ == "__main__":
    main()
