"""Test-send speed: ``enews send-test`` of the demo issue to a local server.

    .venv/bin/python benchmarks/bench_send_test.py [--runs 5] [--calls 20] [--starttls]

Makes the demo workspace in a temporary folder, starts an aiosmtpd server
on 127.0.0.1 (with a trustme certificate for --starttls) and prints:

- the whole ``enews send-test 2020-10 --to ...`` process, median of --runs
  (the target: at most 0.5 s);
- the library call alone, in one process (build_issue + send_bundle_test),
  median of --calls, and its parts: the build, the check and message, SMTP.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from enews.compose.demo import DEMO_SLUG
from enews.publish.build import build_issue
from enews.publish.handoff import review
from enews.publish.sendtest import make_test_message, send_bundle_test, send_message
from enews.workspace import Workspace

ENEWS = Path(sys.executable).with_name("enews")
TO = "bench@example.org"


class Counter:
    """Takes every message and counts it."""

    def __init__(self) -> None:
        self.messages = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(starttls: bool, folder: Path) -> tuple[Controller, Counter, str]:
    """The server, its counter and the [smtp] table that reaches it."""
    counter = Counter()
    port = free_port()
    options: dict[str, Any] = {}
    table = f'[smtp]\nhost = "127.0.0.1"\nport = {port}\n'
    if starttls:
        import trustme

        ca = trustme.CA()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(context)
        ca.cert_pem.write_to_path(str(folder / "ca.pem"))
        options = {"tls_context": context, "require_starttls": True}
        table += 'security = "starttls"\nca_file = "ca.pem"\n'
    else:
        table += 'security = "none"\n'
    controller = Controller(counter, hostname="127.0.0.1", port=port, **options)
    controller.start()
    return controller, counter, table


def median_of(runs: int, work: Any) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--starttls", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        env = {**os.environ, "ENEWS_WORKSPACE": str(root)}
        env.pop("DATABASE_URL", None)
        subprocess.run([ENEWS, "demo"], env=env, check=True, capture_output=True)
        controller, counter, table = start_server(args.starttls, root)
        try:
            with (root / "enews.toml").open("a", encoding="utf-8") as config:
                config.write("\n" + table)
            command = [ENEWS, "send-test", DEMO_SLUG, "--to", TO]
            subprocess.run(command, env=env, check=True, capture_output=True)  # warm
            whole = median_of(
                args.runs,
                lambda: subprocess.run(
                    command, env=env, check=True, capture_output=True
                ),
            )
            library = library_times(root, args.calls)
        finally:
            controller.stop()
    kind = "STARTTLS" if args.starttls else "plain SMTP"
    print(f"server: aiosmtpd on 127.0.0.1, {kind}; {counter.messages} messages taken")
    median, worst = whole
    print(f"enews send-test (whole process): median {median:.3f} s, max {worst:.3f} s")
    for name, (median, worst) in library.items():
        print(f"  {name}: median {median * 1000:.1f} ms, max {worst * 1000:.1f} ms")


def library_times(root: Path, calls: int) -> dict[str, tuple[float, float]]:
    ws = Workspace(root)
    settings = ws.settings
    assert settings.smtp is not None
    smtp = settings.smtp
    try:

        def build() -> Any:
            with ws.transaction() as session:
                return build_issue(
                    session, DEMO_SLUG, settings=settings, workspace=root
                )

        def whole() -> None:
            result = send_bundle_test(
                build(), [TO], settings=settings, root=root, password=None
            ).result
            assert result.ok, result.problems()

        bundle = build()
        now = dt.datetime.now(dt.UTC)

        def message() -> bytes:
            review(bundle, settings)
            return make_test_message(bundle, settings, date=now, message_id="<b@x>")

        eml = message()
        ca = root / smtp.ca_file if smtp.ca_file else None

        def smtp_only() -> None:
            send_message(
                eml, [TO], smtp=smtp, sender=settings.sender_email, password=None,
                ca_file=ca,
            )  # fmt: skip

        whole()  # warm: templates loaded, connections made once
        return {
            "library call (build + check + message + SMTP)": median_of(calls, whole),
            "build_issue": median_of(calls, build),
            "checks + test message": median_of(calls, message),
            "SMTP session (connect, send, quit)": median_of(calls, smtp_only),
        }
    finally:
        ws.close()


if __name__ == "__main__":
    main()
