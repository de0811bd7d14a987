"""Live link check benchmark: ``enews check SLUG --links`` on 80 links.

    .venv/bin/python benchmarks/bench_linkcheck.py [--links 80] [--runs 5]
        [--latency 0.1] [--src DIR]

Builds an October issue whose 80 items link to a ThreadingHTTPServer on
127.0.0.1 (72 answer 200, 4 redirect to a 200, 4 answer 404), then runs the
whole command, ``enews -w WS check 2020-10 --links --fresh``, as a separate
process RUNS times: median wall and CPU time, peak memory (max RSS, from
os.wait4), and how many requests the server saw. The server answers at
once, then again after --latency seconds a request (a distant server's
round trip). Last, one run without --fresh: the answers of the cache, no
request. Targets: at most 3 s and 200 MB.

``--src DIR`` puts DIR first on PYTHONPATH of the measured code.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from childenv import child_env, timed_run

TARGET_S, TARGET_MB = 3.0, 200.0


class Server(ThreadingHTTPServer):
    request_queue_size = 128  # eight connections at once, never refused
    daemon_threads = True
    latency = 0.0
    requests = 0


class Handler(BaseHTTPRequestHandler):
    server: Server

    def do_HEAD(self) -> None:
        self.server.requests += 1  # one thread at a time per +=: close enough
        time.sleep(self.server.latency)
        path = self.path.partition("?")[0]
        if path.startswith("/moved/"):
            self.send_response(301)
            self.send_header("Location", path.replace("/moved/", "/news/"))
        else:
            self.send_response(404 if path.startswith("/gone/") else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def serve() -> tuple[Server, str]:
    httpd = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


def make_workspace(root: Path, origin: str, links: int) -> None:
    from enews.compose.issues import draft_issue
    from enews.compose.items import add_item, make_draft
    from enews.publish.build import build_issue, write_bundle
    from enews.workspace import Workspace, init_workspace

    init_workspace(root)
    ws = Workspace(root)
    with ws.transaction() as session:
        for n in range(links):
            folder = "gone" if n % 20 == 7 else "moved" if n % 20 == 13 else "news"
            add_item(
                session,
                make_draft(
                    kind=("News", "Article", "Interview")[n % 3],
                    title=f"Cooperative forum {n}: members debate deposit guarantees",
                    date=dt.date(2020, 10, n % 28 + 1),
                    url=f"{origin}/{folder}/2020/10/forum-{n}",
                    summary="Delegates met to discuss cooperative finance.",
                ),
            )
        draft_issue(session, "October issue", month="2020-10")
        bundle = build_issue(session, "2020-10", settings=ws.settings, workspace=root)
    write_bundle(bundle, ws.issues_dir)
    ws.close()


def run_once(
    command: list[str], env: dict[str, str]
) -> tuple[float, float, float, str]:
    seconds, cpu, peak, text = timed_run(command, env, ok=(0, 1))  # 1: broken links
    live = next((line for line in text.splitlines() if line.startswith("Live")), text)
    return seconds, cpu, peak, live


def bench(httpd: Server, command: list[str], env: dict[str, str], runs: int) -> None:
    before = httpd.requests
    results = [run_once(command, env) for _ in range(runs)]
    seconds = statistics.median(r[0] for r in results)
    cpu = statistics.median(r[1] for r in results)
    peak = max(r[2] for r in results)
    asked = (httpd.requests - before) / runs
    verdict = "ok" if seconds <= TARGET_S and peak <= TARGET_MB else "MISSED"
    print(f"  {' '.join(command[3:])}, server latency {httpd.latency * 1000:.0f} ms: "
          f"median {seconds:.2f} s wall ({cpu:.2f} s CPU) of {runs} "
          f"(min {min(r[0] for r in results):.2f}), peak {peak:.0f} MB, "
          f"{asked:.0f} requests a run; target {TARGET_S:g} s, "
          f"{TARGET_MB:g} MB: {verdict}\n"
          f"        [{results[-1][3]}]")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=80)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--src", help="a folder to put first on PYTHONPATH")
    args = parser.parse_args()
    env = child_env(args.src)
    httpd, origin = serve()
    enews = str(Path(sys.executable).with_name("enews"))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "ws"
            make_workspace(root, origin, args.links)
            command = [enews, "-w", str(root), "check", "2020-10", "--links"]
            print(f"{args.links} item links to {origin}, whole process:")
            for latency in (0.0, args.latency):
                httpd.latency = latency
                bench(httpd, [*command, "--fresh"], env, args.runs)
            bench(httpd, command, env, args.runs)  # from the cache
    finally:
        httpd.shutdown()
        httpd.server_close()


if __name__ == "__main__":
    main()
