"""Opening what `enews import` is given (collect/fetch.py): files and URLs."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from enews.collect.feed import read_feed
from enews.collect.fetch import open_source
from enews.collect.records import SourceError
from tests.helpers_feed import DATA, fields_of
from tests.localhttp import serving

# -- open_source: files -----------------------------------------------------------


def test_open_a_local_file():
    with open_source(str(DATA / "feed-rss1.xml")) as source:
        assert source.size == (DATA / "feed-rss1.xml").stat().st_size
        assert source.content_type is None
        assert len(list(read_feed(source.stream, source=source.name))) == 2
    assert source.stream.closed


def test_a_colon_does_not_make_a_file_name_a_url(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("news:2024.xml").write_bytes(b"<rss/>")
    with open_source("news:2024.xml") as source:
        assert source.stream.read() == b"<rss/>"


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("missing.xml", "no such file"),
        (".", "is a folder, not a file"),
        ("ftp://coop.example/feed.xml", "only http(s) addresses and local files "
         "can be read, not ftp:"),
        ("file:///etc/passwd", "only http(s) addresses and local files can be "
         "read, not file:"),
        ("javascript:alert(1)", "only http(s) addresses and local files can be "
         "read, not javascript:"),
        ("nul\x00byte.xml", "cannot open: embedded null byte"),
    ],
)  # fmt: skip
def test_open_source_refuses(spec, problem, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SourceError) as caught:
        open_source(spec)
    assert (caught.value.source, caught.value.line) == (spec, None)
    assert caught.value.problem == problem


# -- open_source: URLs, against a server of our own --------------------------------

FEED = (DATA / "feed-rss2.xml").read_bytes()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/feed.xml":
            self._send(200, FEED, length=True, kind="application/rss+xml")
        elif self.path == "/big":
            self._send(200, b"<rss>" + b" " * 5000 + b"</rss>", length=True)
        elif self.path == "/big-unannounced":  # no Content-Length
            self._send(200, b"<rss>" + b" " * 5000 + b"</rss>", length=False)
        elif self.path == "/moved":
            self._redirect("/feed.xml")
        elif self.path == "/to-ftp":
            self._redirect("ftp://127.0.0.1/feed.xml")
        elif self.path == "/slow":
            time.sleep(1.0)
            self._send(200, FEED, length=True)
        else:
            self.send_error(404, "Not Found")

    def _send(self, code: int, body: bytes, *, length: bool, kind: str = "") -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind or "application/xml")
        if length:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the test output clean


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serving(_Handler) as url:
        yield url


def test_import_from_a_url(server):
    with open_source(f"{server}/moved") as source:
        assert source.name == f"{server}/moved"
        assert source.size == len(FEED)
        assert source.content_type == "application/rss+xml"
        found = [r.fields for r in read_feed(source.stream, source=source.name)]
    assert found == fields_of("feed-rss2.xml")


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/nothing-here", "the server answered HTTP 404 Not Found"),
        ("/big", "the download is larger than the 1 KiB limit"),
        ("/big-unannounced", "the download is larger than the 1 KiB limit"),
        ("/to-ftp", "redirected to a non-HTTP address ftp://127.0.0.1/feed.xml"),
        ("/slow", "no answer from the server within 0.2 s"),
    ],
)
def test_download_problems(server, path, problem):
    url = f"{server}{path}"
    with pytest.raises(SourceError) as caught:
        open_source(url, max_bytes=1024, timeout=0.2)
    assert str(caught.value) == f"{url}: {problem}"


def test_connection_refused():
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/feed.xml"
    with pytest.raises(SourceError) as caught:
        open_source(url, timeout=2)
    assert str(caught.value) == f"{url}: could not connect: connection refused"
