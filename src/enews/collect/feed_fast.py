"""The fast path of feed.py: an entry's fields read straight from lxml.

feedparser is the reference, but reading 100,000 entries through it costs
about 0.4 ms each, nearly all of it in pure-Python SAX handlers. This module
reads the same fields from the element that lxml has already parsed, doing
what feedparser's handlers would do for the shapes that real feeds use:
text and HTML titles and summaries, links, RFC 822 and W3C dates,
categories, enclosures and Media RSS. Where that would take imitating more
of feedparser than is worth it, ``read_entry`` returns None and feed.py
hands the entry to feedparser, so the records are the same either way.

Where feedparser's own helpers are cheap they are called rather than
copied (relative-URL resolution, the HTML guess, the windows-1252 table);
feedparser's re-serialisation of HTML is not cheap, so the HTML section
below redoes it for well-formed markup and calls feedparser for the rest.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from html.entities import name2codepoint
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

from feedparser.datetimes import rfc822  # type: ignore[import-untyped]
from feedparser.html import (  # type: ignore[import-untyped]
    _BaseHTMLProcessor,
    _cp1252,
)
from feedparser.mixin import _FeedParserMixin  # type: ignore[import-untyped]
from feedparser.urls import (  # type: ignore[import-untyped]
    RelativeURIResolver,
    _urljoin,
    make_safe_absolute_uri,
    resolve_relative_uris,
)
from feedparser.util import FeedParserDict  # type: ignore[import-untyped]

from enews.collect.records import FORMAT_FIELD

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


# -- shared with feed.py's reading of feedparser's entries ----------------------


def title_text(title: str, content_type: str | None) -> str:
    """A title as one line of plain text."""
    if content_type in HTML_TYPES:
        return plain_text(title)
    return " ".join(title.split())


def pick_image(
    enclosures: Iterable[Mapping[str, Any]],
    media: Iterable[Mapping[str, Any]],
    thumbnails: Iterable[Mapping[str, Any]],
    base: str,
) -> str | None:
    """The first image enclosure, else Media RSS image, else thumbnail."""
    for enclosure in enclosures:
        if is_image_type(enclosure.get("type")) and enclosure.get("href"):
            return absolute(enclosure["href"], base)
    for item in media:
        is_image = item.get("medium") == "image" or is_image_type(item.get("type"))
        if is_image and item.get("url"):
            return absolute(item["url"], base)
    for thumbnail in thumbnails:
        if thumbnail.get("url"):
            return absolute(thumbnail["url"], base)
    return None


def absolute(url: str, base: str) -> str:
    # feedparser resolves links and HTML against xml:base or the feed's URL,
    # but not enclosure or media URLs; an e-mail needs absolute ones.
    return urljoin(base, url.strip())


def is_image_type(value: object) -> bool:
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


# -- the feed around the entries -------------------------------------------------


@dataclass(frozen=True)
class FeedContext:
    """What feedparser knows about the feed when it reaches an entry."""

    atom: bool  # feedparser guesses HTML in "plain" text except in Atom feeds
    base: str  # its base URI for the entries' parent element


def feed_context(
    version: str, location: str, ancestors: Iterable[Mapping[str, str]]
) -> FeedContext | None:
    """The context for a feed's entries, or None to leave them to feedparser.

    ``version`` is feedparser's for the feed ("" when it does not know one),
    ``location`` its Content-Location, ``ancestors`` the attributes of the
    entries' ancestors, outermost first.
    """
    if not version:
        return None
    # feedparser.api.parse's base, then each ancestor's, as unknown_starttag does
    base = make_safe_absolute_uri("", location) or make_safe_absolute_uri(location)
    base = str(base or "")
    try:
        for attributes in ancestors:
            base = _inner_base(base, _base_attribute(attributes))
    except _Unsupported:
        return None
    return FeedContext(atom=version.startswith("atom"), base=base)


class WholeChunk(Exception):
    """feedparser might carry state from this entry into the next ones.

    It does with xml:base when no element above has a base URI: the URI
    stays in force after the element ends. Only reading the chunk as a
    whole with feedparser gives the same result then.
    """


class _Unsupported(Exception):
    """Something in the entry that this module does not read as feedparser."""


def _inner_base(base: str, value: str | None = None) -> str:
    """feedparser's base URI inside an element: its xml:base, else the parent's."""
    return _inner_base_cached(base, value or base)


@functools.lru_cache(maxsize=256)
def _inner_base_cached(base: str, value: str) -> str:
    if base:
        return str(make_safe_absolute_uri(base, value) or base)
    return str(_urljoin(base, value))


def _base_attribute(element: Any) -> str | None:
    """The xml:base (or bare base) that feedparser would see on an element."""
    found: dict[str, str] = {}
    for key, value in element.items():
        namespace, _, name = key[1:].rpartition("}") if key[0] == "{" else ("", "", key)
        if name.lower() == "base":
            if namespace not in ("", _XML):
                raise _Unsupported  # feedparser reads it as a bare "base" too
            found[namespace] = value
    return found.get(_XML, found.get(""))


_XML = "http://www.w3.org/XML/1998/namespace"


def _has_base(element: Any, keys: list[str]) -> bool:
    # a quick test for the usual element without, then the exact one
    return "base" in " ".join(keys).lower() and _base_attribute(element) is not None


# -- reading one entry -------------------------------------------------------------


def read_entry(
    entry: Any, context: FeedContext, kind: str | None, media_alt: str | None
) -> dict[str, str] | None:
    """The entry's fields as feed.py makes them from feedparser, or None.

    None means: read this entry with feedparser. Raises WholeChunk when the
    entry would change how feedparser reads the entries after it.
    """
    try:
        reader = _Reader(context.atom, _entry_base(entry, context))
        reader.walk(entry, 1)
        return reader.fields(kind, media_alt)
    except _Unsupported:
        if _any_base(entry):  # which feedparser might carry into the next entries
            raise WholeChunk from None
        return None


def _any_base(entry: Any) -> bool:
    """Whether the entry might have an xml:base (or a base attribute)."""
    return any("base" in " ".join(e.keys()).lower() for e in entry.iter())


def _entry_base(entry: Any, context: FeedContext) -> str:
    """feedparser's base URI inside the entry element."""
    keys = entry.keys()
    if not keys:
        return _inner_base(context.base)
    # feedparser also sees a namespaced attribute under its bare name.
    if {key.rpartition("}")[2].lower() for key in keys} & {"href", "lastmod"}:
        raise _Unsupported  # read as the entry's link and date (CDF)
    value = _base_attribute(entry)
    if value is not None and not context.base:
        raise _Unsupported  # feedparser would keep it after the entry
    return _inner_base(context.base, value)


class _Reader:
    """One entry, element by element, as feedparser's handlers store it."""

    __slots__ = (
        "atom", "bases", "content_type", "enclosures", "guid", "has_content", "link",
        "media", "published", "summary", "summary_at", "summary_depth",
        "summary_type", "tags", "thumbnails", "title", "title_at", "title_depth",
        "title_type", "title_value_depth", "updated",
    )  # fmt: skip

    def __init__(self, atom: bool, base: str) -> None:
        self.atom = atom
        self.bases = [base, _inner_base(base)]  # feedparser's base URI at each depth
        self.title: str | None = None
        self.title_type: str | None = None  # from title_detail
        self.title_at = 0  # the depth of title_detail
        self.title_value_depth: int | None = None
        self.title_depth = -1  # feedparser's: later titles below it are ignored
        self.summary: tuple[str, str, int] | None = None  # text, type, depth
        self.summary_type: str | None = None  # from summary_detail
        self.summary_at: int | None = None  # the depth of summary_detail
        self.summary_depth: int | None = None
        self.content_type: str | None = None  # from content[0]
        self.has_content = False
        self.link: str | None = None
        self.guid: tuple[str, int] | None = None  # a guid that may be the link
        self.published: str | None = None
        self.updated: str | None = None
        self.tags: list[list[str | None]] = []  # [term, scheme, label]
        self.enclosures: list[dict[str, str]] = []
        self.media: list[dict[str, str]] = []
        self.thumbnails: list[dict[str, str]] = []

    def base(self, depth: int) -> str:
        while len(self.bases) <= depth:
            self.bases.append(_inner_base(self.bases[-1]))
        return self.bases[depth]

    def walk(self, parent: Any, depth: int) -> None:
        for child in parent:
            handler = _HANDLER_CACHE.get(child.tag) or _handler(child.tag)
            keys = child.keys()
            if keys and _has_base(child, keys):
                raise _Unsupported  # rare; the base URI would change inside
            handler(self, child, depth)
            if len(child):
                if handler not in _WITH_CHILDREN:
                    raise _Unsupported  # markup inside text, or unknown shapes
                self.walk(child, depth + 1)

    # -- text constructs

    def text(self, element: Any, default_type: str) -> tuple[str, str]:
        """The text and its content type, the value before finish()."""
        content_type = default_type
        if element.keys():
            attributes = _attributes(element)
            if "mode" in attributes or "src" in attributes:
                raise _Unsupported  # Atom 0.3 base64, out-of-line content
            if "type" in attributes:
                content_type = _FeedParserMixin.map_content_type(attributes["type"])
            if content_type not in ("text/plain", "text/html"):
                raise _Unsupported  # xhtml, or a type feedparser would decode
        if len(element):
            raise _Unsupported  # markup inside: feedparser takes it as xhtml
        value = (element.text or "").strip()
        if not self.atom and content_type == "text/plain" and _looks_like_html(value):
            content_type = "text/html"
        return value, content_type

    def finish(self, text: str, content_type: str, depth: int) -> str:
        """The value as feedparser's pop() makes it."""
        if content_type == "text/html":
            text = resolve_html(text, self.base(depth))
        return text if text.isascii() else _recode(text)

    def on_title(self, element: Any, depth: int, *, media: bool = False) -> None:
        text, content_type = self.text(element, "text/plain")
        value = self.finish(text, content_type, depth)
        if not -1 < self.title_depth <= depth:
            if self.title_value_depth is None or depth <= self.title_value_depth:
                self.title, self.title_value_depth = value, depth
            self.title_type, self.title_at = content_type, depth
        if value and not media:  # media:title keeps title_depth as it was
            self.title_depth = depth

    def on_media_title(self, element: Any, depth: int) -> None:
        self.on_title(element, depth, media=True)

    def on_description(self, element: Any, depth: int, default: str) -> None:
        if self.summary is not None and not self.has_content:
            # feedparser reads a second description as content, which does
            # not replace the summary; content[0] only counts without one.
            self.has_content = True
            return
        text, content_type = self.text(element, default)
        if self.summary_depth is None or depth <= self.summary_depth:
            self.summary, self.summary_depth = (text, content_type, depth), depth
        self.summary_type, self.summary_at = content_type, depth

    def on_html_description(self, element: Any, depth: int) -> None:
        self.on_description(element, depth, "text/html")

    def on_text_summary(self, element: Any, depth: int) -> None:
        self.on_description(element, depth, "text/plain")

    def on_content(self, element: Any, depth: int, default: str) -> None:
        self.has_content = True
        text, content_type = self.text(element, default)
        if self.content_type is None:
            self.content_type = content_type
        if self.summary is None:  # feedparser's _save: never replaces
            self.summary = (text, content_type, depth)

    def on_atom_content(self, element: Any, depth: int) -> None:
        self.on_content(element, depth, "text/plain")

    def on_encoded(self, element: Any, depth: int) -> None:
        self.on_content(element, depth, "text/html")

    # -- links, dates, categories

    def on_link(self, element: Any, depth: int) -> None:
        attributes = _attributes(element) if element.keys() else {}
        if "url" in attributes or "uri" in attributes:
            raise _Unsupported  # feedparser prefers these to href
        rel = attributes.get("rel", "alternate")
        if "href" not in attributes:
            if rel == "enclosure":
                raise _Unsupported  # feedparser makes the text its URL
            self.link = _link_text(_plain(element, self.base(depth), resolve=True))
            return
        href = _join(self.base(depth), attributes["href"])
        default_type = "application/atom+xml" if rel == "self" else "text/html"
        content_type = attributes.get("type", default_type)
        if rel == "alternate" and (
            _FeedParserMixin.map_content_type(content_type) in HTML_TYPES
        ):
            self.link = href
        elif rel == "enclosure":
            self.enclosures.append({"href": href, "type": content_type})

    def on_guid(self, element: Any, depth: int) -> None:
        # feedparser's _save("link", guid): the link unless a <link> sets one.
        # Resolving it is slow, and left until it turns out to be needed.
        attributes = _attributes(element) if element.keys() else {}
        if len(element):
            raise _Unsupported
        is_link = attributes.get("ispermalink", "true") == "true"
        if is_link and self.link is None and self.guid is None:
            self.guid = ((element.text or "").strip(), depth)

    def link_or_guid(self) -> str | None:
        if self.link is not None or self.guid is None:
            return self.link
        value, depth = self.guid
        value = _join(self.base(depth), value) if value else value
        return value if value.isascii() else _recode(value)

    def on_published(self, element: Any, depth: int) -> None:
        self.published = _plain(element, "", resolve=False)

    def on_updated(self, element: Any, depth: int) -> None:
        self.updated = _plain(element, "", resolve=False)

    def on_category(self, element: Any, depth: int, scheme: str | None = None) -> None:
        attributes = _attributes(element) if element.keys() else {}
        if scheme is not None:  # media:category's default
            attributes.setdefault("scheme", scheme)
        scheme = attributes.get("scheme", attributes.get("domain"))
        self.add_tag(attributes.get("term"), scheme, attributes.get("label"))
        value = _plain(element, "", resolve=False)
        if value and self.tags and not self.tags[-1][0]:
            self.tags[-1][0] = value
        elif value:
            self.add_tag(value, None, None)

    def on_media_category(self, element: Any, depth: int) -> None:
        self.on_category(element, depth, "http://search.yahoo.com/mrss/category_schema")

    def add_tag(self, term: str | None, scheme: str | None, label: str | None) -> None:
        tag = [term, scheme, label]
        if (term or scheme or label) and tag not in self.tags:
            self.tags.append(tag)

    # -- images

    def on_enclosure(self, element: Any, depth: int) -> None:
        attributes = _attributes(element) if element.keys() else {}
        href = attributes.get("url", attributes.get("uri", attributes.get("href")))
        if href:  # feedparser's _enforce_href
            attributes["href"] = href
        self.enclosures.append(attributes)

    def on_media_content(self, element: Any, depth: int) -> None:
        self.media.append(_attributes(element) if element.keys() else {})

    def on_thumbnail(self, element: Any, depth: int) -> None:
        attributes = _attributes(element) if element.keys() else {}
        if "url" not in attributes and (element.text or "").strip():
            raise _Unsupported  # feedparser takes the URL from the text
        self.thumbnails.append(attributes)

    # -- the rest

    def on_container(self, element: Any, depth: int) -> None:
        """An element whose children are read, but not it (e.g. <author>)."""

    def on_leaf(self, element: Any, depth: int) -> None:
        """An element feedparser reads without touching the fields here."""

    def on_unsupported(self, element: Any, depth: int) -> None:
        raise _Unsupported

    # -- the result

    def fields(self, kind: str | None, media_alt: str | None) -> dict[str, str]:
        """The fields feed.py's _fields() makes of feedparser's entry."""
        fields: dict[str, str] = {}
        title = None
        if self.title is not None:
            title = title_text(self.title, self.title_type)
            fields["title"] = title.strip()
        link = self.link_or_guid()
        if link is not None:
            fields["url"] = link.strip()
        date = self.date()
        if date is not None:
            fields["date"] = date
        if self.summary is not None:  # finished only now: often replaced
            fields["summary"] = self.finish(*self.summary)
            summary_type = self.summary_type or self.content_type
            fields[FORMAT_FIELD] = "html" if summary_type in HTML_TYPES else "text"
        self.put_kind(fields, kind)
        if self.enclosures or self.media or self.thumbnails:
            self.put_image(fields, media_alt or title or "")
        return fields

    def put_image(self, fields: dict[str, str], alt: str) -> None:
        # feedparser's title_detail or summary_detail has the base URI
        at = self.title_at if self.title_type else self.summary_at
        base = "" if at is None else self.base(at)
        image = pick_image(self.enclosures, self.media, self.thumbnails, base)
        if image:
            fields["image"] = image
            fields["image_alt"] = alt

    def date(self) -> str | None:
        # feedparser keeps the last of each kind; published wins. A date this
        # module cannot read might still be one that feedparser can.
        written = self.published if self.published is not None else self.updated
        if written is None:
            return None
        date = parse_date(written)
        if date is None:
            raise _Unsupported
        return date

    def put_kind(self, fields: dict[str, str], kind: str | None) -> None:
        if kind is None:  # the first category that says something
            for term, _, _ in self.tags:
                if term and term.strip():
                    kind = term
                    break
        if kind is not None:
            fields["kind"] = kind.strip()


def _plain(element: Any, base: str, *, resolve: bool) -> str:
    """A text element's value as pop() makes it outside a text construct."""
    if len(element):
        raise _Unsupported
    value = (element.text or "").strip()
    if resolve and value:
        value = _join(base, value)
    return value if value.isascii() else _recode(value)


def _join(base: str, url: str) -> str:
    """feedparser.urls._urljoin(base, url), which is slow even when it need not be."""
    if base or ":///" in url:  # _urljoin removes a third slash
        return str(_urljoin(base, url))
    return url


def _link_text(value: str) -> str:
    # feedparser's repair of "?a=1&b=2" read as "&b;" references
    if "&" not in value:
        return value
    return _LINK_REFERENCE.sub(r"&\g<1>", value.replace("&amp;", "&"))


_LINK_REFERENCE = re.compile("&([A-Za-z0-9_]+);")


def _attributes(element: Any) -> dict[str, str]:
    """Attributes as feedparser's handlers get them: names lowercased."""
    attributes: dict[str, str] = {}
    for key, value in element.items():
        if key[0] == "{":
            if key in _XML_ATTRIBUTES:
                continue
            raise _Unsupported  # feedparser would also see it without namespace
        name = key.lower()
        if name in attributes:
            raise _Unsupported
        attributes[name] = value.lower() if name in ("rel", "type") else value
    return attributes


_XML_ATTRIBUTES = {f"{{{_XML}}}{name}" for name in ("lang", "space")}


def _looks_like_html(value: str) -> bool:
    # feedparser's own test, after its first condition (which is quick here)
    return bool(_HTML_HINT.search(value) and _FeedParserMixin.looks_like_html(value))


_HTML_HINT = re.compile(r"</(\w+)>|&#?\w+;")


def _recode(value: str) -> str:
    """pop()'s repairs: UTF-8 read as Latin-1, windows-1252 control codes."""
    if value.isascii():
        return value
    # Searched in UTF-8, where each pattern starts with a literal byte: fast.
    utf8 = value.encode("utf-8", "surrogatepass")
    if _UTF8_AS_LATIN1.search(utf8):  # else the repair cannot succeed
        try:
            value = value.encode("iso-8859-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
        else:
            utf8 = value.encode("utf-8", "surrogatepass")
    if _C1.search(utf8):
        value = value.translate(_cp1252)
    return value


# A lead byte (U+00C2-U+00F4) and a continuation byte (U+0080-U+00BF) of
# UTF-8, each read as a Latin-1 character; then the C1 controls U+0080-U+009F.
_UTF8_AS_LATIN1 = re.compile(b"\xc3[\x82-\xb4]\xc2[\x80-\xbf]")
_C1 = re.compile(b"\xc2[\x80-\x9f]")


# -- which element is which, as feedparser names them -----------------------------

_Handler = Callable[[_Reader, Any, int], None]
# Elements whose children feedparser reads like any others (no text construct).
_WITH_CHILDREN: frozenset[_Handler] = frozenset(
    {_Reader.on_container, _Reader.on_media_content}
)


def _named(handler: _Handler, *names: str) -> dict[str, _Handler]:
    return dict.fromkeys(names, handler)


# feedparser's names (prefix_local) of the elements read here
_ROLES: dict[str, _Handler] = {
    **_named(_Reader.on_title, "title", "dc_title"),
    **_named(_Reader.on_media_title, "media_title"),
    **_named(
        _Reader.on_html_description,
        "description", "dc_description", "media_description",
    ),
    **_named(_Reader.on_text_summary, "summary", "itunes_summary"),
    **_named(_Reader.on_atom_content, "content"),
    **_named(_Reader.on_encoded, "content_encoded", "fullitem"),
    **_named(_Reader.on_link, "link"),
    **_named(_Reader.on_guid, "guid", "id"),
    **_named(_Reader.on_published, "published", "pubdate", "issued", "dcterms_issued"),
    **_named(
        _Reader.on_updated,
        "updated", "modified", "lastbuilddate", "dc_date", "dcterms_modified",
    ),
    **_named(_Reader.on_category, "category", "keywords", "dc_subject"),
    **_named(_Reader.on_media_category, "media_category"),
    **_named(_Reader.on_enclosure, "enclosure"),
    **_named(_Reader.on_media_content, "media_content"),
    **_named(_Reader.on_thumbnail, "media_thumbnail"),
    # feedparser handles these without touching the fields read here
    **_named(
        _Reader.on_container, "author", "contributor", "itunes_owner", "media_group"
    ),
    **_named(
        _Reader.on_leaf,
        "name", "email", "url", "uri", "homepage", "width", "height",
        "created", "dcterms_created", "dcterms_valid", "expirationdate",
        "language", "dc_language", "generator", "cloud", "newlocation",
        "rights", "copyright", "dc_rights", "subtitle", "tagline",
        "itunes_subtitle", "webmaster", "managingeditor", "dc_creator",
        "dc_author", "dc_publisher", "dc_contributor", "itunes_author",
        "itunes_name", "itunes_email", "itunes_image", "itunes_link",
        "itunes_block", "itunes_explicit", "media_credit", "media_rating",
        "media_restriction", "media_license", "media_player",
    ),
}  # fmt: skip

# Every element name feedparser has a handler for, and each name's part
# after a prefix ("dc_title" -> "title"): an element in a namespace that
# feedparser does not know gets a prefix from the document, so any of these
# local names might reach a handler.
_HANDLED = frozenset(
    name.split("_", 2)[2].lower()
    for name in dir(_FeedParserMixin)
    if name.startswith(("_start_", "_end_"))
)
_HANDLED_LOCAL = _HANDLED | {name.split("_", 1)[1] for name in _HANDLED if "_" in name}
# An element without handler is stored under its name: these names would
# replace what _fields reads (FeedParserDict maps e.g. "date" to "updated").
_STORED = frozenset(
    {"title", "title_detail", "link", "links", "published", "published_parsed"}
    | {"updated", "updated_parsed", "summary", "summary_detail", "content", "tags"}
    | {"media_content", "media_thumbnail", "enclosures", "category", "parsed"}
    | {"detail"}
    | set(FeedParserDict.keymap)
)
_PREFIXES = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}


_HANDLER_CACHE: dict[Any, _Handler] = {}


def _handler(tag: Any) -> _Handler:
    """The handler for elements with this lxml tag, kept in _HANDLER_CACHE."""
    if len(_HANDLER_CACHE) > 4096:  # a feed of made-up element names
        _HANDLER_CACHE.clear()
    handler = _HANDLER_CACHE[tag] = _handler_of(tag)
    return handler


def _handler_of(tag: Any) -> _Handler:
    if not isinstance(tag, str):  # a comment or processing instruction
        return _Reader.on_container
    namespace, _, local = tag[1:].rpartition("}") if tag[0] == "{" else ("", "", tag)
    namespace, local = namespace.lower(), local.lower()
    if "backend.userland.com/rss" in namespace:
        namespace = "http://backend.userland.com/rss"
    prefix = _PREFIXES.get(namespace)
    if prefix is None:  # the name depends on the document's prefixes
        unsafe = local in _HANDLED_LOCAL or local in _STORED
    else:
        name = f"{prefix}_{local}" if prefix else local
        if name in _ROLES:
            return _ROLES[name]
        unsafe = name in _HANDLED or name in _STORED
    # An element that feedparser has no handler for: stored, but not read here.
    return _Reader.on_unsupported if unsafe else _Reader.on_container


# -- HTML as feedparser's RelativeURIResolver writes it ---------------------------
#
# feedparser re-serialises every HTML value with an SGML parser: tag and
# attribute names lowercased, attributes sorted and double-quoted, URLs
# resolved, void elements closed, some references rewritten. That costs
# more than the rest of an entry, so well-formed markup is rewritten here;
# tests compare the two on generated markup.

_VOID = frozenset(_BaseHTMLProcessor.elements_no_end_tag)
_URL_ATTRIBUTES = frozenset(RelativeURIResolver.relative_uris)
_NAME = r"[a-zA-Z][-_.:a-zA-Z0-9]*"
_ATTRIBUTE = r"""\s+([a-zA-Z_][-:.a-zA-Z_0-9]*)(?:\s*=\s*("[^"<>]*"|'[^'<>]*'))?"""
_VOIDS = "|".join(sorted(_VOID))
# A "<" or "&" that may not start a token that feedparser copies unchanged.
# (Two patterns: one that starts with a literal is much faster to search.)
_SUSPECT_TAG = re.compile(
    rf"<(?!(?!(?:{_VOIDS})>)[a-z][a-z0-9]*>|/(?!(?:{_VOIDS})>)[a-z][a-z0-9]*>|\s|\Z)"
)
_SUSPECT_REFERENCE = re.compile(
    r"&(?!\#(?!0*(?:12[89]|1[3-5][0-9]);)[0-9]+;|(?:amp|lt|gt|quot|nbsp);|[^a-zA-Z\#]|\Z)"
)
# The tokens handled here; anything else ("bad") is left to feedparser.
_TOKEN = re.compile(
    rf"""<(?:(?P<tag>{_NAME})(?P<attributes>(?:{_ATTRIBUTE})*)\s*(?P<slash>/?)>
          |/(?P<end>{_NAME})\s*>
          |(?P<comment>!--(?:[^-<>]|-(?!-))*-->)
          |(?P<lt>(?=\s)|\Z)
          |(?P<bad>))
    |&(?:\#(?P<number>[0-9]+|[xX][0-9a-fA-F]+);
         |(?P<entity>[a-zA-Z][-.a-zA-Z0-9]*);
         |(?P<amp>(?![a-zA-Z]))
         |(?P<bad_reference>))""",
    re.X,
)
_ATTRIBUTES = re.compile(_ATTRIBUTE)
# Not rel or type (lowercased), no space around a URL (stripped), no "&#".
_SIMPLE_ATTRIBUTE = re.compile(
    r' (?!rel=|type=)([a-z][a-z0-9-]*)="(?:[^"<>&\s]|[^"<>&\s][^"<>&]*[^"<>&\s])"'
)
_DECIMAL_REFERENCE = re.compile(r"&#([0-9]+);?")


def resolve_html(html: str, base: str) -> str:
    """feedparser.urls.resolve_relative_uris(html, base, "utf-8", "text/html")."""
    if "<" not in html and "&" not in html:
        return html
    data = html
    if "&#" in data:  # as feedparser does first
        data = data.replace("&#39;", "'").replace("&#34;", '"')
    parts: list[str] = []
    done = 0
    while (start := _next_suspect(data, done)) >= 0:
        token = _TOKEN.match(data, start)
        rewritten = _rewrite(token, base) if token else None
        if token is None or rewritten is None:
            return str(resolve_relative_uris(html, base, "utf-8", "text/html"))
        parts += (data[done:start], rewritten)
        done = token.end()
    parts.append(data[done:])
    return "".join(parts)


def _next_suspect(data: str, start: int) -> int:
    tag = _SUSPECT_TAG.search(data, start)
    reference = _SUSPECT_REFERENCE.search(
        data, start, tag.start() if tag else len(data)
    )
    found = reference or tag
    return found.start() if found else -1


def _rewrite(token: re.Match[str], base: str) -> str | None:
    kind = token.lastgroup
    if kind in ("comment", "lt", "amp"):
        return token.group(0)
    if kind == "slash":
        return _start_tag(
            token["tag"].lower(), token["attributes"], token["slash"], base
        )
    if kind == "end":
        end = token["end"].lower()
        return "" if end in _VOID else f"</{end}>"
    if kind == "number":
        return _character_reference(token["number"].lower())
    if kind == "entity":
        name = token["entity"]
        known = name in name2codepoint or name == "apos"
        return token.group(0) if known else f"&amp;{name}"
    return None


def _start_tag(tag: str, source: str, slash: str, base: str) -> str:
    if not source:  # feedparser makes <p/> into <p></p>
        if tag in _VOID:
            return f"<{tag} />"
        return f"<{tag}></{tag}>" if slash else f"<{tag}>"
    key = (tag, source, base)
    written = _START_TAGS.get(key)
    if written is None:
        if len(_START_TAGS) > 1024:
            _START_TAGS.clear()
        written = _START_TAGS[key] = _written_start_tag(tag, source, base)
    return written


# Start tags with attributes as written before: CMS markup repeats a lot.
_START_TAGS: dict[tuple[str, str, str], str] = {}


def _written_start_tag(tag: str, source: str, base: str) -> str:
    simple = _SIMPLE_ATTRIBUTE.fullmatch(source)
    if simple and (not base or (tag, simple[1]) not in _URL_ATTRIBUTES):
        # one attribute, written as feedparser writes it: the usual <a href>
        return f"<{tag}{source} />" if tag in _VOID else f"<{tag}{source}>"
    attributes: dict[str, str] = {}
    for name, quoted in _ATTRIBUTES.findall(source):
        value = quoted[1:-1] if quoted else name
        if "&#" in value:
            value = _DECIMAL_REFERENCE.sub(r"&#\1;", value)
        key = name.lower()
        attributes[key] = value.lower() if key in ("rel", "type") else value
    written = "".join(
        f' {key}="{_escape_attribute(_attribute_url(tag, key, value, base))}"'
        for key, value in sorted(attributes.items())
    )
    return f"<{tag}{written} />" if tag in _VOID else f"<{tag}{written}>"


def _attribute_url(tag: str, key: str, value: str, base: str) -> str:
    if (tag, key) not in _URL_ATTRIBUTES:
        return value
    return str(make_safe_absolute_uri(base, value.strip()) or value)


def _escape_attribute(value: str) -> str:
    if "<" in value or ">" in value or '"' in value:
        value = value.replace(">", "&gt;").replace("<", "&lt;").replace('"', "&quot;")
    if "&" in value:
        value = _BaseHTMLProcessor.bare_ampersand.sub("&amp;", value)
    return value


def _character_reference(reference: str) -> str:
    value = int(reference[1:], 16) if reference[0] == "x" else int(reference)
    if value in _cp1252:  # written as the character windows-1252 means
        return f"&#{hex(ord(_cp1252[value]))[1:]};"
    return f"&#{reference};"


# -- dates as feedparser's W3C and RFC 822 parsers read them ----------------------

_W3C = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)"
    r"(?:t(\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?(z|[+-]\d\d:\d\d)?)?"
)
_RFC822 = re.compile(
    rf"(?:(?:{'|'.join(sorted(rfc822.day_names))}), )?(\d\d?) "
    rf"({'|'.join(sorted(rfc822.months))}) (\d{{4}}) "
    r"(\d\d):(\d\d)(?::(\d\d))? ([+-]\d{4}|gmt|ut|utc|z)"
)


def parse_date(value: str) -> str | None:
    """The UTC date feedparser's _parse_date gives, or None if unsure.

    Only the common forms are read; for those, feedparser's W3C parser (tried
    first) and its RFC 822 parser compute exactly this.
    """
    value = value.lower()
    if not value.isascii():
        return None
    try:
        if match := _W3C.fullmatch(value):
            return _w3c_date(match)
        if match := _RFC822.fullmatch(value):
            return _rfc822_date(match)
    except (ValueError, OverflowError):  # e.g. 30 February: feedparser goes on
        return None
    return None


def _w3c_date(match: re.Match[str]) -> str:
    year, month, day, hour, minute, second, zone = match.groups()
    offset = 0  # minutes east of UTC
    if zone and zone != "z":  # w3dtf reads the minutes from the fifth character
        offset = (int(zone[1:3]) * 60 + int(zone[4:])) * (-1 if zone[0] == "-" else 1)
    time = (int(hour or 0), int(minute or 0), int(second or 0))
    return _utc_date(int(year), int(month), int(day), time, offset)


def _rfc822_date(match: re.Match[str]) -> str:
    day, month, year, hour, minute, second, zone = match.groups()
    offset = 0
    if zone[0] in "+-":
        offset = (int(zone[1:3]) * 60 + int(zone[3:])) * (-1 if zone[0] == "-" else 1)
    time = (int(hour), int(minute), int(second or 0))
    return _utc_date(int(year), rfc822.months[month], int(day), time, offset)


def _utc_date(
    year: int, month: int, day: int, time: tuple[int, int, int], offset: int
) -> str:
    stamp = dt.datetime(year, month, day, *time)  # ValueError as in feedparser
    if offset:
        stamp -= dt.timedelta(minutes=offset)
    return stamp.date().isoformat()
