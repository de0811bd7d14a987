"""Reference timings from the official Node tools: ``mjml`` and ``juice``.

The enews pipeline compiles MJML with mjml-python (Rust MRML) and inlines CSS
with premailer. This module runs the official npm packages -- the ``mjml``
compiler and the ``juice`` CSS inliner -- on the same MJML text, inside one Node
process (``benchmarks/node/reference.js``) so that Node start-up is not timed.

The npm packages are installed on demand into a cache folder outside the
repository (see :func:`cache_dir`). Every public function returns ``None`` and
prints one line to stderr instead of raising when Node, npm or the packages are
unavailable, so a benchmark can simply skip the comparison.

``run_reference`` times a number of iterations and reports medians;
``paired_reference`` keeps one warm Node process that runs one iteration per
call, so a benchmark can alternate with it sample by sample.

Manual use::

    python benchmarks/node_reference.py newsletter.mjml [--iterations 30]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

# Pinned major versions. mjml 5 is the current major line; juice 11 is the newest
# major that supports Node 20 (juice 12 declares "node": ">=22.12.0") and is the
# major that mjml 5 itself depends on.
MJML_SPEC = "mjml@5"
JUICE_SPEC = "juice@11"
_PACKAGES: tuple[tuple[str, str], ...] = (("mjml", MJML_SPEC), ("juice", JUICE_SPEC))

REFERENCE_JS = Path(__file__).resolve().parent / "node" / "reference.js"

INSTALL_TIMEOUT_S = 900.0
RUN_TIMEOUT_S = 1800.0


def _warn(message: str) -> None:
    """Print ``message`` to stderr as a single line."""
    text = " ".join(message.split())
    print(f"node_reference: {text}", file=sys.stderr)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def cache_dir() -> Path:
    """Folder (outside the repository) holding the npm install.

    ``$ENEWS_BENCH_CACHE`` if set and non-empty, else ``~/.cache/enews-bench/node``.
    """
    override = os.environ.get("ENEWS_BENCH_CACHE", "").strip()
    if override:
        return Path(override).expanduser()
    return Path.home() / ".cache" / "enews-bench" / "node"


def _installed_version(node_modules: Path, name: str) -> str | None:
    try:
        meta = json.loads((node_modules / name / "package.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    version = meta.get("version") if isinstance(meta, dict) else None
    return version if isinstance(version, str) else None


def _is_installed(node_modules: Path) -> bool:
    """True if every pinned package is present with the pinned major version."""
    for name, spec in _PACKAGES:
        version = _installed_version(node_modules, name)
        wanted_major = spec.rpartition("@")[2]
        if version is None or version.split(".")[0] != wanted_major:
            return False
    return True


def ensure_installed() -> Path | None:
    """Install ``mjml`` and ``juice`` into :func:`cache_dir` if needed.

    Returns the ``node_modules`` path, or ``None`` (with one line on stderr) when
    ``node``/``npm`` are not on PATH or the install fails. Never raises.
    """
    if shutil.which("node") is None:
        _warn("skipping Node reference: 'node' is not on PATH")
        return None
    npm = shutil.which("npm")
    if npm is None:
        _warn("skipping Node reference: 'npm' is not on PATH")
        return None

    prefix = cache_dir()
    node_modules = prefix / "node_modules"
    if _is_installed(node_modules):
        return node_modules

    cmd = [
        npm,
        "install",
        "--prefix",
        str(prefix),
        "--no-audit",
        "--no-fund",
        "--silent",
        *(spec for _, spec in _PACKAGES),
    ]
    try:
        prefix.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_S,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        _warn(f"npm install timed out after {INSTALL_TIMEOUT_S:.0f}s in {prefix}")
        return None
    except OSError as exc:
        _warn(f"npm install could not run in {prefix}: {exc}")
        return None
    if proc.returncode != 0:
        # --silent usually leaves nothing to quote; then say how to see the cause.
        detail = _last_line(proc.stderr) or _last_line(proc.stdout)
        if not detail:
            shown = " ".join(arg for arg in cmd[1:] if arg != "--silent")
            detail = f"no output; run 'npm {shown}' to see why"
        _warn(f"npm install failed (exit {proc.returncode}) in {prefix}: {detail}")
        return None
    if not _is_installed(node_modules):
        _warn(f"npm install finished but mjml/juice are missing in {node_modules}")
        return None
    return node_modules


def run_reference(mjml_text: str, iterations: int = 30) -> dict[str, object] | None:
    """Time ``mjml`` + ``juice`` on ``mjml_text`` in one Node process.

    Returns the JSON object printed by ``benchmarks/node/reference.js``
    (``mjml_ms``, ``juice_ms``, ``total_ms`` medians, ``html_bytes``,
    ``mjml_version``, ``juice_version``, ``iterations``), or ``None`` with one
    line on stderr on any failure.
    """
    if iterations < 1:
        _warn(f"iterations must be >= 1, got {iterations}")
        return None
    node_modules = ensure_installed()
    if node_modules is None:
        return None
    node = shutil.which("node")
    if node is None:  # pragma: no cover - checked by ensure_installed()
        _warn("skipping Node reference: 'node' is not on PATH")
        return None
    if not REFERENCE_JS.is_file():
        _warn(f"reference script not found: {REFERENCE_JS}")
        return None

    env = os.environ.copy()
    inherited = env.get("NODE_PATH")
    env["NODE_PATH"] = (
        f"{node_modules}{os.pathsep}{inherited}" if inherited else str(node_modules)
    )
    try:
        with tempfile.TemporaryDirectory(prefix="enews-node-ref-") as tmp:
            source = Path(tmp) / "input.mjml"
            source.write_text(mjml_text, encoding="utf-8")
            proc = subprocess.run(
                [node, str(REFERENCE_JS), str(source), str(iterations)],
                capture_output=True,
                text=True,
                encoding="utf-8",
                env=env,
                timeout=RUN_TIMEOUT_S,
                check=False,
                stdin=subprocess.DEVNULL,
            )
    except subprocess.TimeoutExpired:
        _warn(f"reference.js timed out after {RUN_TIMEOUT_S:.0f}s")
        return None
    except OSError as exc:
        _warn(f"could not run reference.js: {exc}")
        return None
    if proc.returncode != 0:
        detail = _last_line(proc.stderr) or "no output"
        _warn(f"reference.js failed (exit {proc.returncode}): {detail}")
        return None
    # The result is the last line; anything a package logged before it is ignored.
    try:
        result = json.loads(_last_line(proc.stdout))
    except ValueError:
        _warn(f"reference.js printed no JSON: {_last_line(proc.stdout)[:200]!r}")
        return None
    if not isinstance(result, dict):
        _warn("reference.js printed JSON that is not an object")
        return None
    return {str(key): value for key, value in result.items()}


@contextmanager
def paired_reference(mjml_text: str) -> Iterator[Callable[[], float] | None]:
    """A function timing one mjml + juice run (ms) in a warm Node process.

    For benchmarks that alternate with Node sample by sample, so that both
    sides of every ratio see the same moment of a machine whose speed drifts.
    Yields None (with one line on stderr) when Node or the packages are
    missing.
    """
    node_modules, node = ensure_installed(), shutil.which("node")
    if node_modules is None or node is None:
        yield None
        return
    env = {**os.environ, "NODE_PATH": str(node_modules)}
    with tempfile.TemporaryDirectory(prefix="enews-node-ref-") as tmp:
        source = Path(tmp) / "input.mjml"
        source.write_text(mjml_text, encoding="utf-8")
        with subprocess.Popen(
            [node, str(REFERENCE_JS), str(source), "paired"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        ) as proc:
            assert proc.stdin is not None and proc.stdout is not None
            stdin, stdout = proc.stdin, proc.stdout

            def once() -> float:
                stdin.write("\n")
                stdin.flush()
                for line in stdout:  # skip anything a package logs
                    if line.startswith("T "):
                        return float(line[2:])
                raise RuntimeError("reference.js stopped; see its error above")

            if _wait_ready(stdout):
                yield once
            else:
                _warn("reference.js did not start (see its error above)")
                yield None
            stdin.close()


def _wait_ready(stdout: IO[str]) -> bool:
    return any(line.strip() == "ready" for line in stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Time the official Node mjml + juice on an MJML file."
    )
    parser.add_argument("mjml_file", type=Path, help="MJML document to compile")
    parser.add_argument(
        "-n", "--iterations", type=int, default=30, help="timed runs (default 30)"
    )
    args = parser.parse_args(argv)
    try:
        mjml_text = args.mjml_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _warn(f"cannot read {args.mjml_file}: {exc}")
        return 1
    result = run_reference(mjml_text, args.iterations)
    if result is None:
        return 1
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
