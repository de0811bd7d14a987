"""Opening what `enews import` was given: a local file or an http(s) URL.

Either way the caller gets a seekable binary stream (format detection reads
the first bytes, then rewinds) and every failure is a one-line SourceError.
A download is spooled to a temporary file that stays in memory only up to
SPOOL_BYTES, so a large feed costs disk, not RAM. It has DEADLINE seconds
in all, however slowly the server sends: the timeout alone applies to each
read, and a byte every few seconds would hold an import for ever.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import ipaddress
import os
import socket
import ssl
import tempfile
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO, cast
from urllib.parse import urlsplit

from enews.collect.records import SourceError

USER_AGENT = "enews/0.1 (+newsletter importer)"
SPOOL_BYTES = 8 * 1024 * 1024
COPY_CHUNK = 1 << 16
MAX_BYTES = 200 * 1024 * 1024
DEADLINE = 30.0  # seconds for a whole download


@dataclass(frozen=True)
class Source:
    """An opened source: close it (or use it in a ``with`` block) when done."""

    stream: BinaryIO
    name: str  # what the user gave, for messages
    size: int | None  # bytes, when known
    content_type: str | None  # the Content-Type header of a download
    final_url: str | None = None  # a download's address after redirects

    def close(self) -> None:
        self.stream.close()

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_source(
    spec: str,
    *,
    max_bytes: int = MAX_BYTES,
    timeout: float = 30.0,
    deadline: float | None = None,
    public_only: bool = False,
) -> Source:
    """Open a local path or download an http(s) URL; raise only SourceError.

    ``max_bytes``, ``timeout`` (for each network operation) and ``deadline``
    (for the whole download, redirects included; DEADLINE unless given)
    apply to downloads only: a local file's size is already known and its
    reading cannot hang. ``public_only`` refuses to connect to any address
    that is not a public one (a shared server must not fetch from its own
    network for its users), redirects included.
    """
    scheme = _scheme(spec)
    if scheme in ("http", "https"):
        seconds = DEADLINE if deadline is None else deadline
        return _Download(spec, max_bytes, timeout, public_only).within(seconds)
    # "notes:2024.xml" is a legal file name, so a colon alone does not make a
    # URL; "ftp://…" or "javascript:…" that is not an existing file does.
    if scheme and ("://" in spec or not os.path.lexists(spec)):
        raise SourceError(
            spec,
            None,
            f"only http(s) addresses and local files can be read, not {scheme}:",
        )
    return _open_file(spec)


def _scheme(spec: str) -> str:
    try:
        scheme = urlsplit(spec).scheme.lower()
    except ValueError:  # e.g. "http://[::1" (unbalanced IPv6 bracket)
        return "http" if spec.lower().startswith(("http:", "https:")) else ""
    return "" if len(scheme) == 1 else scheme  # "C:\\news.xml" is a Windows path


def _open_file(spec: str) -> Source:
    try:
        stream = Path(spec).open("rb")  # noqa: SIM115 - Source.close() closes it
    except FileNotFoundError:
        raise SourceError(spec, None, "no such file") from None
    except IsADirectoryError:
        raise SourceError(spec, None, "is a folder, not a file") from None
    except PermissionError:
        raise SourceError(spec, None, "permission denied") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise SourceError(spec, None, f"cannot open: {reason}") from None
    size = os.fstat(stream.fileno()).st_size
    return Source(stream=stream, name=spec, size=size, content_type=None)


class _Download:
    """One download, run in a thread of its own so that the caller can give
    up on it at the deadline, whatever it is blocked in (a name lookup, a
    TLS handshake, headers or a body sent a byte at a time)."""

    def __init__(
        self, url: str, max_bytes: int, timeout: float, public_only: bool = False
    ) -> None:
        self.url, self.max_bytes, self.timeout = url, max_bytes, timeout
        self.public_only = public_only
        self._lock = threading.Lock()
        self._outcome: Source | BaseException | None = None
        self._abandoned = False  # the caller has gone: clean up, stop reading
        self._sockets: list[socket.socket] = []

    def within(self, deadline: float) -> Source:
        worker = threading.Thread(target=self._run, name="enews-download", daemon=True)
        worker.start()
        try:
            worker.join(deadline)
        finally:  # also on Ctrl-C: the worker then closes what it opened
            with self._lock:
                outcome, self._abandoned = self._outcome, self._outcome is None
                for sock in self._sockets if self._abandoned else ():
                    _shut(sock)  # a blocked read returns: the worker ends
        if outcome is None:
            raise SourceError(
                self.url, None, f"no complete answer within {deadline:g} s"
            )
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def _run(self) -> None:
        spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
        outcome: Source | BaseException
        try:
            outcome = self._fetch(spool)
        except (OSError, ValueError, http.client.HTTPException) as exc:
            outcome = SourceError(self.url, None, _network_reason(exc, self.timeout))
        except BaseException as exc:  # raised again in the caller's thread
            outcome = exc
        with self._lock:
            if self._abandoned or not isinstance(outcome, Source):
                spool.close()  # the spool is the Source's stream
            if not self._abandoned:
                self._outcome = outcome

    def _fetch(self, spool: IO[bytes]) -> Source:
        url = self.url
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        opener = urllib.request.build_opener(
            _HttpOnlyRedirects, _HTTPHandler(self), _HTTPSHandler(self)
        )
        with opener.open(request, timeout=self.timeout) as response:
            final_url = response.geturl()  # where redirects led
            content_type = response.headers.get("Content-Type")
            length = response.headers.get("Content-Length")
            _check_declared_size(url, length, self.max_bytes)
            size = self._copy(response, spool)
        if length and length.isdigit() and size < int(length):
            raise http.client.IncompleteRead(b"", int(length) - size)
        spool.seek(0)
        return Source(
            stream=cast(BinaryIO, spool),
            name=url,
            size=size,
            content_type=content_type,
            final_url=final_url,
        )

    def _copy(self, response: http.client.HTTPResponse, spool: IO[bytes]) -> int:
        # read1: whatever has arrived, so a trickle cannot keep this thread
        # reading after the caller has given up. Content-Length may be
        # absent or wrong, so count what actually arrives.
        total = 0
        while not self._abandoned and (chunk := response.read1(COPY_CHUNK)):
            total += len(chunk)
            if total > self.max_bytes:
                raise SourceError(self.url, None, _too_large(self.max_bytes))
            spool.write(chunk)
        return total

    def connected(self, sock: socket.socket) -> None:
        """Note a connection's socket, to shut it if the caller gives up;
        with ``public_only``, refuse it before a request is sent when it
        reached a private, loopback or link-local address."""
        with self._lock:
            self._sockets.append(sock)
            if self._abandoned:
                _shut(sock)
        peer = sock.getpeername()[0]
        if self.public_only and not ipaddress.ip_address(peer).is_global:
            raise SourceError(
                self.url,
                None,
                f"{peer} is not a public address: a shared workspace reads "
                "only from the internet",
            )


def _shut(sock: socket.socket) -> None:
    # socket.socket's shutdown, also for an SSLSocket: its own would drop
    # the TLS state under the reading thread's feet.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


# Connections that tell the download their socket (after the TLS handshake,
# which only the timeout bounds: the caller has gone by then anyway).
class _WatchedHTTP(http.client.HTTPConnection):
    def __init__(self, *args: Any, download: _Download, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.download = download

    def connect(self) -> None:
        super().connect()  # for HTTPS, the TLS connect (next in the MRO)
        self.download.connected(self.sock)


class _WatchedHTTPS(_WatchedHTTP, http.client.HTTPSConnection):
    pass


class _Watching(urllib.request.AbstractHTTPHandler):
    def __init__(self, download: _Download, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.download = download

    def do_open(  # type: ignore[override]
        self, http_class: type, req: urllib.request.Request, **kwargs: Any
    ) -> http.client.HTTPResponse:
        https = issubclass(http_class, http.client.HTTPSConnection)
        watched = _WatchedHTTPS if https else _WatchedHTTP
        factory = functools.partial(watched, download=self.download)
        return super().do_open(factory, req, **kwargs)


class _HTTPHandler(_Watching, urllib.request.HTTPHandler):
    pass


class _HTTPSHandler(_Watching, urllib.request.HTTPSHandler):
    pass


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects between http and https only.

    urllib would also follow one to ftp://, which open_source refuses when
    given directly; a server must not be able to get around that.
    """

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise urllib.error.HTTPError(
                newurl, code, f"redirected to a non-HTTP address {newurl}", headers, fp
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _check_declared_size(url: str, length: str | None, max_bytes: int) -> None:
    """Refuse before downloading when the server announces too large a body."""
    if length and length.isdigit() and int(length) > max_bytes:
        raise SourceError(url, None, _too_large(max_bytes))


def _too_large(max_bytes: int) -> str:
    return f"the download is larger than the {_human_size(max_bytes)} limit"


def _human_size(n: int) -> str:
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"


def _network_reason(exc: BaseException, timeout: float) -> str:
    """One line saying what went wrong with a download, for any exception."""
    if isinstance(exc, urllib.error.HTTPError):
        exc.close()
        if 300 <= exc.code < 400:  # our refusal of a redirect, or a redirect loop
            return str(exc.reason).splitlines()[0]
        return f"the server answered HTTP {exc.code} {exc.reason}"
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError):
        return f"no answer from the server within {timeout:g} s"
    if isinstance(reason, ConnectionRefusedError):
        return "could not connect: connection refused"
    if isinstance(reason, socket.gaierror):
        return "could not connect: unknown host name"
    if isinstance(reason, ssl.SSLError):
        return f"secure connection failed: {getattr(reason, 'reason', None) or reason}"
    if isinstance(reason, http.client.IncompleteRead | ConnectionResetError):
        return "the server closed the connection before the download finished"
    return f"download failed: {reason}"
