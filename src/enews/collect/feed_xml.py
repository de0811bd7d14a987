"""A feed's bytes made into well-formed XML for feedparser, or a SourceError.

feedparser reads a document that is not well-formed XML with its loose
parser, which guesses: given a missing end tag or an unquoted attribute it
still returns entries, with nothing to tell what was lost. So libxml2
(lxml) decides first, strictly: the first error stops the import with its
line. Before that, the slips that lose nothing are repaired, as
feedparser's strict parser refuses them too and its loose one would not
tell them from real damage: a bare "&" or "<", HTML entities such as
&eacute;, the document's own entities (feedparser's DOCTYPE rewriting
drops them when they are declared on one line). And windows-1252 bytes in
a "UTF-8" feed are read as windows-1252 one by one, where feedparser would
decode the whole feed as chardet's guess (MacRoman, say).

feedparser then reads lxml's serialisation of the root element: UTF-8,
entities expanded, no DOCTYPE. The whole document is held in memory, so
feeds larger than MAX_FEED_BYTES are refused."""

from __future__ import annotations

import codecs
import re
from html.entities import name2codepoint
from typing import Any, BinaryIO

from lxml import etree  # type: ignore[import-untyped]

from enews.collect.records import SourceError

# About 60,000 typical entries. feedparser holds the document and every
# entry: a process needs ~12x the feed's size (benchmarks/bench_feed.py).
MAX_FEED_BYTES = 64 * 1024 * 1024

_RSS1 = "http://purl.org/rss/1.0/"
_RSS090 = "http://my.netscape.com/rdf/simple/0.9/"
_ATOM = "http://www.w3.org/2005/Atom"
_ATOM03 = "http://purl.org/atom/ns#"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
ENTRY_TAGS = (
    "item",  # RSS 0.9x and 2.0
    f"{{{_RSS1}}}item",
    f"{{{_RSS090}}}item",
    f"{{{_ATOM}}}entry",
    f"{{{_ATOM03}}}entry",
)
FEED_ROOTS = {"rss", f"{{{_RDF}}}RDF", f"{{{_ATOM}}}feed", f"{{{_ATOM03}}}feed"}


def read_document(stream: BinaryIO, source: str) -> bytes:
    """All of the stream, refused when empty or over MAX_FEED_BYTES."""
    data = stream.read(MAX_FEED_BYTES + 1)
    if len(data) > MAX_FEED_BYTES:
        limit = MAX_FEED_BYTES // (1024 * 1024)
        raise SourceError(
            source, None, f"the feed is larger than the {limit} MiB limit"
        )
    if not data.strip(b" \t\r\n\xef\xbb\xbf\xff\xfe\x00"):
        raise SourceError(source, None, "the file is empty")
    return data


def parse_document(data: bytes, source: str) -> Any:
    """The document's root element; SourceError with its line if not XML.

    Not lenient about broken XML: libxml2's recovery loses data silently
    (an empty title, the rest of a file after a bad attribute).
    """
    parser = etree.XMLParser(
        resolve_entities="internal",  # the document's own; never a file (XXE)
        no_network=True,
        huge_tree=False,  # libxml2's limits on depth and text size stay
    )
    data = _repaired(_as_utf8(data, source))
    try:
        # feed(), not fromstring(): a NUL byte does not end the document.
        # In pieces: libxml2 refuses one buffer of over ~10 MB (huge_tree).
        for start in range(0, len(data), _PIECE):
            parser.feed(data[start : start + _PIECE])
        return parser.close()
    except etree.XMLSyntaxError as exc:
        reason = _POSITION.sub("", exc.msg or "not well-formed XML")
        raise not_a_feed(source, exc.lineno, reason) from None


_POSITION = re.compile(r", line \d+, column \d+$")  # SourceError has the line
_PIECE = 1 << 16


def serialized(root: Any) -> bytes:
    """What feedparser reads: the root element, in UTF-8."""
    return bytes(etree.tostring(root, encoding="utf-8", xml_declaration=True))


def wrong_root(root: Any) -> str | None:
    """Why a document without entries is not a feed, or None if it is one.

    No entries is fine for a feed that has none yet, not for other XML.
    """
    if root.tag in FEED_ROOTS:
        return None
    return f"the document is <{etree.QName(root).localname}>, not <rss> or <feed>"


def not_a_feed(source: str, line: int | None, reason: str) -> SourceError:
    return SourceError(source, line or None, f"not a valid RSS or Atom feed: {reason}")


# -- bytes to UTF-8 ------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_DECLARED = re.compile(
    rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z][\w.:-]*)["']"""
)
_DECLARATION_ENCODING = re.compile(
    r"""^(\s*<\?xml[^>]*?\bencoding\s*=\s*)(["'])[^"']*\2"""
)
# What browsers (and feedparser) do: these labels really mean windows-1252.
_AS_CP1252 = {"iso8859-1", "ascii"}
_FALLBACK = "enews-cp1252-fallback"


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    # A "UTF-8" feed with a few windows-1252 bytes: read those bytes as
    # windows-1252, rather than turning them into "\ufffd" (or, as
    # feedparser would, the whole feed into chardet's guess).
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    return bad.decode("cp1252", errors="replace"), exc.end


codecs.register_error(_FALLBACK, _cp1252_fallback)


def _as_utf8(data: bytes, source: str) -> bytes:
    """The document in UTF-8, its XML declaration saying so."""
    encoding, relabel = _encoding(data, source)
    if encoding == "utf-8" and not relabel and _is_utf8(data):
        return data  # the usual feed: nothing to decode or declare
    errors = _FALLBACK if encoding.startswith("utf-8") else "replace"
    text = codecs.decode(data, encoding, errors)
    text = _DECLARATION_ENCODING.sub(r'\1"utf-8"', text, count=1)
    return text.encode("utf-8", "replace")  # "replace": lone surrogates


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _encoding(data: bytes, source: str) -> tuple[str, bool]:
    """The codec to read the document with, and whether its XML declaration
    (if any) says otherwise."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, True
    declared = _DECLARED.match(data)
    if not declared:
        return "utf-8", False
    label = declared.group(1).decode("ascii")
    try:
        name = codecs.lookup(label).name
    except LookupError:
        raise SourceError(
            source, 1, f"unknown character encoding {label!r} in the XML declaration"
        ) from None
    if name in _AS_CP1252:
        return "cp1252", True
    # The declaration was readable as ASCII, so the bytes are not UTF-16/32
    # whatever it says (a common mistake).
    if name.startswith(("utf-16", "utf-32")):
        return "utf-8", True
    return name, name != "utf-8"


# -- lossless repairs ------------------------------------------------------------

# A bare "&" (not starting a reference), an HTML entity XML does not define
# (&eacute;), or a "<" that cannot start markup ("rates < 3%").
_BAD_AMP = (
    rb"&(?!#[0-9]+;|#[xX][0-9A-Fa-f]+;|(?:amp|lt|gt|quot|apos);)"
    rb"([A-Za-z][A-Za-z0-9]*;)?"
)
_BAD_LT = rb"<(?![A-Za-z_:/!?\x80-\xff])"
_NEEDS_REPAIR = re.compile(_BAD_AMP + b"|" + _BAD_LT)
# Its halves, to look for work first: a pattern that starts with a literal
# is searched much faster.
_NEEDS_REPAIR_AMP, _NEEDS_REPAIR_LT = re.compile(_BAD_AMP), re.compile(_BAD_LT)
_CDATA = re.compile(rb"(<!\[CDATA\[.*?\]\]>)", re.DOTALL)


def _repaired(data: bytes) -> bytes:
    """The document with _repair applied outside CDATA sections."""
    if not (_NEEDS_REPAIR_AMP.search(data) or _NEEDS_REPAIR_LT.search(data)):
        return data  # the usual case, made fast
    parts = _CDATA.split(data)  # odd indexes: the CDATA sections, kept as they are
    return b"".join(
        part if n % 2 else _NEEDS_REPAIR.sub(_repair, part)
        for n, part in enumerate(parts)
    )


def _repair(match: re.Match[bytes]) -> bytes:
    if match.group(0) == b"<":
        return b"&lt;"
    name = match.group(1)
    if name is None:
        return b"&amp;"
    codepoint = name2codepoint.get(name[:-1].decode("ascii"))
    # Anything else may be declared in the document's DTD; lxml decides.
    return b"&#%d;" % codepoint if codepoint else match.group(0)
