"""The environment of the enews processes a benchmark times."""

from __future__ import annotations

import os
import sys


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
