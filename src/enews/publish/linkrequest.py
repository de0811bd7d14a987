"""Asking the servers: worker threads, HEAD or GET, redirects, deadlines."""

from __future__ import annotations

import contextlib
import http.client
import queue
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, NamedTuple
from urllib.parse import SplitResult, quote, urljoin, urlsplit

MAX_REDIRECTS = 10
HEADERS = {"User-Agent": "enews/0.1 (+link check)", "Accept": "*/*"}
SAFE = "/%:@!$&'()*+,;=~-._"  # what stays as it is in a request's path
REDIRECTS = frozenset({301, 302, 303, 307, 308})
GET_INSTEAD = frozenset({400, 403, 405, 501})  # how servers refuse a HEAD

_TLS = ssl.create_default_context()  # once: reading the CA store takes time
Status = Literal["ok", "redirect", "broken"]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Timeouts:  # seconds: to connect, for a link (redirects included), for all
    connect: float = 5.0
    link: float = 15.0
    total: float = 60.0


@dataclass(frozen=True)
class Outcome:
    status: Status
    reason: str  # "HTTP 200 OK", "unknown host", "no answer within 15 s"
    final_url: str | None = None  # where the redirects ended
    checked_at: float = 0.0  # time.time() of the request
    cached: bool = False
    lasting: bool = True  # worth keeping a day (not "ran out of time")
    size: int | None = None  # the answer's Content-Length, when it said one


class Pool:
    """Worker threads, a link at a time each; this thread keeps the clock. A
    worker past its link's deadline is left (its socket shut) and a new one
    takes its place; daemons, so a hung name lookup cannot hold the program."""

    def __init__(self, urls: list[str], timeouts: Timeouts) -> None:
        self.urls, self.timeouts = list(dict.fromkeys(urls)), timeouts
        self.todo: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.done: queue.SimpleQueue[tuple[str, Outcome]] = queue.SimpleQueue()
        self.lock = threading.Lock()  # guards running and stopped
        self.running: dict[str, _Probe] = {}
        self.stopped = False
        for url in self.urls:
            self.todo.put(url)

    def run(self, workers: int, progress: Progress | None) -> dict[str, Outcome]:
        results: dict[str, Outcome] = {}
        end = time.monotonic() + self.timeouts.total
        for _ in range(min(workers, len(self.urls))):
            self._spawn()
        while len(results) < len(self.urls) and time.monotonic() < end:
            with contextlib.suppress(queue.Empty):
                url, outcome = self.done.get(timeout=self._wait(end))
                results[url] = outcome
            for url in self._late():
                results[url] = _broken(f"no answer within {self.timeouts.link:g} s")
                self._spawn()
            if progress:
                progress(len(results), len(self.urls))
        late = f"given up: the whole check has at most {self.timeouts.total:g} s"
        out_of_time = _broken(late, lasting=False)
        return {url: results.get(url, out_of_time) for url in self.urls}

    def _wait(self, end: float) -> float:
        """Until the next deadline; a link starting meanwhile ends later."""
        now = time.monotonic()
        with self.lock:
            ends = [probe.deadline for probe in self.running.values()]
        return max(0.0, min([end, now + self.timeouts.link, *ends]) - now)

    def _late(self) -> list[str]:
        now = time.monotonic()
        with self.lock:
            late = [url for url, p in self.running.items() if now >= p.deadline]
            probes = [self.running.pop(url) for url in late]
        for probe in probes:
            probe.abandon()
        return late

    def _spawn(self) -> None:
        threading.Thread(target=self._work, name="enews-link", daemon=True).start()

    def _work(self) -> None:
        while not self.stopped:
            try:
                url = self.todo.get_nowait()
            except queue.Empty:
                return
            probe = _Probe(url, self.timeouts)
            with self.lock:
                self.running[url] = probe
            outcome = probe.run()
            with self.lock:
                mine = self.running.pop(url, None) is probe
            if not mine:
                return  # given up on: a new worker has taken this one's place
            self.done.put((url, outcome))

    def stop(self) -> None:
        with self.lock:
            self.stopped = True
            probes = list(self.running.values())
        for probe in probes:  # their workers end soon, once their sockets are shut
            probe.abandon()


def _broken(reason: str, *, lasting: bool = True) -> Outcome:
    return Outcome("broken", reason, checked_at=time.time(), lasting=lasting)


class _Probe:
    """One link, asked by one worker thread: HEAD or GET, then redirects."""

    def __init__(self, url: str, timeouts: Timeouts) -> None:
        self.url, self.timeouts = url, timeouts
        self.deadline = time.monotonic() + timeouts.link
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._abandoned = False

    def abandon(self) -> None:
        """Shut the sockets, so that a blocked read returns at once."""
        with self._lock:
            self._abandoned = True
            for sock in self._sockets:
                _shut(sock)

    def run(self) -> Outcome:
        try:
            return self._follow()
        except _Failure as exc:
            return _broken(str(exc))
        except Exception as exc:  # any failure is the link's answer
            return _broken(_reason(exc, self.timeouts))

    def _follow(self) -> Outcome:
        url = self.url
        for _ in range(MAX_REDIRECTS + 1):
            reply = self._ask(url)
            if reply.code not in REDIRECTS or not reply.location:
                return _answer(reply, url, redirected=url != self.url)
            url = urljoin(url, reply.location.strip())
            parts = urlsplit(url)  # a host, or http:///x would ask this machine
            if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
                raise _Failure(f"redirects to a non-http(s) address: {url[:80]}")
        raise _Failure(f"more than {MAX_REDIRECTS} redirects")

    def _ask(self, url: str) -> _Reply:
        try:
            reply = self._request("HEAD", url)
        except (http.client.HTTPException, ConnectionResetError):
            pass  # a server that chokes on HEAD may still serve a GET
        else:
            if reply.code not in GET_INSTEAD:
                return reply
        return self._request("GET", url)

    def _request(self, method: str, url: str) -> _Reply:
        parts = urlsplit(url)
        conn = self._connection(parts)
        try:
            try:
                conn.connect()
            except TimeoutError:
                raise _Failure(f"could not connect within {conn.timeout:g} s") from None
            self._watch(conn.sock)
            # A link may hold what a request line cannot (é): percent-encode.
            target = quote(parts.path or "/", safe=SAFE)
            target += "?" + quote(parts.query, safe=SAFE + "?") if parts.query else ""
            conn.request(method, target, headers=HEADERS)
            response = conn.getresponse()  # headers only: the body stays unread
            length = response.getheader("Content-Length", "").strip()
            return _Reply(
                response.status,
                response.reason,
                response.getheader("Location"),
                int(length) if length.isascii() and length.isdigit() else None,
            )
        finally:
            conn.close()

    def _connection(self, parts: SplitResult) -> http.client.HTTPConnection:
        left = self.deadline - time.monotonic()
        if left <= 0 or self._abandoned:
            raise TimeoutError
        host, port = parts.hostname or "", parts.port
        wait = min(self.timeouts.connect, left)
        if parts.scheme.lower() == "https":
            return http.client.HTTPSConnection(host, port, timeout=wait, context=_TLS)
        return http.client.HTTPConnection(host, port, timeout=wait)

    def _watch(self, sock: socket.socket) -> None:
        """Read until the link's deadline; shut at once if given up on."""
        sock.settimeout(max(0.001, self.deadline - time.monotonic()))
        with self._lock:
            self._sockets.append(sock)
            if self._abandoned:
                _shut(sock)


class _Failure(Exception):
    """A link's failure, already said in words."""


class _Reply(NamedTuple):
    code: int
    reason: str
    location: str | None
    size: int | None  # Content-Length


def _answer(reply: _Reply, url: str, *, redirected: bool) -> Outcome:
    now, code, size = time.time(), reply.code, reply.size
    words = f"HTTP {code} {reply.reason}".strip()
    if code in REDIRECTS:
        words += " without a Location"
    if code >= 300 or code < 200:
        where = f" at {url}" if redirected else ""
        # 429 and 503 say "later", not "gone": asked again next time.
        lasting = code not in (429, 503)
        return Outcome("broken", words + where, url, now, lasting=lasting)
    if redirected:
        return Outcome("redirect", words, url, now, size=size)
    return Outcome("ok", words, None, now, size=size)


def _shut(sock: socket.socket) -> None:
    # socket.socket's shutdown, also for an SSLSocket (see collect/fetch.py).
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _reason(exc: BaseException, timeouts: Timeouts) -> str:
    """A link's failure in a few words."""
    if isinstance(exc, socket.gaierror):
        unknown = exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", 0))
        return "unknown host" if unknown else f"host name lookup failed: {exc}"
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeouts.link:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ssl.SSLError):  # the certificate's problem, if it is one
        return f"TLS error: {getattr(exc, 'verify_message', None) or exc.reason}"
    if isinstance(exc, http.client.HTTPException | ConnectionResetError):
        return "the server closed the connection without an answer"
    return f"network error: {getattr(exc, 'strerror', None) or exc}"
