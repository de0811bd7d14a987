"""Importers: one module per source format, each yielding RawRecords.

``detect_format`` tells the format from the content (the name and the
served content type only break ties); ``read_records`` dispatches.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import PurePosixPath
from typing import BinaryIO

from enews.collect.records import RawRecord, SourceError

FORMATS = ("csv", "json", "feed", "listing", "html")
_EXTENSIONS = {
    ".csv": "csv",
    ".json": "json",
    ".xml": "feed",
    ".rss": "feed",
    ".atom": "feed",
    ".txt": "listing",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
}
# A listing's numbered line: "1.", "1)" (then a space or the end), or "1" alone.
_LISTING_LINE = re.compile(rb"^[ \t]*\d{1,3}(?:[.)](?:[ \t]|$)|[ \t]*$)", re.MULTILINE)
# What comes before a document's first element: an XML declaration,
# comments, a DOCTYPE.
_PROLOG = re.compile(rb"\s*(<\?.*?\?>|<!--.*?-->|<![^>]*>)\s*", re.S)
_FIRST_ELEMENT = re.compile(rb"<([A-Za-z][A-Za-z0-9:._-]*)")
_FEED_ROOTS = {b"rss", b"feed", b"rdf:rdf", b"rdf"}
# A page saved without its <html> tag starts with one of these; no feed does.
_PAGE_STARTS = {
    b"head", b"body", b"meta", b"title", b"link", b"div", b"main",
    b"section", b"article", b"table", b"ul", b"p", b"h1", b"h2",
}  # fmt: skip
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_CSV_HEADER = re.compile(rb"^[^\n]*\btitle\b[^\n]*,|^[^\n]*,[^\n]*\btitle\b", re.I)
# Byte order marks, longest first (the UTF-32-LE one starts with UTF-16-LE's).
_BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xef\xbb\xbf", "utf-8"),
)


def detect_format(
    head: bytes, *, name: str = "", content_type: str | None = None
) -> str:
    """Guess csv/json/feed/listing/html from the first bytes of a source."""
    text = _as_utf8(head).lstrip()
    if not text:
        raise SourceError(name, None, "the file is empty")
    if text.startswith(b"<"):
        return _markup_format(text, name, content_type)
    if text.startswith((b"[", b"{")):
        return "json"
    if _LISTING_LINE.match(text):
        return "listing"
    if _CSV_HEADER.match(text):
        return "csv"
    if _LISTING_LINE.search(text):  # after the page's heading, as pasted
        return "listing"
    by_type = (content_type or "").split(";")[0].strip().lower()
    if by_type in {"text/csv", "application/json"}:
        return "csv" if by_type == "text/csv" else "json"
    by_name = _EXTENSIONS.get(PurePosixPath(name.split("?")[0]).suffix.lower())
    if by_name:
        return by_name
    raise SourceError(
        name, None, "cannot tell the format; use --format csv|json|feed|listing|html"
    )


def _markup_format(text: bytes, name: str, content_type: str | None) -> str:
    """Tell "html" from "feed": a web page by its DOCTYPE or <html> root; a feed by
    its root (also when served as text/html, as some servers do); else the
    served type or the name's extension decide (a fragment saved as .html)."""
    lowered = text[:4096].lower()
    position = 0
    while not lowered.startswith(b"<!doctype html", position):
        if not (found := _PROLOG.match(lowered, position)):
            break
        position = found.end()
    else:
        return "html"
    root = _FIRST_ELEMENT.match(lowered, position)
    tag = root.group(1) if root else b""
    if tag == b"html" or tag.endswith(b":html") or tag in _PAGE_STARTS:
        return "html"
    if tag in _FEED_ROOTS or tag.endswith((b":rdf", b":feed")):
        return "feed"
    by_type = (content_type or "").split(";")[0].strip().lower()
    suffix = PurePosixPath(name.split("?")[0]).suffix.lower()
    if by_type in _HTML_TYPES or _EXTENSIONS.get(suffix) == "html":
        return "html"
    return "feed"


def _as_utf8(head: bytes) -> bytes:
    """The head as UTF-8 without a BOM, so that a feed in UTF-16 or UTF-32
    (with a BOM, or with the zero bytes of ASCII text in them) is told by
    its "<" as well; the reader decodes the whole source properly."""
    for mark, codec in _BOMS:
        if head.startswith(mark):
            return _recoded(head[len(mark) :], codec)
    first = head[:4]
    if len(first) == 4 and first[:3] == b"\0\0\0":
        return _recoded(head, "utf-32-be")
    if len(first) == 4 and first[1:] == b"\0\0\0":
        return _recoded(head, "utf-32-le")
    if len(first) >= 2 and first[0] == 0 and first[1]:
        return _recoded(head, "utf-16-be")
    if len(first) >= 2 and first[0] and first[1] == 0:
        return _recoded(head, "utf-16-le")
    return head


def _recoded(data: bytes, codec: str) -> bytes:
    # errors="ignore": the head may end inside a character
    return data.decode(codec, errors="ignore").encode()


def read_records(
    stream: BinaryIO,
    fmt: str,
    *,
    source: str,
    kind: str | None = None,
    warn: Callable[[str], None] = lambda _: None,
    content_type: str | None = None,
    base_url: str | None = None,
) -> Iterator[RawRecord]:
    """The records of ``stream`` read as ``fmt`` (one of FORMATS).

    ``content_type`` is the one a server sent with a download: a feed's
    encoding may be named only there (RFC 7303's charset parameter).
    ``base_url`` is the address relative links on a web page are read
    against (a downloaded page's own URL otherwise)."""
    if fmt == "csv":
        from enews.collect.csv_source import read_csv

        return read_csv(stream, source=source, warn=warn)
    if fmt == "json":
        from enews.collect.json_source import read_json

        return read_json(stream, source=source, warn=warn)
    if fmt == "feed":
        from enews.collect.feed import read_feed

        return read_feed(stream, source=source, kind=kind, content_type=content_type)
    if fmt == "listing":
        from enews.collect.listing import read_listing

        return read_listing(stream, source=source, warn=warn)
    if fmt == "html":
        from enews.collect.page import read_page

        return read_page(
            stream,
            source=source,
            base_url=base_url,
            content_type=content_type,
            kind=kind,
            warn=warn,
        )
    raise SourceError(source, None, f"unknown format {fmt!r}; use one of {FORMATS}")
