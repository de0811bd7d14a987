"""A throw-away PostgreSQL server for the tests and benchmarks.

``PgServer`` runs the system's own ``initdb`` and ``pg_ctl`` (Debian's
``postgresql`` package) into a temporary folder, listening on a Unix socket
only, and stops it at the end. PostgreSQL refuses to run as root, so as root
the server runs as the ``postgres`` user the package creates.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

USER = "enews"
TEMPLATE = "enews_head"


def find_binary(name: str) -> str | None:
    """``initdb`` or ``pg_ctl``: on PATH, else in Debian's versioned folder."""
    found = shutil.which(name)
    if found:
        return found
    versions = Path("/usr/lib/postgresql").glob(f"*/bin/{name}")
    candidates = sorted(
        versions, key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0
    )
    return str(candidates[-1]) if candidates else None


def available() -> str | None:
    """Why no server can be started here, or None when one can."""
    if not (find_binary("initdb") and find_binary("pg_ctl")):
        return "PostgreSQL is not installed (Debian: apt-get install postgresql)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run the server"
    return None


class PgServer:
    """Start with ``start()``, make databases with ``new_database()``."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="enews-pg-"))
        self.data = self.folder / "data"
        self.socket_dir = self.folder / "s"
        self._names = itertools.count(1)
        self._run_as = _server_user()

    def start(self, setup: Callable[[str], None] | None = None) -> PgServer:
        """Start the server; ``setup(url)`` prepares the template database."""
        self.socket_dir.mkdir()
        if self._run_as is not None:
            uid, gid = self._run_as
            os.chown(self.folder, uid, gid)
            os.chown(self.socket_dir, uid, gid)
        self._pg(
            "initdb", "-D", str(self.data), "-U", USER, "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        options = (
            f"-k {self.socket_dir} -c listen_addresses='' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        self._pg(
            "pg_ctl", "-D", str(self.data), "-o", options, "-w", "-s",
            "-l", str(self.folder / "server.log"), "start",
        )  # fmt: skip
        self.admin(f"CREATE DATABASE {TEMPLATE}")
        if setup is not None:
            setup(self.url(TEMPLATE))
        return self

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{USER}@/{database}?host={self.socket_dir}"

    def new_database(self, *, empty: bool = False) -> str:
        """A new database, a copy of the template (at head) or empty; its URL."""
        name = f"t{os.getpid()}_{next(self._names)}"
        template = "template0" if empty else TEMPLATE
        self.admin(f"CREATE DATABASE {name} TEMPLATE {template}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        # From the parsed URL: its last "/" part is the socket folder's.
        name = make_url(url).database
        self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def admin(self, sql: str) -> None:
        engine = create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(sql))
        finally:
            engine.dispose()

    def stop(self) -> None:
        if self.data.exists():
            self._pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "-s", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def _pg(self, program: str, *args: str) -> None:
        binary = find_binary(program)
        assert binary, program
        kwargs: dict[str, object] = {}
        if self._run_as is not None:
            kwargs = {"user": self._run_as[0], "group": self._run_as[1]}
        result = subprocess.run(
            [binary, *args], capture_output=True, text=True, check=False, **kwargs
        )  # type: ignore[call-overload]
        if result.returncode != 0:
            log = self.folder / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{program} failed: {result.stderr}{tail}")


def _server_user() -> tuple[int, int] | None:
    if os.geteuid() != 0:
        return None
    entry = pwd.getpwnam("postgres")
    return entry.pw_uid, entry.pw_gid
