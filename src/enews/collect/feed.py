"""RSS 0.9x/1.0/2.0 and Atom feeds: one RawRecord per entry.

feedparser knows the dialects (dates, content types, relative links,
enclosures, Media RSS) and reads the feed; lxml checks it first
(feed_xml: strict XML, with its line when it is not, after the repairs
that lose nothing), and keeps Media RSS text out of feedparser's way.
Entries are numbered from 1; feeds have no useful line numbers.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Mapping
from html.parser import HTMLParser
from typing import Any, BinaryIO
from urllib.parse import urljoin

import feedparser  # type: ignore[import-untyped]
from lxml import etree  # type: ignore[import-untyped]

from enews.collect import feed_xml
from enews.collect.records import FORMAT_FIELD, RawRecord

__all__ = ["HTML_TYPES", "plain_text", "read_feed", "title_text"]

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_MEDIA = ("http://search.yahoo.com/mrss/", "http://search.yahoo.com/mrss")
_MEDIA_TEXT = tuple(
    f"{{{ns}}}{name}" for ns in _MEDIA for name in ("description", "title")
)


def read_feed(
    stream: BinaryIO,
    *,
    source: str,
    kind: str | None = None,
    content_type: str | None = None,
) -> Iterator[RawRecord]:
    """Yield one record per feed entry; raise SourceError for an unreadable feed.

    ``kind``, when given, is every entry's kind; otherwise an entry's first
    category is. ``summary`` is passed on as feedparser gives it, unsanitized
    (the importer sanitizes all HTML alike). ``content_type`` is the one a
    server sent with the feed: its charset tells the encoding.
    """
    data = feed_xml.read_document(stream, source)
    charset = feed_xml.charset_of(content_type)
    root = feed_xml.parse_document(data, source, charset)
    del data
    alts = _take_media_alts(root)
    empty_problem = feed_xml.why_no_entries(root, source)
    document = feed_xml.serialized(root)
    del root  # the tree is no longer needed: free it before feedparser runs
    entries = _parse(document, source).entries
    if not entries and empty_problem:
        raise empty_problem
    if len(alts) != len(entries):  # nested entries: rather no alt than
        alts = [None] * len(entries)  # another entry's alt
    for number, (entry, alt) in enumerate(zip(entries, alts, strict=True), 1):
        yield RawRecord(line=number, fields=_fields(entry, kind, alt))


def _parse(document: bytes, source: str) -> Any:
    # The document is well-formed UTF-8: feedparser's strict parser reads it.
    headers = {"content-type": "application/xml; charset=utf-8"}
    if source.lower().startswith(("http://", "https://")):
        headers["content-location"] = source  # base for relative links
    return feedparser.parse(
        io.BytesIO(document), sanitize_html=False, response_headers=headers
    )


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
    return _pick_image(
        entry.get("enclosures") or (),
        entry.get("media_content") or (),
        entry.get("media_thumbnail") or (),
        detail.get("base") or "",
    )


def _pick_image(
    enclosures: Iterable[Mapping[str, Any]],
    media: Iterable[Mapping[str, Any]],
    thumbnails: Iterable[Mapping[str, Any]],
    base: str,
) -> str | None:
    """The first image enclosure, else Media RSS image, else thumbnail."""
    for enclosure in enclosures:
        if _is_image_type(enclosure.get("type")) and enclosure.get("href"):
            return _absolute(enclosure["href"], base)
    for item in media:
        is_image = item.get("medium") == "image" or _is_image_type(item.get("type"))
        if is_image and item.get("url"):
            return _absolute(item["url"], base)
    for thumbnail in thumbnails:
        if thumbnail.get("url"):
            return _absolute(thumbnail["url"], base)
    return None


def _absolute(url: str, base: str) -> str:
    # feedparser resolves links and HTML against xml:base or the feed's URL,
    # but not enclosure or media URLs; an e-mail needs absolute ones.
    return urljoin(base, url.strip())


def _is_image_type(value: object) -> bool:
    return isinstance(value, str) and value.strip().lower().startswith("image/")


# -- plain text ------------------------------------------------------------------


def title_text(title: str, content_type: str | None) -> str:
    """A title as one line of plain text."""
    if content_type in HTML_TYPES:
        return plain_text(title)
    return " ".join(title.split())


def plain_text(markup: str) -> str:
    """The text of an HTML fragment: tags dropped, entities decoded, one line."""
    parser = _TextOnly()
    parser.feed(markup)
    parser.close()
    return " ".join("".join(parser.parts).split())


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


# -- Media RSS text, kept out of feedparser's way -------------------------------


def _take_media_alts(root: Any) -> list[str | None]:
    """Each outermost entry's Media RSS alt text, in document order.

    feedparser maps media:description and media:title onto the entry's own
    summary and title (kurtmckee/feedparser#53): a media:description that
    comes before the entry's description becomes its summary, and one that
    comes after its content, where nothing tells it from content:encoded.
    So they are read here, and taken out of the tree when the entry has its
    own; an entry that has only them (YouTube-style) keeps them as its title
    and summary.
    """
    return [
        _take_media_alt(entry)
        for entry in root.iter(*feed_xml.ENTRY_TAGS)
        if next(entry.iterancestors(*feed_xml.ENTRY_TAGS), None) is None
    ]


def _take_media_alt(entry: Any) -> str | None:
    """The entry's media:description (else media:title) as plain text."""
    found = list(entry.iter(*_MEDIA_TEXT))
    if not found:
        return None
    own = {etree.QName(child).localname for child in entry if _is_core(child)}
    texts = {"description": "", "title": ""}
    for element in found:
        name = etree.QName(element).localname
        texts[name] = texts[name] or _element_text(element)
        if own & _OVERWRITES[name]:
            element.getparent().remove(element)
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
