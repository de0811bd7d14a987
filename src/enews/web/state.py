"""What the web app keeps between requests: the workspace and a file watch.

The watch fingerprints enews.toml and every template the build can read, so
the preview reloads when one changes (as ``mkdocs serve`` does) and the
settings are read again only then.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app

from enews.config import CONFIG_FILE, PACKAGED_TEMPLATES, Settings, load_settings
from enews.workspace import TEMPLATES_DIR, Workspace

POLL_SECONDS = 0.25


@dataclass
class WebState:
    ws: Workspace
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _settings: tuple[str, Settings] | None = field(default=None, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, repr=False)

    def watched(self) -> list[Path]:
        return [
            self.ws.root / CONFIG_FILE,
            self.ws.root / TEMPLATES_DIR,
            PACKAGED_TEMPLATES.resolve(),
        ]

    def stamp(self) -> str:
        """A fingerprint of every watched file's name, size and mtime."""
        digest = hashlib.blake2b(digest_size=8)
        for path in self.watched():
            for name, st in _stats(path):
                digest.update(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        return digest.hexdigest()

    def settings(self) -> Settings:
        """enews.toml (and the theme) as of now; ConfigError when broken."""
        stamp = self.stamp()
        with self._lock:
            if self._settings is None or self._settings[0] != stamp:
                self._settings = (stamp, load_settings(self.ws.root))
            return self._settings[1]

    def wait_for_change(self, since: str, timeout: float) -> str:
        """Block until the stamp differs from ``since``, ``timeout`` passes
        or the server stops."""
        deadline = time.monotonic() + timeout
        while (stamp := self.stamp()) == since and time.monotonic() < deadline:
            if self._stopping.wait(POLL_SECONDS):
                break
        return stamp

    def stop(self) -> None:
        """The server is closing: long polls answer now."""
        self._stopping.set()


def _stats(path: Path) -> list[tuple[str, os.stat_result]]:
    try:
        if not path.is_dir():
            return [(str(path), path.stat())]
    except FileNotFoundError:
        return []
    found = []
    for folder, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            full = os.path.join(folder, name)  # noqa: PTH118 - os.walk speaks str
            try:
                found.append((full, os.stat(full)))  # noqa: PTH116
            except FileNotFoundError:  # removed while we looked
                continue
    return found


def state() -> WebState:
    web_state: WebState = current_app.extensions["enews"]
    return web_state
