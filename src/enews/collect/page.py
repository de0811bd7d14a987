"""A news listing web page: one RawRecord per news block on it.

The page's structured data wins when it lists the news (page_structured:
JSON-LD, microdata and RDFa through extruct); otherwise the blocks are
found in the repeated structure of the page itself (page_dom, lxml), which
also fills in what the structured data leaves out (a kind label, a teaser).
Links and images are made absolute against the page's address: the URL it
was downloaded from, ``--base-url`` for a saved file, or the page's own
``<base href>``, canonical link or og:url. Records are numbered as blocks
in page order ("page.html:block 3: ..."): a minified page is one line.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO
from urllib.parse import urljoin

import lxml.html  # type: ignore[import-untyped]
from lxml import etree

from enews.collect import page_dom, page_structured
from enews.collect.feed_xml import charset_of
from enews.collect.records import FORMAT_FIELD, RawRecord, SourceError
from enews.compose.items import title_key
from enews.urls import is_absolute_url

# A news listing is tens of kilobytes; a page 100 times that size is not one
# (lxml holds the whole tree, ~10x the bytes).
MAX_PAGE_BYTES = 16 * 1024 * 1024
LOOKED_FOR = (
    "no news blocks found (looked for JSON-LD, microdata or RDFa articles or "
    "an ItemList, and for repeated blocks each with a linked title)"
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I
)
# Codecs that drop the BOM as they decode.
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_LINK_FIELDS = ("url", "image")


def read_page(
    stream: BinaryIO,
    *,
    source: str,
    base_url: str | None = None,
    content_type: str | None = None,
    kind: str | None = None,
    warn: Callable[[str], None] = lambda _: None,
) -> Iterator[RawRecord]:
    """Yield one record per news block; SourceError when there is none, or
    when relative links cannot be made absolute. ``kind`` (the default
    kind) only silences the warning that no block has a kind label."""
    raw = _read(stream, source)
    # Decoded here, not by libxml2, which knows fewer encodings (no UTF-16
    # with a BOM) and would trust a <meta> over the server.
    data = raw.decode(_encoding(raw, content_type), errors="replace").encode()
    del raw
    root = _parse(data, source)
    base = page_base(root, source=source, base_url=base_url)
    found = page_structured.entries(
        data, root, base, warn=lambda m: warn(f"{source}: {m}")
    )
    blocks = page_dom.blocks(root, base)  # after: it drops the noise from the tree
    found = _filled(found, blocks) if found else blocks
    if not found:
        raise SourceError(source, None, LOOKED_FOR)
    if base is None:
        _refuse_relative(found, source)
    if kind is None and not any("kind" in fields for fields in found):
        warn(f"{source}: the news blocks have no kind label; give one with --kind")
    for number, fields in enumerate(found, 1):
        if "summary" in fields:
            fields[FORMAT_FIELD] = "text"
        yield RawRecord(line=number, fields=fields)


def _read(stream: BinaryIO, source: str) -> bytes:
    data = stream.read(MAX_PAGE_BYTES + 1)
    if len(data) > MAX_PAGE_BYTES:
        limit = MAX_PAGE_BYTES // (1024 * 1024)
        raise SourceError(
            source, None, f"the page is larger than the {limit} MiB limit"
        )
    if not data.strip():
        raise SourceError(source, None, "the file is empty")
    return data


def _encoding(data: bytes, content_type: str | None) -> str:
    """A BOM, else the server's charset, else a <meta> one, else UTF-8 when
    the bytes are UTF-8, else windows-1252 (what browsers assume)."""
    for mark, codec in _BOMS:
        if data.startswith(mark):
            return codec
    declared = charset_of(content_type)
    if not declared and (found := _META_CHARSET.search(data[:4096])):
        declared = found.group(1).decode("ascii")
    known = _known(declared) if declared else None
    if known:  # browsers read latin-1 as windows-1252, and so do we
        return "windows-1252" if known == "latin-1" else known
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "windows-1252"
    return "utf-8"


def _known(label: str) -> str | None:
    try:
        return codecs.lookup(label).name.replace("iso8859-1", "latin-1")
    except LookupError:
        return None


def _parse(data: bytes, source: str) -> Any:
    try:
        parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)
        return lxml.html.document_fromstring(data, parser=parser)
    except (etree.ParserError, ValueError, LookupError) as exc:
        raise SourceError(source, None, f"not a readable HTML page ({exc})") from None


def page_base(root: Any, *, source: str, base_url: str | None) -> str | None:
    """The absolute address relative links on the page are read against.

    The page's own address is ``base_url`` (given), else the URL it was
    downloaded from, else its canonical link or og:url; a ``<base href>``
    is read against it, as a browser does.
    """
    if base_url is not None and not is_absolute_url(base_url):
        raise SourceError(
            source, None, f"--base-url: {base_url!r} is not an absolute http(s) address"
        )
    address = base_url or (source if is_absolute_url(source) else None)
    address = address or _declared_address(root)
    for href in root.xpath("//head/base/@href | //base/@href")[:1]:
        joined = urljoin(address or "", href.strip())
        return joined if is_absolute_url(joined) else address
    return address


def _declared_address(root: Any) -> str | None:
    candidates = root.xpath(
        "//link[contains(concat(' ', normalize-space(@rel), ' '), ' canonical ')]/@href"
        " | //meta[@property='og:url']/@content"
    )
    return next((c.strip() for c in candidates if is_absolute_url(c.strip())), None)


def _filled(
    found: list[dict[str, str]], blocks: list[dict[str, str]]
) -> list[dict[str, str]]:
    """Structured entries, with what they lack taken from the page's block
    for the same story (a kind label, a teaser, an image); and the blocks
    the structured data leaves out, when most of its entries are blocks
    too (an ItemList of the first few stories only).

    A block is the same story by its link, or by its title: structured
    data may name the canonical host while the page was served from another.
    """
    by_key = {key: n for n, block in enumerate(blocks) for key in _keys(block)}
    places = [next((by_key[k] for k in _keys(f) if k in by_key), None) for f in found]
    for fields, place in zip(found, places, strict=True):
        if place is not None:
            _fill(fields, blocks[place])
    matched = {place for place in places if place is not None}
    if 2 * len(matched) < len(found):
        return found
    rest = [(n, block) for n, block in enumerate(blocks) if n not in matched]
    if None in places:  # the structured order, then the rest
        return found + [block for _, block in rest]
    # All are blocks: in the page's order (RDFa's graph has none of its own).
    pairs = [*zip(places, found, strict=True), *rest]
    return [fields for _, fields in sorted(pairs, key=lambda pair: pair[0] or 0)]


def _fill(fields: dict[str, str], block: dict[str, str]) -> None:
    own_image = "image" in fields  # then the block's alt text is not its
    for name, value in block.items():
        if not (own_image and name in ("image", "image_alt")):
            fields.setdefault(name, value)


def _keys(fields: dict[str, str]) -> list[str]:
    keys = [f"url {fields['url']}"] if fields.get("url") else []
    if fields.get("title"):
        keys.append(f"title {title_key(fields['title'])}")
    return keys


def _refuse_relative(found: list[dict[str, str]], source: str) -> None:
    for fields in found:
        for name in _LINK_FIELDS:
            value = fields.get(name)
            if value and not is_absolute_url(value):
                raise SourceError(
                    source,
                    None,
                    f"the page has relative links ({value!r}); give the address "
                    "it was saved from (--base-url URL, or the import form's "
                    "page address)",
                )
