"""The enews processes a benchmark times: their environment, and one run."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Container


def child_env(src: str | None) -> dict[str, str]:
    """This environment without DATABASE_URL (each temporary workspace uses
    its own SQLite file), with ``src`` (another version's code, to compare
    against) first on PYTHONPATH here and in the children."""
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    if src:
        sys.path.insert(0, src)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (src, env.get("PYTHONPATH")) if p
        )
    return env


def timed_run(
    command: list[str], env: dict[str, str], ok: Container[int] = (0,)
) -> tuple[float, float, float, str]:
    """Run ``command``: its wall seconds, CPU seconds, peak memory (MB, from
    os.wait4) and output; exits naming the command if its status is not ok."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    if os.waitstatus_to_exitcode(status) not in ok:
        sys.exit(f"{' '.join(command)} failed:\n{text}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, text
