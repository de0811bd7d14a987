"""Opening what `enews import` was given: a local file or an http(s) URL.

Either way the caller gets a seekable binary stream (format detection reads
the first bytes, then rewinds) and every failure is a one-line SourceError.
A download is spooled to a temporary file that stays in memory only up to
SPOOL_BYTES, so a large feed costs disk, not RAM.
"""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, cast
from urllib.parse import urlsplit

from enews.collect.records import SourceError

USER_AGENT = "enews/0.1 (+newsletter importer)"
SPOOL_BYTES = 8 * 1024 * 1024
COPY_CHUNK = 1 << 16
MAX_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class Source:
    """An opened source: close it (or use it in a ``with`` block) when done."""

    stream: BinaryIO
    name: str  # what the user gave, for messages
    size: int | None  # bytes, when known
    content_type: str | None  # the Content-Type header of a download

    def close(self) -> None:
        self.stream.close()

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_source(
    spec: str, *, max_bytes: int = MAX_BYTES, timeout: float = 30.0
) -> Source:
    """Open a local path or download an http(s) URL; raise only SourceError.

    ``max_bytes`` and ``timeout`` apply to downloads only: a local file's
    size is already known and its reading cannot hang.
    """
    scheme = _scheme(spec)
    if scheme in ("http", "https"):
        return _download(spec, max_bytes, timeout)
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


def _download(url: str, max_bytes: int, timeout: float) -> Source:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    opener = urllib.request.build_opener(_HttpOnlyRedirects)
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
    try:
        with opener.open(request, timeout=timeout) as response:
            content_type = response.headers.get("Content-Type")
            _check_declared_size(url, response.headers.get("Content-Length"), max_bytes)
            size = _copy(url, response, spool, max_bytes)
        spool.seek(0)
    except SourceError:
        spool.close()
        raise
    except (OSError, ValueError, http.client.HTTPException) as exc:
        spool.close()
        raise SourceError(url, None, _network_reason(exc, timeout)) from None
    return Source(
        stream=cast(BinaryIO, spool), name=url, size=size, content_type=content_type
    )


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


def _copy(url: str, response: IO[bytes], spool: IO[bytes], max_bytes: int) -> int:
    # Content-Length may be absent or wrong, so count what actually arrives.
    total = 0
    while chunk := response.read(COPY_CHUNK):
        total += len(chunk)
        if total > max_bytes:
            raise SourceError(url, None, _too_large(max_bytes))
        spool.write(chunk)
    return total


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
