"""The client side of bench_server.py: load, CPU accounting and wrk.

``run_load`` is the open-loop load generator, run in a process of its own
(``bench_server.py --load PORT``): requests at exact intervals, each on a
pool thread, latencies timed from the scheduled start. ``cpu_sample`` and
``cpu_used`` read from /proc what the server, PostgreSQL, the client and
the rest of the machine used in between; ``closed_loop`` runs ``wrk``.
"""

from __future__ import annotations

import http.client
import os
import resource
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HOST = "127.0.0.1"
PREVIEW = "/issues/2020-10/preview.html"
WARMUP = 3.0  # seconds of load at the same rate before the measured window
WRK_SECONDS = 10
STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)
WRK_LUA = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local bad_total = 0
  for _, t in ipairs(threads) do bad_total = bad_total + t:get("bad") end
  local e = summary.errors
  io.write(string.format("RESULT %d %d %.3f %.3f %.3f %.3f %d %d\\n",
    summary.requests, summary.duration, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, bad_total, e.connect + e.read + e.write + e.timeout))
end
"""


# --- the load generator: a process of its own -------------------------------


def run_load(port: int, rate: float, duration: float, keep_alive: bool) -> dict:
    """Requests at exact intervals; latencies of the measured window."""
    cookie = os.environ["BENCH_COOKIE"]
    local = threading.local() if keep_alive else None
    first, total = round(WARMUP * rate), round((WARMUP + duration) * rate)
    start = time.perf_counter() + 0.2
    measured_from = start + first / rate
    pool = ThreadPoolExecutor(max_workers=200)
    futures, lag = [], 0.0
    for n in range(total):
        at = start + n / rate
        delay = at - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        lag = max(lag, -delay)
        futures.append((at, pool.submit(fetch, local, port, cookie)))
    results = [(at, future.result()) for at, future in futures]
    pool.shutdown()
    window = [(at, *result) for at, result in results[first:]]
    errors: dict[str, int] = {}
    for *_, error in window:
        if error:
            errors[error] = errors.get(error, 0) + 1
    return {
        "latencies": [done - at for at, _, done, _ in window],
        "from_send": [done - sent for _, sent, done, _ in window],
        "seconds": max(done for _, _, done, _ in window) - measured_from,
        "errors": errors,
        "lag": lag,
        "sent": total,
    }


def fetch(local, port: int, cookie: str) -> tuple[float, float, str | None]:
    """GET the preview: (time sent, time answered, error or None). With
    ``local`` (keep-alive) on this thread's connection, else on a new one."""
    sent = time.perf_counter()
    headers = {"Cookie": f"session={cookie}"}
    if local is None:
        headers["Connection"] = "close"
    for _attempt in range(2):
        conn = getattr(local, "conn", None)
        reused = conn is not None
        if local is not None:
            local.conn = None  # given back below if it stays usable
        conn = conn or http.client.HTTPConnection(HOST, port, timeout=30)
        try:
            conn.request("GET", PREVIEW, headers=headers)
            response = conn.getresponse()
            response.read()
        except (http.client.HTTPException, OSError) as exc:
            conn.close()
            if reused and isinstance(exc, STALE):
                continue  # the server closed an idle keep-alive connection
            return sent, time.perf_counter(), type(exc).__name__
        if local is not None and not response.will_close:
            local.conn = conn
        else:
            conn.close()
        error = None if response.status == 200 else f"HTTP {response.status}"
        return sent, time.perf_counter(), error
    return sent, time.perf_counter(), "RemoteDisconnected"


# --- CPU accounting and the closed loop ---------------------------------------


def tree_cpu(parent: int) -> dict[int, float]:
    """CPU seconds used so far by a process and by each of its children:
    gunicorn's master and workers, PostgreSQL's postmaster and backends."""
    used = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name == str(parent) or fields[1] == str(parent):
            ticks = int(fields[11]) + int(fields[12])  # utime + stime
            used[int(stat.parent.name)] = ticks / os.sysconf("SC_CLK_TCK")
    return used


def cpu_sample(servers: list[int]) -> tuple:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # finished children
    children = usage.ru_utime + usage.ru_stime
    trees = [tree_cpu(pid) for pid in servers] + [{}]  # no PostgreSQL: {}
    return time.perf_counter(), machine_ticks(), trees[:2], children


def cpu_used(before: tuple, after: tuple, master: int) -> dict:
    """Cores kept busy in between: the machine, gunicorn, PostgreSQL, the load
    generator (or wrk: the child that finished in between), everything else."""
    seconds = after[0] - before[0]
    machine = busy_share(before[1], after[1]) * (os.cpu_count() or 1)
    gunicorn, postgres = (
        {pid: cpu - a.get(pid, 0.0) for pid, cpu in b.items()}
        for a, b in zip(before[2], after[2], strict=True)
    )
    server, database = sum(gunicorn.values()), sum(postgres.values())
    client = after[3] - before[3]
    workers = [cpu for pid, cpu in gunicorn.items() if pid != master]
    return {
        "machine": machine,
        "server": server / seconds,
        "workers": sorted((cpu / seconds for cpu in workers), reverse=True),
        "database": database / seconds,
        "client": client / seconds,
        "other": max(0.0, machine - (server + database + client) / seconds),
        "server_seconds": server,
    }


def machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of all cores since boot, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    return (after[0] - before[0]) / max(1, after[1] - before[1])


def closed_loop(port: int, cookie: str, servers: list[int]) -> dict | None:
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    before = cpu_sample(servers)
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_LUA)
        script.flush()
        out = subprocess.run(
            [wrk, "-t2", "-c8", f"-d{WRK_SECONDS}s", "--latency", "-s", script.name,
             "-H", f"Cookie: session={cookie}", f"http://{HOST}:{port}{PREVIEW}"],
            capture_output=True, text=True, timeout=WRK_SECONDS + 60, check=True,
        ).stdout  # fmt: skip
    cpu = cpu_used(before, cpu_sample(servers), servers[0])
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    count, micros, p50, p95, p99, top, bad, sock = line.split()[1:]
    return {
        "rate": int(count) / (int(micros) / 1e6),
        "p50": float(p50), "p95": float(p95), "p99": float(p99), "max": float(top),
        "errors": int(bad) + int(sock), "cpu": cpu,
    }  # fmt: skip
