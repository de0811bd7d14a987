"""Held connections against ``enews serve``: threads, and a page meanwhile.

    .venv/bin/python benchmarks/bench_held_connections.py [--held 1000] [--runs 3]

Starts the workspace server in a process of its own, twice per run and
alternating: ``enews serve`` (enews.web.server.LocalServer: a 30 s idle
timeout and at most 64 connections) and, as the reference, the plain
threaded werkzeug server that ``enews serve`` used before (the same app,
``werkzeug.serving.make_server(threaded=True)``). Each time it opens
``--held`` TCP connections that send nothing (half-open clients, stuck
tabs), waits 2 s, reads the server's thread count from /proc, then times
one GET /issues on a fresh connection. It prints the medians per server.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PLAIN = """
import sys
from pathlib import Path
from werkzeug.serving import make_server
from enews.web import create_app
from enews.web.app import LOOPBACK_HOSTS
from enews.workspace import Workspace
app = create_app(Workspace(Path(sys.argv[1])), trusted_hosts=LOOPBACK_HOSTS)
server = make_server("127.0.0.1", 0, app, threaded=True)
print(f"on http://127.0.0.1:{server.port}/", file=sys.stderr, flush=True)
server.serve_forever()
"""


def start(kind: str, root: Path) -> tuple[subprocess.Popen[str], int]:
    if kind == "enews serve":
        cmd = [sys.executable, "-m", "enews", "-w", str(root), "serve", "--port", "0"]
    else:
        cmd = [sys.executable, "-c", PLAIN, str(root)]
    process = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    found = re.search(r"127\.0\.0\.1:(\d+)/", process.stderr.readline())
    assert found, "server did not start"
    return process, int(found[1])


def threads_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"Threads:\s+(\d+)", status)[1])  # type: ignore[index]


def one_run(kind: str, root: Path, held: int) -> tuple[int, float, str]:
    process, port = start(kind, root)
    socks: list[socket.socket] = []
    try:
        for _ in range(held):
            socks.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        time.sleep(2)
        threads = threads_of(process.pid)
        began = time.perf_counter()
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/issues", timeout=10
            ) as r:
                outcome = str(r.status)
        except OSError as exc:
            outcome = type(exc).__name__
        return threads, time.perf_counter() - began, outcome
    finally:
        for sock in socks:
            sock.close()
        process.terminate()
        process.wait(10)
        with contextlib.suppress(Exception):
            process.stderr.close()  # type: ignore[union-attr]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--held", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(
        resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.held)), hard)
    )
    kinds = ("enews serve", "plain werkzeug (before)")
    results: dict[str, list[tuple[int, float, str]]] = {k: [] for k in kinds}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        subprocess.run(
            [sys.executable, "-m", "enews", "-w", str(root), "init"], check=True
        )
        for _ in range(args.runs):
            for kind in kinds:  # alternating, so both see the same machine
                results[kind].append(one_run(kind, root, args.held))
    print(f"{args.held} held connections, {args.runs} runs each (medians)")
    print(f"{'server':<26} {'threads':>8} {'GET /issues':>12}  answers")
    for kind, rows in results.items():
        threads = statistics.median(r[0] for r in rows)
        seconds = statistics.median(r[1] for r in rows)
        answers = ",".join(r[2] for r in rows)
        print(f"{kind:<26} {threads:>8.0f} {seconds * 1000:>9.1f} ms  {answers}")


if __name__ == "__main__":
    main()
