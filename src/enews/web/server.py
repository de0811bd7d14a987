"""The workspace's own HTTP server, as ``enews serve`` runs it.

Werkzeug's threaded server with the limits a long-running local server
needs: a connection that sends nothing for ``idle_seconds`` is closed (a
half-open or forgotten keep-alive connection no longer holds a thread
forever), at most ``max_connections`` are open at once (at the cap, the one
idle the longest is ended for a new one; when none is idle, the new one
gets a 503 at once instead of a thread), and ``close`` ends the live-reload
long polls and waits for the requests in flight, so no request thread still
uses the database after the workspace is closed.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from enews.web.state import WebState

IDLE_SECONDS = 30.0
MAX_CONNECTIONS = 64
CLOSE_GRACE_SECONDS = 10.0  # for a build in flight to finish on Ctrl+C
EVICT_WAIT_SECONDS = 1.0  # for an ended idle connection's thread to let go
BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\nRetry-After: 5\r\n"
    b"Connection: close\r\nContent-Length: 43\r\n\r\n"
    b"enews serve: too many connections, retry.\r\n"
)


@dataclass
class _Connection:
    thread: threading.Thread
    idle_since: float | None  # None while the app answers a request


class _Handler(WSGIRequestHandler):
    """Werkzeug's handler, telling the server when a connection is idle:
    waiting for (or receiving) a request head, as opposed to in the app."""

    server: LocalServer

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.idle_seconds)  # on every read

    def handle_one_request(self) -> None:
        self.server.mark(self.connection, idle=True)
        super().handle_one_request()

    def run_wsgi(self) -> None:
        self.server.mark(self.connection, idle=False)
        super().run_wsgi()


class LocalServer(ThreadedWSGIServer):
    """One thread per connection, bounded in number and in idle time."""

    def __init__(
        self,
        host: str,
        port: int,
        app: Flask,
        *,
        idle_seconds: float = IDLE_SECONDS,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        super().__init__(host, port, app, _Handler)
        self.idle_seconds = idle_seconds
        self._state: WebState = app.extensions["enews"]
        self._slots = threading.BoundedSemaphore(max_connections)
        self._open: dict[socket.socket, _Connection] = {}
        self._lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._free_a_slot():
            _refuse(request)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:  # the thread never started: give its slot back
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._lock:
            self._open[request] = _Connection(
                threading.current_thread(), time.monotonic()
            )
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._lock:
                self._open.pop(request, None)
            self._slots.release()

    def mark(self, sock: socket.socket, *, idle: bool) -> None:
        with self._lock:
            if sock in self._open:
                self._open[sock].idle_since = time.monotonic() if idle else None

    def _free_a_slot(self) -> bool:
        """A slot for a new connection; at the cap, the connection idle the
        longest is ended for it (a browser opens a new one when it needs
        to), so held connections cannot lock the workspace out."""
        if self._slots.acquire(blocking=False):
            return True
        with self._lock:
            idle = [(c.idle_since, s) for s, c in self._open.items() if c.idle_since]
        if idle:
            _end_reading(min(idle, key=lambda pair: pair[0])[1])
        return self._slots.acquire(timeout=EVICT_WAIT_SECONDS)

    def open_connections(self) -> int:
        with self._lock:
            return len(self._open)

    def close(self, grace: float = CLOSE_GRACE_SECONDS) -> None:
        """Stop serving: end long polls and idle connections, let requests in
        flight answer (up to ``grace`` seconds), then close the socket.
        Call it from another thread than ``serve_forever``'s, or after it."""
        self._state.stop()
        with self._lock:
            held = dict(self._open)
        for sock in held:
            _end_reading(sock)
        deadline = time.monotonic() + grace
        for connection in held.values():
            connection.thread.join(max(0.0, deadline - time.monotonic()))
        self.server_close()


def _end_reading(sock: socket.socket) -> None:
    """The read side only: an idle connection sees the end at once, a
    request in flight can still write its answer."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RD)


def _refuse(request: socket.socket) -> None:
    """A short 503 for a connection over the cap; never blocks the server."""
    with contextlib.suppress(OSError):
        request.settimeout(0.5)
        request.sendall(BUSY)
