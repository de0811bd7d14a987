"""`enews serve`'s server (enews.web.server.LocalServer) on a real socket:
a cap on connections, an idle timeout, and a close that waits for requests.

Raw sockets stand in for the clients that broke the old server: ones that
connect and send nothing, or half a request, and never leave.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from enews.web import create_app
from enews.web.app import LOOPBACK_HOSTS
from enews.web.server import LocalServer
from enews.workspace import Workspace

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def start(workspace: Workspace) -> Iterator:
    """Starts a LocalServer with the given limits; closed at the end."""
    started: list[tuple[LocalServer, threading.Thread]] = []

    def run(**limits: float) -> LocalServer:
        app = create_app(workspace, trusted_hosts=LOOPBACK_HOSTS)
        server = LocalServer("127.0.0.1", 0, app, **limits)  # type: ignore[arg-type]
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        started.append((server, thread))
        return server

    yield run
    for server, thread in started:
        server.shutdown()
        thread.join(5)
        server.close()


def connect(server: LocalServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    return sock


def wait_until(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def get(server: LocalServer, path: str, timeout: float = 10) -> tuple[int, bytes]:
    url = f"http://127.0.0.1:{server.port}{path}"
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read()


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(4096):
        chunks.append(chunk)
    return b"".join(chunks)


def test_held_connections_neither_pile_up_threads_nor_lock_the_workspace_out(start):
    server = start(max_connections=4)
    threads_before = threading.active_count()
    with ExitStack() as stack:
        held = [stack.enter_context(connect(server)) for _ in range(4)]
        wait_until(lambda: server.open_connections() == 4)
        held += [stack.enter_context(connect(server)) for _ in range(20)]
        time.sleep(0.2)
        assert server.open_connections() <= 4
        assert threading.active_count() <= threads_before + 4
        status, body = get(server, "/issues")  # at the cap, the oldest idle one goes
        assert status == 200 and b"New issue" in body
        assert read_all(held[0]) == b""  # the first one held was ended for it


def test_at_the_cap_with_every_connection_busy_a_new_one_gets_a_503(start):
    server = start(max_connections=3)
    stamp = json.loads(get(server, "/_reload")[1])["stamp"]
    with ExitStack() as stack:
        polls = [stack.enter_context(connect(server)) for _ in range(3)]
        for sock in polls:  # a long poll is a request in the app: busy, not idle
            head = f"GET /_reload?since={stamp} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            sock.sendall(head.encode())
        time.sleep(0.3)
        began = time.monotonic()
        with connect(server) as extra:
            answer = read_all(extra)
        assert answer.startswith(b"HTTP/1.1 503 "), answer
        assert b"too many connections" in answer
        assert time.monotonic() - began < 3
        assert server.open_connections() == 3


@pytest.mark.parametrize("sent", [b"", b"GET /issues HTTP/1.1\r\nHost: 127."])
def test_an_idle_or_half_sent_connection_is_closed(start, sent):
    server = start(idle_seconds=0.5)
    with connect(server) as sock:
        sock.sendall(sent)
        began = time.monotonic()
        assert read_all(sock) == b""  # the server hung up, with no answer
        assert time.monotonic() - began < 3
    wait_until(lambda: server.open_connections() == 0)


def test_a_keep_alive_connection_is_closed_once_idle(start):
    server = start(idle_seconds=0.5)
    with connect(server) as sock:
        sock.sendall(b"GET /issues HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200 ")
        read_all(sock)  # the rest of the page, then the server's hang-up
    wait_until(lambda: server.open_connections() == 0)


def test_close_answers_long_polls_and_ends_idle_connections_at_once(start):
    server = start()  # the real 30 s idle timeout and 20 s long poll
    stamp = json.loads(get(server, "/_reload")[1])["stamp"]
    answers: list[tuple[int, bytes]] = []
    poll = threading.Thread(
        target=lambda: answers.append(get(server, f"/_reload?since={stamp}"))
    )
    poll.start()
    idle = connect(server)
    wait_until(lambda: server.open_connections() == 2)
    began = time.monotonic()
    server.shutdown()
    server.close()
    took = time.monotonic() - began
    poll.join(5)
    idle.close()
    assert took < 3, took
    assert server.open_connections() == 0
    status, body = answers[0]
    assert status == 200 and json.loads(body) == {"stamp": stamp}
