"""A pasted link made into an item: what the page says about itself.

``unfurl`` downloads the page with ``open_source`` (http(s) only, a size
cap, an overall deadline); ``unfurl_html`` reads Open Graph, JSON-LD and
microdata with extruct, and with lxml what extruct does not read: ``meta
name=description``, Twitter cards, ``link rel=canonical``, ``<title>`` and,
last, a ``<time datetime>``. Nothing is stored: the CLI merges the result
with its options, the web form shows it (both in ``unfurl_fields``).

A page is untrusted: its values pass the rules of every import (limits,
urls, dates, clean_summary); one that fails is left out with a note, rather
than failing the link, so the option given instead still works.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from email.message import Message
from typing import Any, TypeVar
from urllib.parse import urljoin

from lxml import etree  # type: ignore[import-untyped]
from lxml import html as lxml_html

from enews import limits
from enews.collect.fetch import open_source
from enews.collect.records import SourceError
from enews.dates import check_date, parse_date
from enews.errors import ValidationError
from enews.render.richtext import clean_summary, guess_format, html_to_paragraphs
from enews.urls import is_absolute_url, split

PAGE_BYTES = 5 * 1024 * 1024  # one article page; imports allow far more
TIMEOUT = 10.0  # seconds for each network operation
DEADLINE = 15.0  # seconds for the whole download, redirects included
WEB_PAGE_TYPES = ("text/html", "application/xhtml+xml")
# schema.org types that make an item an "Article"; any *NewsArticle is "News".
ARTICLE_TYPES = ("Article", "BlogPosting", "TechArticle", "ScholarlyArticle", "Report")
_EXTRUCT: dict[str, Any] = {  # JSON-LD is read apart (see _json_ld)
    "syntaxes": ["microdata", "opengraph"],
    "errors": "ignore",
    "uniform": True,
}
_T = TypeVar("_T")
_NEST = 3  # how deep @graph / mainEntity are searched for the article


@dataclass(frozen=True)
class Unfurled:
    """What a page says about itself, each value checked (None: not said)."""

    url: str  # the item's link: the page's canonical URL, else page_url
    page_url: str  # where the page was read (after redirects)
    title: str | None = None
    summary: str | None = None  # plain text
    image_url: str | None = None
    image_alt: str | None = None
    date: dt.date | None = None
    kind: str | None = None  # "News" or "Article", from a schema.org type
    notes: tuple[str, ...] = ()  # values the page gave that were left out, and why


def unfurl(
    url: str,
    *,
    max_bytes: int = PAGE_BYTES,
    deadline: float = DEADLINE,
    public_only: bool = False,
) -> Unfurled:
    """Download the page at ``url`` and read it; raise only EnewsErrors.
    ``public_only``: see ``fetch.open_source``."""
    link = url.strip()
    # open_source also opens local files: a pasted link must be a web address.
    if not is_absolute_url(link):
        raise ValidationError("from_url", f"{url!r} is not an absolute http(s) link")
    with open_source(
        link, max_bytes=max_bytes, timeout=TIMEOUT, deadline=deadline,
        public_only=public_only,
    ) as source:  # fmt: skip
        data = source.stream.read()
        final = source.final_url or link  # after redirects: relative URLs
    return unfurl_html(data, final, source.content_type)


def unfurl_html(data: bytes, url: str, content_type: str | None = None) -> Unfurled:
    """What the page ``data`` says; ``url`` is where it was read (after
    redirects), ``content_type`` its Content-Type header (None: unknown)."""
    page = _Page.read(_parse(data, url, content_type), url)
    notes: list[str] = []
    image_url, image_alt = _image(notes, page)
    return Unfurled(
        url=page.link(),
        page_url=url,
        title=_line(notes, "title", limits.ITEM_TITLE, page.titles()),
        summary=_first(notes, "summary", page.summaries(), _plain),
        image_url=image_url,
        image_alt=image_alt,
        date=_first(notes, "date", page.dates(), _day),
        kind=page.kind(),
        notes=tuple(notes),
    )


def _parse(data: bytes, url: str, content_type: str | None) -> Any:
    charset = None
    if content_type:  # a file, or a server that does not say, may be a page
        header = Message()
        header["content-type"] = content_type
        if (mime := header.get_content_type()) not in WEB_PAGE_TYPES:
            raise SourceError(url, None, f"is not a web page but {mime}")
        charset = header.get_content_charset()
    if not data.strip():
        raise SourceError(url, None, "the page is empty")
    utf8 = _as_utf8(data, charset)
    # Without a charset that works, libxml2 reads the page's <meta charset>.
    parser = lxml_html.HTMLParser(encoding=None if utf8 is None else "utf-8")
    try:
        return lxml_html.document_fromstring(utf8 or data, parser=parser)
    except (etree.ParserError, ValueError):
        raise SourceError(url, None, "the page cannot be read as HTML") from None


def _as_utf8(data: bytes, charset: str | None) -> bytes | None:
    """The page as UTF-8: the served charset wins (as in a browser), then
    UTF-8 when the bytes are UTF-8; None leaves it to the page to say."""
    if charset:
        # Python's codecs decode, so libxml2 never meets a name it lacks;
        # a stray bad byte becomes U+FFFD rather than losing the page.
        try:
            return data.decode(charset, "replace").encode("utf-8")
        except (LookupError, UnicodeError):
            pass  # an unknown or non-text "charset": ignore it
    try:
        return data if data.decode("utf-8") else None
    except UnicodeDecodeError:
        return None


@dataclass(frozen=True)
class _Page:
    url: str
    tree: Any  # the lxml document
    og: dict[str, Any]  # Open Graph properties, first value of each
    meta: dict[str, str]  # <meta name|property=... content=...>, first of each
    articles: list[dict[str, Any]]  # schema.org articles: JSON-LD, then microdata

    @classmethod
    def read(cls, tree: Any, url: str) -> _Page:
        import extruct  # type: ignore[import-untyped]  # 0.2 s to import: only here

        try:
            found = extruct.extract(tree, base_url=url, **_EXTRUCT)
        except KeyError:  # extruct's uniform step after a syntax that failed
            found = {}
        og: dict[str, Any] = next(iter(found.get("opengraph") or []), {})
        nodes = _nodes([*_json_ld(tree), *found.get("microdata", [])])
        return cls(url, tree, og, _meta(tree), [n for n in nodes if _kind(n)])

    def titles(self) -> Iterator[Any]:
        yield self.og.get("og:title")
        yield self.meta.get("twitter:title")
        for article in self.articles:
            yield article.get("headline")
            yield article.get("name")
        yield self.tree.findtext("head/title")

    def summaries(self) -> Iterator[Any]:
        yield self.og.get("og:description")
        yield self.meta.get("twitter:description")
        yield from (article.get("description") for article in self.articles)
        yield self.meta.get("description")

    def images(self) -> Iterator[tuple[Any, Any]]:
        """(image URL, its alt text) pairs, so an alt goes with its own image."""
        alt = self.og.get("og:image:alt")
        for key in ("og:image", "og:image:url", "og:image:secure_url"):
            yield self.og.get(key), alt
        alt = self.meta.get("twitter:image:alt")
        yield self.meta.get("twitter:image"), alt
        yield self.meta.get("twitter:image:src"), alt
        for article in self.articles:
            yield from _image_objects(article.get("image"))

    def dates(self) -> Iterator[Any]:
        yield from (article.get("datePublished") for article in self.articles)
        yield self.og.get("article:published_time")
        yield self.meta.get("article:published_time")  # written as name=
        times = self.tree.xpath("//article//time/@datetime")
        yield from (times or self.tree.xpath("//time/@datetime"))[:1]

    def kind(self) -> str | None:
        return next((k for a in self.articles if (k := _kind(a))), None)

    def link(self) -> str:
        """The canonical URL (or og:url) when it is on this site, else the page's."""
        rels = self.tree.xpath("/html/head/link[@href]")
        canonical = [
            el.get("href")
            for el in rels
            if "canonical" in el.get("rel", "").lower().split()
        ]
        for href in [*canonical, self.og.get("og:url")]:
            link = _absolute(self.url, href)
            if link and _site(link) == _site(self.url):
                return link
        return self.url


def _json_ld(tree: Any) -> Iterator[Any]:
    from extruct import JsonLdExtractor

    # One script at a time: a broken one must not hide the others.
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            yield from JsonLdExtractor().extract_items(script)
        except ValueError:
            continue


def _nodes(values: Iterable[Any], depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every dict of JSON-LD/microdata, with those in @graph and mainEntity."""
    for value in values:
        if not isinstance(value, dict):
            continue
        yield value
        if depth < _NEST:
            for key in ("@graph", "mainEntity"):
                inner = value.get(key)
                yield from _nodes(
                    inner if isinstance(inner, list) else [inner], depth + 1
                )


def _kind(node: dict[str, Any]) -> str | None:
    types = node.get("@type")
    for name in types if isinstance(types, list) else [types]:
        if not isinstance(name, str):
            continue
        name = name.rsplit("/", 1)[-1].rsplit(":", 1)[-1]  # schema:X, https://…/X
        if name.endswith("NewsArticle"):
            return "News"
        if name in ARTICLE_TYPES:
            return "Article"
    return None


def _image_objects(value: Any) -> Iterator[tuple[Any, Any]]:
    """A schema.org image: a URL, an ImageObject or a list of either."""
    for image in value if isinstance(value, list) else [value]:
        if isinstance(image, dict):
            alt = image.get("caption") or image.get("name") or image.get("description")
            yield image.get("url") or image.get("contentUrl"), alt
        else:
            yield image, None


def _meta(tree: Any) -> dict[str, str]:
    meta: dict[str, str] = {}
    for element in tree.xpath("//meta[@content]"):
        key = (element.get("name") or element.get("property") or "").strip().lower()
        content = element.get("content")
        if key and key not in meta and content.strip():
            meta[key] = content
    return meta


def _site(url: str) -> str:
    parts = split(url)
    host = (parts.hostname or "") if parts else ""
    return host.removeprefix("www.")


def _absolute(base: str, href: Any) -> str | None:
    if not isinstance(href, str) or not href.strip():
        return None
    try:
        link = urljoin(base, href.strip())
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return None
    return link if is_absolute_url(link) else None


def _text(value: Any) -> str | None:
    """A JSON-LD value as text: a string, the first of a list, or @value."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str | dict)), None)
    if isinstance(value, dict):
        value = value.get("@value")
    return value if isinstance(value, str) and value.strip() else None


def _first(
    notes: list[str], field: str, said: Iterable[Any], check: Callable[[str], _T]
) -> _T | None:
    """The first value the page gives that ``check`` passes (it raises a
    ValidationError for one it refuses); a note when all were refused."""
    problem = None
    for value in filter(None, map(_text, said)):
        try:
            if checked := check(value):
                return checked
        except ValidationError as exc:
            problem = problem or exc.problem
    if problem:
        notes.append(f"{field}: left out what the page gives, which {problem}")
    return None


def _line(notes: list[str], field: str, limit: int, said: Iterable[Any]) -> str | None:
    return _first(notes, field, said, lambda v: limits.one_line(v, field, limit))


def _plain(value: str) -> str | None:
    # Markup in a description (JSON-LD often has some) is sanitized like any
    # imported HTML, then only its words are kept; line breaks in plain text
    # (an attribute's) mean nothing: it is one paragraph.
    if guess_format(value) != "html":
        words = " ".join(limits.clean_chars(value, "summary").split())
        return clean_summary(words, "text")[0]
    stored, stored_format = clean_summary(value, "html")
    if stored and stored_format == "html":
        return "\n\n".join(html_to_paragraphs(stored))
    return stored


def _image(notes: list[str], page: _Page) -> tuple[str | None, str | None]:
    refused = None
    for href, alt in page.images():
        link = _absolute(page.url, href)
        if link:
            return link, _line(notes, "image_alt", limits.IMAGE_ALT, [alt])
        refused = refused or _text(href)
    if refused:
        notes.append(f"image: left out {refused[:80]!r}, not an http(s) link")
    return None, None


def _day(text: str) -> dt.date:
    """The date an ISO 8601 stamp or a written date names, as the publisher
    wrote it (the offset is not applied: the page's own day is its date)."""
    try:
        return check_date(dt.datetime.fromisoformat(text.strip()).date())
    except (ValueError, ValidationError):  # not ISO 8601, or outside 1900-2199
        pass
    try:
        return parse_date(text)
    except ValidationError:
        shown = text.strip()[:40]
        raise ValidationError("date", f"is {shown!r}, not a date enews takes") from None
