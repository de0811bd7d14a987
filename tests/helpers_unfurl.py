"""What the unfurl tests share: the saved pages and a site on 127.0.0.1."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.localhttp import serving

PAGES = Path(__file__).parent / "data" / "unfurl"
# The saved pages name their own site so; the server puts its origin instead.
SITE = "http://news.example"
HTML = "text/html; charset=utf-8"


@dataclass
class Site:
    """127.0.0.1: the saved pages in any folder, redirects, pages, trickles."""

    origin: str = ""
    redirects: dict[str, str] = field(default_factory=dict)
    pages: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    trickle: set[str] = field(default_factory=set)


@pytest.fixture
def site() -> Iterator[Site]:
    served = Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path in served.redirects:
                self._send(HTML, b"", 301, served.redirects[self.path])
            elif self.path in served.trickle:
                self._trickle()
            elif self.path in served.pages:
                self._send(*served.pages[self.path])
            elif (PAGES / Path(self.path).name).is_file():
                body = (PAGES / Path(self.path).name).read_bytes()
                self._send(HTML, body.replace(SITE.encode(), served.origin.encode()))
            else:
                self._send("text/plain", b"not found", 404)

        def _send(self, kind: str, body: bytes, status=200, location=None, size=0):
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(size or len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _trickle(self):
            self._send(HTML, b"", size=1000)
            with contextlib.suppress(OSError):  # the client gives up: the point
                for _ in range(100):  # a byte every 0.1 s: 10 s in all
                    self.wfile.write(b" ")
                    time.sleep(0.1)

        def log_message(self, *args):
            pass

    with serving(Handler) as origin:
        served.origin = origin
        yield served
