"""RSS 0.9x/1.0/2.0 and Atom feeds: one RawRecord per entry, in bounded memory.

feedparser knows the dialects (dates, content types, enclosures, Media RSS),
but ``feedparser.parse`` holds the whole document and every parsed entry:
about 350 MB for 100,000 entries, and takes 0.4 ms an entry. So lxml's pull
parser cuts the document into chunks of CHUNK_ENTRIES entries, and each
entry is read straight from its lxml element where feed_fast knows how
feedparser would read it. The others are wrapped in a copy of the original
root element (so namespace prefixes such as media: still resolve) and
feedparser reads them, a chunk at a time; it stays the reference, and
_read_feed_feedparser reads everything that way for tests to compare.
Entries are numbered from 1; feeds have no useful line numbers.

Before lxml sees the bytes they are made UTF-8 and the slips feedparser
tolerates without losing anything are repaired: windows-1252 bytes in a
"UTF-8" feed, a bare "&" or "<", HTML entities such as &eacute;. Anything
else that is not well-formed XML is a SourceError with its line.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Callable, Iterator
from html.entities import name2codepoint
from typing import Any, BinaryIO, NamedTuple

import feedparser  # type: ignore[import-untyped]
from lxml import etree  # type: ignore[import-untyped]

from enews.collect import feed_fast
from enews.collect.feed_fast import HTML_TYPES, plain_text, title_text
from enews.collect.records import FORMAT_FIELD, RawRecord, SourceError

__all__ = ["plain_text", "read_feed"]

CHUNK_ENTRIES = 500
READ_BYTES = 1 << 16

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
_MEDIA = ("http://search.yahoo.com/mrss/", "http://search.yahoo.com/mrss")
_MEDIA_TEXT = tuple(
    f"{{{ns}}}{name}" for ns in _MEDIA for name in ("description", "title")
)


def read_feed(
    stream: BinaryIO, *, source: str, kind: str | None = None
) -> Iterator[RawRecord]:
    """Yield one record per feed entry; raise SourceError for an unreadable feed.

    ``kind``, when given, is every entry's kind; otherwise an entry's first
    category is. ``summary`` is passed on as feedparser gives it, unsanitized
    (the importer sanitizes all HTML alike).
    """
    return _records(stream, source, kind, _read_chunk)


def _read_feed_feedparser(
    stream: BinaryIO, *, source: str, kind: str | None = None
) -> Iterator[RawRecord]:
    """read_feed with feedparser reading every entry: the reference."""
    return _records(stream, source, kind, _parse_chunk)


_ChunkReader = Callable[["_Wrapper", list["_Entry"], str | None], list[dict[str, str]]]


def _records(
    stream: BinaryIO, source: str, kind: str | None, read_chunk: _ChunkReader
) -> Iterator[RawRecord]:
    number = 0
    for wrapper, entries in _chunks(stream, source):
        for fields in read_chunk(wrapper, entries, kind):
            number += 1
            yield RawRecord(line=number, fields=fields)


def _read_chunk(
    wrapper: _Wrapper, entries: list[_Entry], kind: str | None
) -> list[dict[str, str]]:
    """Each entry's fields: by feed_fast where it can, else by feedparser."""
    context = wrapper.context()
    if context is None:
        return _parse_chunk(wrapper, entries, kind)
    try:
        found = [feed_fast.read_entry(e.element, context, kind, e.alt) for e in entries]
    except feed_fast.WholeChunk:
        return _parse_chunk(wrapper, entries, kind)
    left = [n for n, fields in enumerate(found) if fields is None]
    if left:
        parsed = _parse_chunk(wrapper, [entries[n] for n in left], kind)
        if len(parsed) != len(left):  # nested entries: as the reference reads them
            return _parse_chunk(wrapper, entries, kind)
        for n, fields in zip(left, parsed, strict=True):
            found[n] = fields
    return [fields for fields in found if fields is not None]  # (all are now)


def _parse_chunk(
    wrapper: _Wrapper, entries: list[_Entry], kind: str | None
) -> list[dict[str, str]]:
    """feedparser's reading of the entries, in a copy of their ancestors."""
    body = b"".join(
        etree.tostring(entry.element, encoding="utf-8", with_tail=False)
        for entry in entries
    )
    parsed = _parse(wrapper.head + body + wrapper.tail, wrapper.source)
    alts = [entry.alt for entry in entries]
    if len(parsed.entries) != len(alts):  # never seen: rather no alt than
        alts = [None] * len(parsed.entries)  # another entry's alt
    return [
        _fields(entry, kind, alt)
        for entry, alt in zip(parsed.entries, alts, strict=True)
    ]


def _parse(document: bytes, source: str) -> Any:
    headers = {"content-type": "application/xml; charset=utf-8"}
    if _is_url(source):
        headers["content-location"] = source  # base for relative links
    return feedparser.parse(
        io.BytesIO(document), sanitize_html=False, response_headers=headers
    )


def _is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


# -- from feedparser's entry to our fields -------------------------------------


def _fields(entry: Any, kind: str | None, media_alt: str | None) -> dict[str, str]:
    fields: dict[str, str] = {}
    title = _title(entry)
    _put(fields, "title", title)
    _put(fields, "url", entry.get("link"))
    _put(fields, "date", _date(entry))
    summary, summary_format = _summary(entry)
    if summary is not None:
        fields["summary"] = summary
        fields[FORMAT_FIELD] = summary_format
    _put(fields, "kind", kind if kind is not None else _first_term(entry))
    image = _image(entry)
    if image:
        fields["image"] = image
        fields["image_alt"] = media_alt or title or ""
    return fields


def _put(fields: dict[str, str], key: str, value: str | None) -> None:
    if value is not None:
        fields[key] = value.strip()


def _title(entry: Any) -> str | None:
    if "title" not in entry:
        return None
    detail = entry.get("title_detail") or {}
    return title_text(str(entry["title"]), detail.get("type"))


def _date(entry: Any) -> str | None:
    # feedparser's *_parsed are in UTC. A date it cannot read is passed on as
    # written, so the importer reports the bad value rather than "required".
    # dict.get: entry.get("updated…") falls back to "published…" with a
    # DeprecationWarning (feedparser issue 310).
    for key in ("published_parsed", "updated_parsed"):
        if parsed := dict.get(entry, key):
            return f"{parsed.tm_year:04d}-{parsed.tm_mon:02d}-{parsed.tm_mday:02d}"
    raw = dict.get(entry, "published") or dict.get(entry, "updated")
    return str(raw) if raw else None


def _summary(entry: Any) -> tuple[str | None, str]:
    if "summary" not in entry:
        return None, "text"
    # An Atom entry with only <content> gets it as summary, without a detail.
    detail = entry.get("summary_detail") or (entry.get("content") or [{}])[0]
    html = detail.get("type") in HTML_TYPES
    return str(entry["summary"]), "html" if html else "text"


def _first_term(entry: Any) -> str | None:
    for tag in entry.get("tags") or ():
        term = (tag.get("term") or "").strip()
        if term:
            return str(term)
    return None


def _image(entry: Any) -> str | None:
    # Relative URLs are made absolute against the entry's base URI.
    detail = entry.get("title_detail") or entry.get("summary_detail") or {}
    return feed_fast.pick_image(
        entry.get("enclosures") or (),
        entry.get("media_content") or (),
        entry.get("media_thumbnail") or (),
        detail.get("base") or "",
    )


# -- cutting the document into chunks ------------------------------------------


class _Entry(NamedTuple):
    element: Any  # lxml's, complete; dropped once its chunk is read
    alt: str | None  # its Media RSS alt text


def _chunks(stream: BinaryIO, source: str) -> Iterator[tuple[_Wrapper, list[_Entry]]]:
    """Yield up to CHUNK_ENTRIES entries at a time, with their wrapper."""
    wrapper: _Wrapper | None = None
    entries: list[_Entry] = []
    media = False  # whether the entry has media:title or media:description
    for event, element in _events(stream, source):
        if event == "root":
            if wrapper is None:
                _check_no_entries(element, source)
        elif _in_entry(element):  # only outermost entries count
            media = media or element.tag in _MEDIA_TEXT
        elif element.tag not in _MEDIA_TEXT:  # an entry has ended
            if wrapper is None:
                wrapper = _wrapper(element, source)
            entries.append(_Entry(element, _take_media_alt(element) if media else None))
            media = False
        if wrapper and entries and (len(entries) == CHUNK_ENTRIES or event == "root"):
            yield wrapper, entries
            for entry in entries:  # read: keep the tree (and memory) small
                _drop(entry.element)
            entries = []


def _in_entry(element: Any) -> bool:
    return next(element.iterancestors(*ENTRY_TAGS), None) is not None


def _events(stream: BinaryIO, source: str) -> Iterator[tuple[str, Any]]:
    """The end of each entry and Media RSS text, then ("root", the root).

    Not lenient about broken XML: libxml2's recovery loses data silently
    (an empty title, the rest of a file after a bad attribute), so the
    first error stops the import with its line. The lossless repairs that
    feedparser makes too are done before, in _clean_bytes.
    """
    parser = etree.XMLPullParser(
        events=("end",),
        tag=ENTRY_TAGS + _MEDIA_TEXT,
        resolve_entities="internal",  # the document's own; never a file (XXE)
        no_network=True,
    )
    try:
        for data in _clean_bytes(stream, source):
            parser.feed(data)
            yield from parser.read_events()
        root = parser.close()
        yield from parser.read_events()
    except etree.XMLSyntaxError as exc:
        reason = _POSITION.sub("", exc.msg or "not well-formed XML")
        raise _not_a_feed(source, exc.lineno, reason) from None
    yield "root", root


_POSITION = re.compile(r", line \d+, column \d+$")  # SourceError has the line


def _check_no_entries(root: Any, source: str) -> None:
    """No entries is fine for a feed that has none yet, not for other XML."""
    if root.tag not in FEED_ROOTS:
        name = etree.QName(root).localname
        raise _not_a_feed(
            source, None, f"the document is <{name}>, not <rss> or <feed>"
        )


def _not_a_feed(source: str, line: int | None, reason: str) -> SourceError:
    return SourceError(source, line or None, f"not a valid RSS or Atom feed: {reason}")


_MARK = b"enews-entries-go-here"


class _Wrapper:
    """The text before and after the entries: copies of their ancestors.

    The ancestors keep their attributes (RSS version, xml:base, xml:lang)
    and namespace declarations, which feedparser needs to read entries as
    the original document would.
    """

    def __init__(
        self, head: bytes, tail: bytes, source: str, ancestors: list[dict[str, str]]
    ) -> None:
        self.head, self.tail, self.source = head, tail, source
        self.ancestors = ancestors  # their attributes, outermost first
        self._context: feed_fast.FeedContext | None = None
        self._known = False

    def context(self) -> feed_fast.FeedContext | None:
        """What feedparser knows when it reaches the entries (None: no fast path)."""
        if not self._known:
            # The wrapper alone tells feedparser's idea of the feed's version.
            version = _parse(self.head + self.tail, self.source).version
            location = self.source if _is_url(self.source) else ""
            self._context = feed_fast.feed_context(version, location, self.ancestors)
            self._known = True
        return self._context


def _wrapper(entry: Any, source: str) -> _Wrapper:
    outer: Any = None
    inner: Any = None
    ancestors = list(reversed(list(entry.iterancestors())))
    for ancestor in ancestors:
        attrib, nsmap = dict(ancestor.attrib), ancestor.nsmap
        try:
            if inner is None:
                outer = inner = etree.Element(ancestor.tag, attrib, nsmap=nsmap)
            else:
                inner = etree.SubElement(inner, ancestor.tag, attrib, nsmap=nsmap)
        except ValueError as exc:  # libxml2 only warns of e.g. "a b" as a URI
            raise _not_a_feed(source, ancestor.sourceline, str(exc)) from None
    attributes = [dict(ancestor.attrib) for ancestor in ancestors]
    if outer is None:  # the entry is the document (an Atom entry document)
        return _Wrapper(b'<?xml version="1.0" encoding="utf-8"?>\n', b"", source, [])
    inner.append(etree.Comment(_MARK.decode()))
    document = etree.tostring(outer, encoding="utf-8", xml_declaration=True)
    head, _, tail = document.partition(b"<!--" + _MARK + b"-->")
    return _Wrapper(head, tail, source, attributes)


def _drop(element: Any) -> None:
    element.clear()
    parent = element.getparent()
    if parent is not None:
        parent.remove(element)


def _take_media_alt(entry: Any) -> str | None:
    """The entry's media:description (else media:title) as plain text.

    feedparser maps media:description and media:title onto the entry's own
    summary and title, overwriting them (kurtmckee/feedparser#53), so they
    are removed here when the entry has its own; an entry that has only
    them (YouTube-style) keeps them as its title and summary.
    """
    found = list(entry.iter(*_MEDIA_TEXT))
    if not found:
        return None
    own = {etree.QName(child).localname for child in entry if _is_core(child)}
    texts = {"description": "", "title": ""}
    for element in found:
        name = etree.QName(element).localname
        texts[name] = texts[name] or _element_text(element)
        if own & _OVERWRITES[name]:
            _drop(element)
    return texts["description"] or texts["title"] or None


# The entry elements that feedparser's reading of media:* would overwrite.
_OVERWRITES = {
    "title": {"title"},
    "description": {"description", "summary", "content", "encoded"},
}


def _is_core(child: Any) -> bool:
    return isinstance(child.tag, str) and etree.QName(child).namespace not in _MEDIA


def _element_text(element: Any) -> str:
    text = "".join(element.itertext())
    if element.get("type") == "html":
        return plain_text(text)
    return " ".join(text.split())


# -- bytes before lxml: UTF-8, with the repairs feedparser would make --------

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
    # windows-1252, as feedparser would, rather than turning them into "\ufffd".
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    return bad.decode("cp1252", errors="replace"), exc.end


codecs.register_error(_FALLBACK, _cp1252_fallback)


def _clean_bytes(stream: BinaryIO, source: str) -> Iterator[bytes]:
    """The stream as UTF-8 (declaration adjusted), then _Repairs applied."""
    first = _first_content(stream, source)
    encoding = _encoding(first, source)
    errors = _FALLBACK if encoding.startswith("utf-8") else "replace"
    decoder = codecs.getincrementaldecoder(encoding)(errors=errors)
    text = _DECLARATION_ENCODING.sub(r'\1"utf-8"', decoder.decode(first), count=1)
    repairs = _Repairs()
    yield repairs.fix(text.encode("utf-8", "replace"))
    while data := stream.read(READ_BYTES):
        yield repairs.fix(decoder.decode(data).encode("utf-8", "replace"))
    yield repairs.fix(decoder.decode(b"", final=True).encode("utf-8", "replace"), True)


def _first_content(stream: BinaryIO, source: str) -> bytes:
    first = b""
    while not first.strip(b" \t\r\n\xef\xbb\xbf\xff\xfe\x00"):
        data = stream.read(READ_BYTES)
        if not data:
            raise SourceError(source, None, "the file is empty")
        first += data
    return first


def _encoding(first: bytes, source: str) -> str:
    for bom, name in _BOMS:
        if first.startswith(bom):
            return name
    declared = _DECLARED.match(first)
    if not declared:
        return "utf-8"
    label = declared.group(1).decode("ascii")
    try:
        name = codecs.lookup(label).name
    except LookupError:
        raise SourceError(
            source, 1, f"unknown character encoding {label!r} in the XML declaration"
        ) from None
    if name in _AS_CP1252:
        return "cp1252"
    # The declaration was readable as ASCII, so the bytes are not UTF-16/32
    # whatever it says (a common mistake).
    return "utf-8" if name.startswith(("utf-16", "utf-32")) else name


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


def _repair(match: re.Match[bytes]) -> bytes:
    if match.group(0) == b"<":
        return b"&lt;"
    name = match.group(1)
    if name is None:
        return b"&amp;"
    codepoint = name2codepoint.get(name[:-1].decode("ascii"))
    # Anything else may be declared in the document's DTD; lxml decides.
    return b"&#%d;" % codepoint if codepoint else match.group(0)


class _Repairs:
    """Applies _repair outside CDATA sections, across chunk boundaries.

    Only text up to the last ">" is processed: a reference never contains
    ">", and neither "<![CDATA[" nor "]]>" can straddle that point.
    """

    def __init__(self) -> None:
        self.pending = b""
        self.in_cdata = False

    def fix(self, data: bytes, final: bool = False) -> bytes:
        data = self.pending + data
        cut = len(data) if final else data.rfind(b">") + 1
        if not final and cut == 0 and len(data) < 1 << 20:
            self.pending = data
            return b""
        cut = cut or len(data)  # 1 MB without ">": stop waiting for one
        self.pending = data[cut:]
        data = data[:cut]
        if not (_NEEDS_REPAIR_AMP.search(data) or _NEEDS_REPAIR_LT.search(data)):
            # Nothing to repair, in CDATA or not: the usual case, made fast.
            self.in_cdata = self._ends_in_cdata(data)
            return data
        return b"".join(self._segments(data))

    def _ends_in_cdata(self, data: bytes) -> bool:
        """Where _segments would leave in_cdata (the last marker decides)."""
        close = data.rfind(b"]]>")
        if close < 0 and self.in_cdata:
            return True
        return data.rfind(b"<![CDATA[") > close

    def _segments(self, data: bytes) -> Iterator[bytes]:
        start = 0
        while start < len(data):
            marker = b"]]>" if self.in_cdata else b"<![CDATA["
            found = data.find(marker, start)
            stop = len(data) if found < 0 else found + len(marker)
            part = data[start:stop]
            yield part if self.in_cdata else _NEEDS_REPAIR.sub(_repair, part)
            if found >= 0:
                self.in_cdata = not self.in_cdata
            start = stop
