"""Preview requests through gunicorn: a fixed-rate load from loopback.

    .venv/bin/python benchmarks/bench_server.py [--workers 4] [--rate 50]
        [--duration 20] [--db sqlite|postgresql] [--threads 2] [--keep-alive]

Fills a temporary workspace with a 40-item issue 2020-10 (bench_build.py's
``fill``) and an account, on SQLite or on a throw-away PostgreSQL database
(tests/pgserver.py); without ``--db`` it runs both, one after the other.
It starts the production entry point ``enews.web.wsgi:app`` under
``gunicorn --worker-class gthread`` on 127.0.0.1, signs in, and then:

- an open-loop load from a separate process (this script with ``--load``):
  GET /issues/2020-10/preview.html at exact intervals (``--rate`` per
  second for ``--duration`` seconds after a 3 s warm-up), each handed to a
  pool of up to 200 threads, so slow answers never delay the next request.
  Each request comes on a new connection, as from many browsers, so the
  workers share the load; with ``--keep-alive`` each thread keeps its
  connection, and gthread keeps a connection on the worker that accepted
  it: the load of one client sits on one or two workers. Each latency runs
  from the scheduled start, so a server that falls behind cannot hide it
  (no coordinated omission); a non-200 answer or a socket error is an error;
- with ``wrk`` (Debian: apt-get install wrk), a closed-loop run of
  8 connections for 10 s: the throughput ceiling, i.e. the headroom.

It also times one preview in-process (Flask test client, no socket) and
reads from /proc the CPU that gunicorn (per worker), PostgreSQL, the load
generator and everything else on the machine used meanwhile. On a shared
2-core machine other processes take CPU from both sides: the generator's
schedule lag and the 95th percentile from the moment each request was
really sent tell a starved load generator from a slow server.
Target: 50 previews/s of a 40-item issue with 4 workers on 2 cores, 95th
percentile at most 200 ms, no errors. Needs gunicorn (pip install gunicorn).
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from bench_build import fill
from enews.store import accounts as users
from enews.store import db
from enews.web import create_app
from enews.workspace import Workspace, init_workspace
from server_load import (
    HOST,
    PREVIEW,
    WARMUP,
    closed_loop,
    cpu_sample,
    cpu_used,
    run_load,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.pgserver import PgServer, available

ITEMS = 40
USER = "bench"
LOG_ERROR = re.compile(r"\[(?:ERROR|CRITICAL)\]|Traceback")
TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')


# --- the server under test ---------------------------------------------------


def make_workspace(root: Path, url: str, password: str) -> float:
    """Workspace with the issue and an account; in-process preview ms."""
    init_workspace(root)
    ws = Workspace(root, db_url=url)
    try:
        fill(ws, ITEMS)
        with ws.transaction() as session:
            users.add_user(session, USER, password)
        return inprocess_ms(ws)
    finally:
        ws.close()


def inprocess_ms(ws: Workspace, runs: int = 30) -> float:
    """Median GET of the preview through Flask, no socket, no sign-in."""
    client = create_app(ws, require_signin=False).test_client()
    times = []
    for n in range(runs + 3):
        begin = time.perf_counter()
        response = client.get(PREVIEW)
        if n >= 3:
            times.append(time.perf_counter() - begin)
        assert response.status_code == 200, response.status_code
    return statistics.median(times) * 1000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_gunicorn(root: Path, url: str | None, args, log) -> tuple:
    port = free_port()
    env = dict(os.environ, ENEWS_WORKSPACE=str(root))
    env["ENEWS_SECRET_KEY"] = secrets.token_hex(32)
    env.pop("DATABASE_URL", None)
    if url:
        env["DATABASE_URL"] = url
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(args.workers),
        "--worker-class", "gthread", "--threads", str(args.threads),
        "--bind", f"{HOST}:{port}", "--log-level", "warning",
        "enews.web.wsgi:app",
    ]  # fmt: skip
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 30
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            if get(port, "/signin").status == 200:
                return proc, port
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.2)
    stop(proc)
    tail = Path(log.name).read_text()[-2000:]
    raise RuntimeError(f"gunicorn did not answer within 30 s:\n{tail}")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def get(port: int, path: str, cookie: str | None = None):
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request(
            "GET", path, headers={"Cookie": f"session={cookie}"} if cookie else {}
        )
        response = conn.getresponse()
        response.body = response.read()
        return response
    finally:
        conn.close()


def session_cookie(response) -> str | None:
    jar = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return jar["session"].value if "session" in jar else None


def sign_in(port: int, password: str) -> str:
    page = get(port, "/signin")
    token = TOKEN.search(page.body.decode())[1]  # type: ignore[index]
    form = urlencode({"name": USER, "password": password, "csrf_token": token})
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"session={session_cookie(page)}",
    }
    try:
        conn.request("POST", "/signin", form, headers)
        response = conn.getresponse()
        response.read()
    finally:
        conn.close()
    assert response.status == 303, response.status
    cookie = session_cookie(response)
    assert cookie
    check = get(port, PREVIEW, cookie)
    assert check.status == 200, check.status
    assert f"forum {ITEMS - 1}:".encode() in check.body, "not the 40-item preview"
    return cookie


def warm_up(port: int, cookie: str) -> None:
    """Concurrent requests on new connections, so that every worker has
    imported, compiled its templates and connected before the load."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: get(port, PREVIEW, cookie), range(48)))


def postmaster(server: PgServer) -> int:
    return int((server.data / "postmaster.pid").read_text().split()[0])


def fixed_rate(port: int, cookie: str, servers: list[int], args) -> dict:
    command = [sys.executable, __file__, "--load", str(port), "--rate",
               str(args.rate), "--duration", str(args.duration),
               *(["--keep-alive"] if args.keep_alive else [])]  # fmt: skip
    before = cpu_sample(servers)
    done = subprocess.run(
        command,
        env=dict(os.environ, BENCH_COOKIE=cookie),
        capture_output=True,
        text=True,
        timeout=WARMUP + args.duration + 120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout)
    result["cpu"] = cpu_used(before, cpu_sample(servers), servers[0])
    return result


def bench(backend: str, server: PgServer | None, args) -> dict:
    password = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        url = server.new_database() if server else None
        inproc = make_workspace(root, url or db.default_url(root), password)
        with (Path(tmp) / "gunicorn.log").open("w") as log:
            proc, port = start_gunicorn(root, url, args, log)
            try:
                cookie = sign_in(port, password)
                warm_up(port, cookie)
                print(f"  {backend}: gunicorn on :{port}, load {args.rate}/s "
                      f"for {args.duration} s ...", flush=True)  # fmt: skip
                servers = [proc.pid, *([postmaster(server)] if server else [])]
                result = {
                    "inproc": inproc,
                    "load": fixed_rate(port, cookie, servers, args),
                    "wrk": closed_loop(port, cookie, servers),
                }
            finally:
                stop(proc)
            result["log_errors"] = len(LOG_ERROR.findall(Path(log.name).read_text()))
    return result


# --- the report ----------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def summary(result: dict) -> dict[str, str]:
    load, cpu = result["load"], result["load"]["cpu"]
    lat = [x * 1000 for x in load["latencies"]]
    sent = [x * 1000 for x in load["from_send"]]
    server_ms = cpu["server_seconds"] / load["sent"] * 1000
    rows = {
        "in-process GET preview (median)": f"{result['inproc']:.1f} ms",
        "fixed rate: requests measured": str(len(lat)),
        "  achieved rate": f"{len(lat) / load['seconds']:.1f}/s",
        "  p50 latency": f"{percentile(lat, 0.50):.1f} ms",
        "  p95 latency": f"{percentile(lat, 0.95):.1f} ms",
        "  p99 latency": f"{percentile(lat, 0.99):.1f} ms",
        "  max latency": f"{max(lat):.1f} ms",
        "  errors": str(sum(load["errors"].values())) + _kinds(load["errors"]),
        "  server log errors": str(result["log_errors"]),
        "  gunicorn CPU per request": f"{server_ms:.1f} ms",
        "  load generator schedule lag": f"max {load['lag'] * 1000:.1f} ms",
        "  p95 from actual send": f"{percentile(sent, 0.95):.1f} ms",
        **cpu_rows(cpu, "load generator"),
    }
    wrk = result["wrk"]
    if wrk:
        rows["wrk -c8 closed loop: rate"] = f"{wrk['rate']:.1f}/s"
        for key in ("p50", "p95", "p99", "max"):
            rows[f"  {key} latency "] = f"{wrk[key]:.1f} ms"
        rows["  non-200 + socket errors"] = str(wrk["errors"])
        rows.update({f"{k} ": v for k, v in cpu_rows(wrk["cpu"], "wrk").items()})
    return rows


def cpu_rows(cpu: dict, client: str) -> dict[str, str]:
    return {
        f"  CPU busy, cores of {os.cpu_count()}": f"{cpu['machine']:.2f}",
        "    gunicorn": f"{cpu['server']:.2f}",
        "      each worker": " ".join(f"{x:.2f}" for x in cpu["workers"]),
        "    PostgreSQL server": f"{cpu['database']:.2f}",
        f"    {client}": f"{cpu['client']:.2f}",
        "    other processes": f"{cpu['other']:.2f}",
    }


def _kinds(errors: dict[str, int]) -> str:
    return f" ({', '.join(f'{k}: {v}' for k, v in errors.items())})" if errors else ""


def verdict(result: dict, args) -> tuple[bool, str]:
    load = result["load"]
    lat = load["latencies"]
    p95 = percentile(lat, 0.95) * 1000
    rate = len(lat) / load["seconds"]
    errors = sum(load["errors"].values()) + result["log_errors"]
    ok = rate >= 0.98 * args.rate and p95 <= 200 and errors == 0
    return ok, f"{rate:.1f}/s, p95 {p95:.1f} ms, {errors} errors"


def report(results: dict[str, dict], args) -> None:
    cores = os.cpu_count()
    print(f"\npreview of a {ITEMS}-item issue through gunicorn, {args.workers} "
          f"workers x {args.threads} threads (gthread), {cores} cores, "
          f"{args.rate}/s for {args.duration} s from loopback")  # fmt: skip
    how = "kept-alive connections" if args.keep_alive else "a new connection each"
    print(f"fixed-rate requests on {how}; wrk: 8 kept-alive connections")
    tables = {name: summary(result) for name, result in results.items()}
    print(f"  {'':<34}" + "".join(f"{name:>20}" for name in tables))
    for row in next(iter(tables.values())):
        print(f"  {row:<34}" + "".join(f"{t[row]:>20}" for t in tables.values()))
    if not shutil.which("wrk"):
        print("  (no wrk: the closed-loop run needs it; Debian: apt-get install wrk)")
    for name, result in results.items():
        ok, figures = verdict(result, args)
        print(f"target: {args.rate} previews/s, p95 <= 200 ms, no errors, on "
              f"{name}: {'meets' if ok else 'MISSES'} ({figures})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--db", choices=["sqlite", "postgresql"])
    parser.add_argument(
        "--keep-alive",
        action="store_true",
        help="reuse connections (one client: they stay on a worker or two)",
    )
    parser.add_argument("--load", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        print(
            json.dumps(run_load(args.load, args.rate, args.duration, args.keep_alive))
        )
        return
    backends = [args.db] if args.db else ["sqlite", "postgresql"]
    missing = available() if "postgresql" in backends else None
    if missing:
        print(f"skipping PostgreSQL: {missing}")
        backends.remove("postgresql")
        if not backends:
            sys.exit(1)
    results: dict[str, dict] = {}
    server = None
    try:
        for backend in backends:
            if backend == "postgresql":
                server = PgServer()
                server.start(migrate)
            results[backend] = bench(backend, server, args)
    finally:
        if server is not None:
            server.stop()
    report(results, args)


def migrate(url: str) -> None:
    engine = db.make_engine(url)
    db.ensure_schema(engine)
    engine.dispose()


if __name__ == "__main__":
    main()
