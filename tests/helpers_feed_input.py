"""Helpers of tests/test_feed_input.py: feeds in any encoding, a local HTTP
server that sends what a test asks (and as slowly), the `enews` command."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from lxml import etree

from tests.helpers_cli import Enews
from tests.helpers_cli import enews as enews  # a fixture: re-exported

# Real titles in each script, and an encoding that can hold them.
TITLES = {
    "shift_jis": "協同組合ニュース、総会のお知らせ",
    "euc_jp": "協同組合ニュース、総会のお知らせ",
    "koi8_r": "Новости кооператива: общее собрание",
    "gb2312": "合作社会员大会通知",
}
WIDE = ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
WIDE_TITLE = "Zoë Ólafsdóttir — 協同組合 — Новости"


def feed_text(title: str, encoding: str | None, slug: str = "1") -> str:
    """An RSS 2.0 feed with one dated item; the item's <title> is on line 4."""
    declared = f' encoding="{encoding}"' if encoding else ""
    return (
        f'<?xml version="1.0"{declared}?>\n'
        '<rss version="2.0"><channel><title>Co-op news</title>\n'
        f"<item><link>https://coop.example/news/{slug}</link>\n"
        f"<title>{title}</title>\n"
        "<pubDate>Tue, 08 Oct 2024 09:00:00 GMT</pubDate></item>\n"
        "</channel></rss>\n"
    )


def with_atom_prefix(document: bytes) -> bytes:
    """An Atom document with its elements written <a:entry>, not <entry>."""
    root = etree.fromstring(document)
    nsmap = {("a" if k is None else k): v for k, v in root.nsmap.items()}
    return bytes(etree.tostring(_copy(root, None, nsmap), encoding="utf-8"))


def _copy(
    element: etree._Element, parent: etree._Element | None, nsmap: dict
) -> etree._Element:
    if parent is None:
        copy = etree.Element(element.tag, element.attrib, nsmap=nsmap)
    else:  # other namespaces (XHTML) keep their own default one
        inherited = element.getparent().nsmap  # type: ignore[union-attr]
        own = element.nsmap if element.nsmap != inherited else None
        copy = etree.SubElement(parent, element.tag, element.attrib, nsmap=own)
    copy.text, copy.tail = element.text, element.tail
    for child in element:
        if isinstance(child.tag, str):
            _copy(child, copy, nsmap)
    return copy


# -- a server that answers with what the test put in ROUTES -----------------------


@dataclass(frozen=True)
class Answer:
    body: bytes
    content_type: str = "application/rss+xml"
    trickle: float = 0.0  # seconds between bytes (of the status line too)
    head_at_once: bool = False  # trickle the body only


ROUTES: dict[str, Answer] = {}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        answer = ROUTES.get(self.path)
        if answer is None:
            self.send_error(404, "Not Found")
            return
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Type: {answer.content_type}\r\n"
            f"Content-Length: {len(answer.body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        try:
            if not answer.trickle:
                self.wfile.write(head + answer.body)
                return
            if answer.head_at_once:
                self.wfile.write(head)
                head = b""
            for byte in head + answer.body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(answer.trickle)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up: that is what a deadline test wants

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the test output clean


@pytest.fixture
def server() -> Iterator[str]:
    """A server on 127.0.0.1 for this test; it answers ROUTES."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True  # a trickle the client left need not be awaited
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()
    ROUTES.clear()


# -- the command line, on a real database --------------------------------------


def stored_titles(enews: Enews) -> dict[str, str]:
    """Each stored item's title, by the name of the file it came from."""
    result = enews("item", "list", "--json")
    assert result.exit_code == 0, result.output
    return {Path(i["source"]).name: i["title"] for i in json.loads(result.stdout)}
