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
a feed declared UTF-8 are read as windows-1252 one by one, where feedparser
would decode the whole feed as chardet's guess (MacRoman, say); in a feed
that declares no encoding they are refused, as bytes in any other encoding
would be (XML's default is UTF-8, and a guess is how mojibake is stored).

feedparser then reads lxml's serialisation of the root element: UTF-8,
entities expanded, no DOCTYPE. The whole document is held in memory, so
feeds larger than MAX_FEED_BYTES are refused."""

from __future__ import annotations

import codecs
import contextlib
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


def parse_document(data: bytes, source: str, charset: str | None = None) -> Any:
    """The document's root element; SourceError with its line if not XML.

    ``charset`` is the one a server declared (see charset_of), if any.

    Not lenient about broken XML: libxml2's recovery loses data silently
    (an empty title, the rest of a file after a bad attribute).
    """
    parser = etree.XMLParser(
        resolve_entities="internal",  # the document's own; never a file (XXE)
        no_network=True,
        huge_tree=False,  # libxml2's limits on depth and text size stay
    )
    data = _repaired(_as_utf8(data, source, charset))
    try:
        # feed(), not fromstring(): a NUL byte does not end the document.
        # In pieces: libxml2 refuses one buffer of over ~10 MB (huge_tree).
        for start in range(0, len(data), _PIECE):
            parser.feed(data[start : start + _PIECE])
        return parser.close()
    except etree.XMLSyntaxError as exc:
        reason = _POSITION.sub("", (exc.msg or "not well-formed XML").strip())
        raise not_a_feed(source, exc.lineno, reason) from None


_POSITION = re.compile(r", line \d+, column \d+$")  # SourceError has the line
_PIECE = 1 << 16


def serialized(root: Any) -> bytes:
    """What feedparser reads: the root element, in UTF-8."""
    return bytes(etree.tostring(root, encoding="utf-8", xml_declaration=True))


def why_no_entries(root: Any, source: str) -> SourceError | None:
    """What is wrong with the document if feedparser finds no entries in it:
    not a feed at all, or entries where feedparser does not look for them.

    None for a feed that has no entries yet. Found before feedparser runs,
    so the tree can be freed.
    """
    if root.tag not in FEED_ROOTS:
        return not_a_feed(
            source, None, f"the document is <{root.tag}>, not RSS or Atom"
        )
    stray = next(root.iter("{*}item", "{*}entry"), None)
    if stray is None:
        return None
    name, dialect = etree.QName(stray), _DIALECTS[root.tag]
    written = name.localname if name.namespace == dialect[1] else stray.tag
    where = f"<{written}> inside {dialect[0]}"
    return SourceError(source, stray.sourceline, f"{where}; {dialect[2]}")


# What each root is called, the namespace of its entries, what they are.
_DIALECTS = {
    "rss": ("an RSS <rss>", None, "RSS items are <item>, in no namespace"),
    f"{{{_RDF}}}RDF": (
        "an RSS 1.0 <rdf:RDF>",
        _RSS1,
        f"RSS 1.0 items are <item>, in the namespace {_RSS1}",
    ),
    f"{{{_ATOM}}}feed": (
        "an Atom <feed>",
        _ATOM,
        f"Atom entries are <entry>, in the namespace {_ATOM}",
    ),
    f"{{{_ATOM03}}}feed": (
        "an Atom 0.3 <feed>",
        _ATOM03,
        f"Atom 0.3 entries are <entry>, in the namespace {_ATOM03}",
    ),
}


def not_a_feed(source: str, line: int | None, reason: str) -> SourceError:
    # One line: libxml2 ends some of its messages with a line break.
    reason = " ".join(reason.split())
    return SourceError(source, line or None, f"not a valid RSS or Atom feed: {reason}")


# -- bytes to UTF-8 ------------------------------------------------------------

# A byte order mark, else the first four bytes of "<?xml" (or of "<rss")
# in a 16- or 32-bit encoding (XML 1.0, appendix F). UTF-32 before UTF-16:
# FF FE 00 00 starts both, and XML has no U+0000.
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_WIDE = (
    (re.compile(rb"\0\0\0[^\0]"), "utf-32-be"),
    (re.compile(rb"[^\0]\0\0\0"), "utf-32-le"),
    (re.compile(rb"\0[^\0]\0[^\0]"), "utf-16-be"),
    (re.compile(rb"[^\0]\0[^\0]\0"), "utf-16-le"),
)
_DECLARED = re.compile(
    rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z][\w.:-]*)["']"""
)
_DECLARATION_ENCODING = re.compile(
    r"""^(\s*<\?xml[^>]*?\bencoding\s*=\s*)(["'])[^"']*\2"""
)
_CHARSET = re.compile(r""";\s*charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)
# What browsers (and feedparser) do: these labels really mean windows-1252.
_AS_CP1252 = {"iso8859-1", "ascii"}
# Labels often given to text in a larger encoding; tried only when the bytes
# are not the label's (Shift_JIS and cp932 read the wave dash differently).
_SUPERSETS = {"shift_jis": "cp932", "gb2312": "gbk", "euc_kr": "cp949"}
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


def charset_of(content_type: str | None) -> str | None:
    """The charset parameter of an HTTP Content-Type, if it has one."""
    found = _CHARSET.search(content_type or "")
    return found.group(1) if found else None


def _as_utf8(data: bytes, source: str, charset: str | None) -> bytes:
    """The document in UTF-8, its XML declaration saying so.

    The encoding is the bytes' own (a BOM, or 16/32-bit characters), else
    the one declared (the server's charset, the XML declaration), else
    UTF-8 by XML's rule: undeclared bytes that are not UTF-8 are refused
    rather than guessed at (a guess is how Shift_JIS becomes mojibake).
    """
    found = _DECLARED.match(data)
    label = found.group(1).decode("ascii") if found else None
    encoding, declared = _encoding(data, source, charset, label)
    if encoding in ("utf-8", "utf-8-sig"):
        bad = _utf8_error(data)
        plain = label is None or codecs.lookup(label).name == "utf-8"
        if bad is None and plain and encoding == "utf-8":
            return data  # the usual feed: nothing to decode or declare
        if bad is not None and not declared:
            raise _not_encoded(source, data, bad, "utf-8", _DECLARE)
        if bad is not None and (line := _legacy_run(data)) is not None:
            raise SourceError(
                source,
                line,
                f"declared {label or 'UTF-8'}, but runs of bytes here are not "
                "UTF-8 (text in another encoding: Shift_JIS, EUC, GB2312, "
                "KOI8...); declare the encoding the feed is really in",
            )
        text = data.decode(encoding, _FALLBACK)
    else:
        try:
            text = _decoded(data, encoding)
        except UnicodeDecodeError as exc:
            raise _not_encoded(source, data, exc.start, encoding, "") from None
    text = _DECLARATION_ENCODING.sub(r'\1"utf-8"', text, count=1)
    return text.encode("utf-8", "replace")  # "replace": lone surrogates


_DECLARE = "; declare the encoding in the XML declaration"
# Stray Windows-1252 bytes in a "UTF-8" feed are accented letters and quotes,
# one or two at a time between ASCII ("r\xe9\xe9lu"): read as Windows-1252.
# Japanese, Chinese, Korean or Cyrillic text in a legacy encoding is runs of
# such bytes, which that would turn into mojibake: refused instead.
LEGACY_RUN = 4


def _legacy_run(data: bytes) -> int | None:
    """The line where LEGACY_RUN bytes in a row are not UTF-8, if any."""
    text = data.decode("utf-8", "replace")  # one U+FFFD per bad sequence
    found = text.find("\ufffd" * LEGACY_RUN)
    return None if found < 0 else text.count("\n", 0, found) + 1


def _utf8_error(data: bytes) -> int | None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return None


def _decoded(data: bytes, encoding: str) -> str:
    """The text, in the label's superset if need be; else UnicodeDecodeError."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        if encoding not in _SUPERSETS:
            raise
        return data.decode(_SUPERSETS[encoding])


def _not_encoded(
    source: str, data: bytes, at: int, name: str, hint: str
) -> SourceError:
    line = data[:at].decode(name, "replace").count("\n") + 1
    label = "UTF-8" if name == "utf-8" else name
    return SourceError(source, line, f"not {label} text (byte 0x{data[at]:02x}){hint}")


def _encoding(
    data: bytes, source: str, charset: str | None, label: str | None
) -> tuple[str, bool]:
    """The codec to read the document with, and whether it was declared."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, True
    for pattern, name in _WIDE:
        if pattern.match(data):
            return name, True
    if re.match(rb"\0\0[^\0]\0|\0[^\0]\0\0", data):
        raise SourceError(source, 1, "UCS-4 in an unusual byte order cannot be read")
    served = _codec(charset, source, "the server's Content-Type") if charset else None
    declared = _codec(label, source, "the XML declaration") if label else None
    if served and declared and served != declared:
        return _agreed(data, source, served, declared), True
    chosen = served or declared
    return (chosen, True) if chosen else ("utf-8", False)


def _codec(label: str, source: str, where: str) -> str | None:
    """Python's codec for an encoding label, None for UTF-16/32 (which bytes
    read as ASCII are not, whatever the label says: a common mistake)."""
    try:
        name = codecs.lookup(label).name
    except LookupError:
        line = 1 if where == "the XML declaration" else None
        raise SourceError(
            source, line, f"unknown character encoding {label!r} in {where}"
        ) from None
    if name.startswith(("utf-16", "utf-32")):
        return None
    return "cp1252" if name in _AS_CP1252 else name


def _agreed(data: bytes, source: str, served: str, declared: str) -> str:
    """Which of the server's charset and the XML declaration the bytes bear out."""
    texts: dict[str, str] = {}
    for name in (served, declared):
        with contextlib.suppress(UnicodeDecodeError):
            texts[name] = _decoded(data, name)
    if len(set(texts.values())) == 1:  # only one reads it, or both alike
        return next(iter(texts))
    if "utf-8" in texts:  # non-ASCII text that is valid UTF-8 is UTF-8
        return "utf-8"
    if not texts:  # neither: the error is told in the server's terms
        return served
    raise SourceError(
        source,
        None,
        f"the server says the encoding is {served}, the XML declaration "
        f"{declared}, and the bytes could be either",
    )


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
