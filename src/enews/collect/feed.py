"""RSS 0.9x/1.0/2.0 and Atom feeds: one RawRecord per entry, in bounded memory.

feedparser knows the dialects (dates, content types, enclosures, Media RSS),
but ``feedparser.parse`` holds the whole document and every parsed entry:
about 350 MB for 100,000 entries. So every feed, small or large, takes one
path: lxml's pull parser cuts the document into chunks of CHUNK_ENTRIES
entries, each wrapped in a copy of the original root element (so namespace
prefixes such as media: still resolve), and feedparser reads one chunk at a
time. Entries are numbered from 1; feeds have no useful line numbers.

Before lxml sees the bytes they are made UTF-8 and the slips feedparser
tolerates without losing anything are repaired: windows-1252 bytes in a
"UTF-8" feed, a bare "&" or "<", HTML entities such as &eacute;. Anything
else that is not well-formed XML is a SourceError with its line.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterator
from html.entities import name2codepoint
from html.parser import HTMLParser
from typing import Any, BinaryIO
from urllib.parse import urljoin

import feedparser  # type: ignore[import-untyped]
from lxml import etree  # type: ignore[import-untyped]

from enews.collect.records import FORMAT_FIELD, RawRecord, SourceError

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
_HTML_TYPES = {"text/html", "application/xhtml+xml"}


def read_feed(
    stream: BinaryIO, *, source: str, kind: str | None = None
) -> Iterator[RawRecord]:
    """Yield one record per feed entry; raise SourceError for an unreadable feed.

    ``kind``, when given, is every entry's kind; otherwise an entry's first
    category is. ``summary`` is passed on as feedparser gives it, unsanitized
    (the importer sanitizes all HTML alike).
    """
    headers = {"content-type": "application/xml; charset=utf-8"}
    if source.lower().startswith(("http://", "https://")):
        headers["content-location"] = source  # base for relative links
    number = 0
    for document, alts in _chunks(stream, source):
        parsed = feedparser.parse(
            io.BytesIO(document), sanitize_html=False, response_headers=headers
        )
        if len(parsed.entries) != len(alts):  # never seen: rather no alt than
            alts = [None] * len(parsed.entries)  # another entry's alt
        for entry, alt in zip(parsed.entries, alts, strict=True):
            number += 1
            yield RawRecord(line=number, fields=_fields(entry, kind, alt))


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
    if detail.get("type") in _HTML_TYPES:
        return plain_text(entry["title"])
    return " ".join(str(entry["title"]).split())


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
    html = detail.get("type") in _HTML_TYPES
    return str(entry["summary"]), "html" if html else "text"


def _first_term(entry: Any) -> str | None:
    for tag in entry.get("tags") or ():
        term = (tag.get("term") or "").strip()
        if term:
            return str(term)
    return None


def _image(entry: Any) -> str | None:
    for enclosure in entry.get("enclosures") or ():
        if _is_image_type(enclosure.get("type")) and enclosure.get("href"):
            return _absolute(enclosure["href"], entry)
    for media in entry.get("media_content") or ():
        is_image = media.get("medium") == "image" or _is_image_type(media.get("type"))
        if is_image and media.get("url"):
            return _absolute(media["url"], entry)
    for thumbnail in entry.get("media_thumbnail") or ():
        if thumbnail.get("url"):
            return _absolute(thumbnail["url"], entry)
    return None


def _absolute(url: str, entry: Any) -> str:
    # feedparser resolves links and HTML against xml:base or the feed's URL,
    # but not enclosure or media URLs; an e-mail needs absolute ones.
    detail = entry.get("title_detail") or entry.get("summary_detail") or {}
    return urljoin(detail.get("base") or "", url.strip())


def _is_image_type(value: object) -> bool:
    return isinstance(value, str) and value.strip().lower().startswith("image/")


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0  # inside <script> or <style>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hidden += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def plain_text(markup: str) -> str:
    """The text of an HTML fragment: tags dropped, entities decoded, one line."""
    parser = _TextOnly()
    parser.feed(markup)
    parser.close()
    return " ".join("".join(parser.parts).split())


# -- cutting the document into chunks ------------------------------------------


def _chunks(stream: BinaryIO, source: str) -> Iterator[tuple[bytes, list[str | None]]]:
    """Yield (a small feed document, each entry's Media RSS alt text)."""
    wrap = (b"", b"")
    entries: list[bytes] = []
    alts: list[str | None] = []
    depth = 0  # nesting of entry elements: only outermost ones count
    found = 0
    for event, element in _events(stream, source):
        if event == "start":
            if depth == 0 and not found and not entries:
                wrap = _wrapper(element, source)
            depth += 1
        elif event == "end":
            depth -= 1
            if depth == 0:
                alts.append(_take_media_alt(element))
                entries.append(
                    etree.tostring(element, encoding="utf-8", with_tail=False)
                )
                _drop(element)
        elif not (found or entries):  # "root": the document has ended
            _check_no_entries(element, source)
        if len(entries) == CHUNK_ENTRIES or (event == "root" and entries):
            found += len(entries)
            yield wrap[0] + b"".join(entries) + wrap[1], alts
            entries, alts = [], []


def _events(stream: BinaryIO, source: str) -> Iterator[tuple[str, Any]]:
    """Start and end of each entry element, then ("root", the root element).

    Not lenient about broken XML: libxml2's recovery loses data silently
    (an empty title, the rest of a file after a bad attribute), so the
    first error stops the import with its line. The lossless repairs that
    feedparser makes too are done before, in _clean_bytes.
    """
    parser = etree.XMLPullParser(
        events=("start", "end"),
        tag=ENTRY_TAGS,
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


def _wrapper(entry: Any, source: str) -> tuple[bytes, bytes]:
    """The text before and after the entries: copies of their ancestors.

    The ancestors keep their attributes (RSS version, xml:base, xml:lang)
    and namespace declarations, which feedparser needs to read entries as
    the original document would.
    """
    outer: Any = None
    inner: Any = None
    for ancestor in reversed(list(entry.iterancestors())):
        attrib, nsmap = dict(ancestor.attrib), ancestor.nsmap
        try:
            if inner is None:
                outer = inner = etree.Element(ancestor.tag, attrib, nsmap=nsmap)
            else:
                inner = etree.SubElement(inner, ancestor.tag, attrib, nsmap=nsmap)
        except ValueError as exc:  # libxml2 only warns of e.g. "a b" as a URI
            raise _not_a_feed(source, ancestor.sourceline, str(exc)) from None
    if outer is None:  # the entry is the document (an Atom entry document)
        return b'<?xml version="1.0" encoding="utf-8"?>\n', b""
    inner.append(etree.Comment(_MARK.decode()))
    document = etree.tostring(outer, encoding="utf-8", xml_declaration=True)
    head, _, tail = document.partition(b"<!--" + _MARK + b"-->")
    return head, tail


def _drop(element: Any) -> None:
    # The entry is serialised; removing it keeps the tree (and memory) small.
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
_NEEDS_REPAIR = re.compile(
    rb"&(?!#[0-9]+;|#[xX][0-9A-Fa-f]+;|(?:amp|lt|gt|quot|apos);)([A-Za-z][A-Za-z0-9]*;)?"
    rb"|<(?![A-Za-z_:/!?\x80-\xff])"
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
        return b"".join(self._segments(data[:cut]))

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
