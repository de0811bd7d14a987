"""Item summaries: plain text, or rich text stored as sanitized HTML.

Summaries arrive as plain text, Markdown or HTML. Rich ones are stored as
HTML cleaned by nh3 (the Rust ammonia sanitizer) down to a small, email-safe
set: p, a (http/https/mailto links only), strong, em, ul, ol, li, br.
Plain text stays plain and is escaped by the templates. Stored HTML is
cleaned again when rendered, so a row edited behind enews's back cannot
smuggle markup into an email either.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from functools import lru_cache
from html.parser import HTMLParser
from typing import Any, Literal

from enews import limits
from enews.errors import ValidationError
from enews.urls import is_absolute_url

Format = Literal["text", "html"]
INPUT_FORMATS = ("text", "html", "markdown")

TAGS = {"p", "a", "strong", "em", "ul", "ol", "li", "br"}
SCHEMES = ("http", "https", "mailto")

# Guessing: a closing tag (or <br>, <img>) is what tells HTML from prose that
# happens to contain "<", such as "SACCOs <a field note>".
_HTML_HINT = re.compile(
    r"</(p|a|b|i|strong|em|ul|ol|li|div|span|script|style|h[1-6]|blockquote"
    r"|table|font|u)\s*>|<br\s*/?>|<img\b",
    re.IGNORECASE,
)
_MARKDOWN_CHAR = re.compile(r"[*_\[#]|^\s{0,3}([-+]|\d+\.) ", re.MULTILINE)
_RICH = re.compile(r"<(p|a|strong|em|ul|ol|li|br)\b")  # what sanitizing keeps
_BEYOND_PARAGRAPHS = re.compile(r"<(a|strong|em|ul|ol|li|br)\b")
_ONE_PARAGRAPH = re.compile(r"<p>([^<]*)</p>")
_EMPTY_LINK = re.compile(r"<a>(.*?)</a>", re.DOTALL)
# A tag of sanitized HTML: nh3 writes each attribute in double quotes, with
# any quote inside as &quot;, and every "<" of text as &lt;.
_TAG = re.compile(r'<(/?)([a-z]+)(?:\s+[a-z]+="[^"]*")*\s*/?>')
_VOID = {"br"}
# How deep a summary's tags may nest. lxml (libxml2), which premailer and
# the check read the email with, stops at 256 levels: beyond that the rest
# of the summary and the email's footer (its unsubscribe link) were lost.
# The template adds some 20 levels; real summaries nest a few (a list in a
# list, a link in bold).
MAX_DEPTH = 32
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-f]+|[a-z]+);", re.IGNORECASE)
_MARKDOWN = re.compile(
    r"\*\*[^*\n]+\*\*|__[^_\n]+__"  # strong
    r"|\[[^\]\n]+\]\([^)\s]+\)"  # [link](url)
    r"|^\s{0,3}[-*+] \S|^\s{0,3}\d+\. \S"  # lists
    r"|(?<![\w*])\*[^*\s][^*\n]*\*(?![\w*])"  # *em*
    r"|^#{1,6} ",  # headings
    re.MULTILINE,
)


def clean_summary(
    text: str | None, given: str | None = None
) -> tuple[str | None, Format]:
    """Normalise a summary; returns (stored text, "text" or "html").

    ``given`` is the declared format ("text", "html" or "markdown"); without
    it the format is guessed from the content.
    """
    if text is None:
        return None, "text"
    text = limits.multi_line(text, "summary", limits.SUMMARY)
    source_format = given or guess_format(text)
    if source_format not in INPUT_FORMATS:
        raise ValidationError("summary_format", "must be text, html or markdown")
    if source_format == "text":
        return _plain(text), "text"
    rich = markdown_to_html(text) if source_format == "markdown" else text
    cleaned = _clean(rich).strip()
    depth = nesting_depth(cleaned)
    if depth > MAX_DEPTH:
        raise ValidationError(
            "summary", f"nests tags {depth} levels deep, at most {MAX_DEPTH}"
        )
    # A character reference (&#1;) names what a raw character may not be.
    limits.no_token(limits.clean_chars(html.unescape(cleaned), "summary"), "summary")
    bare = _ONE_PARAGRAPH.fullmatch(cleaned)
    if bare:  # one paragraph of plain words is plain text
        cleaned = bare[1]
    if not _RICH.search(cleaned):  # nothing rich survived: keep it as plain text
        return _plain(html.unescape(cleaned)), "text"
    return cleaned, "html"


def guess_format(text: str) -> str:
    """HTML when it has HTML tags or entities, Markdown when it has its marks."""
    # Cheap character checks first: most summaries are plain prose, and
    # these run for every record of a 100,000-row import.
    if ("<" in text or "&" in text) and (
        _HTML_HINT.search(text) or _ENTITY.search(text)
    ):
        return "html"
    if _MARKDOWN_CHAR.search(text) and _MARKDOWN.search(text):
        return "markdown"
    return "text"


def _plain(text: str) -> str | None:
    lines = [" ".join(line.split()) for line in text.strip().splitlines()]
    joined = "\n".join(lines)
    return joined or None


def markdown_block(text: str | None) -> str | None:
    """Markdown (an issue's intro) as sanitized HTML, by the summaries'
    rules; None when it says nothing beyond plain paragraphs, which the
    template writes itself (and the build then needs no inliner)."""
    # Most intros are plain prose: no need to load the Markdown parser.
    if not text or not (_MARKDOWN_CHAR.search(text) or "<" in text):
        return None
    cleaned = sanitize(markdown_to_html(text)).strip()
    return cleaned if _BEYOND_PARAGRAPHS.search(cleaned) else None


def intro_paragraphs(text: str | None) -> tuple[str, ...]:
    """An intro's Markdown as plain-text paragraphs (links as ``text <url>``):
    the text part, the archive's summary."""
    from enews.render.view import paragraphs

    rich = markdown_block(text)
    return html_to_paragraphs(rich) if rich else paragraphs(text)


def markdown_to_html(text: str) -> str:
    rendered: str = _markdown().render(text)
    return rendered


@lru_cache(maxsize=1)
def _markdown() -> Any:
    from markdown_it import MarkdownIt

    # CommonMark with raw HTML off: Markdown may not carry its own markup.
    return MarkdownIt("commonmark", {"html": False})


def sanitize(fragment: str) -> str:
    """The fragment with only the allowed tags, attributes and link schemes,
    nested at most MAX_DEPTH deep (deeper tags go, their text stays)."""
    return _flatten(_clean(fragment))


def _clean(fragment: str) -> str:
    cleaned: str = _cleaner().clean(fragment)
    # A link whose href was dropped is just text; keep the words, lose the tag.
    return _EMPTY_LINK.sub(r"\1", cleaned)


def nesting_depth(fragment: str) -> int:
    """How many tags of sanitized ``fragment`` are open at its deepest."""
    depth = deepest = 0
    for match in _TAG.finditer(fragment):
        if match[2] in _VOID:
            continue
        depth = max(depth - 1, 0) if match[1] else depth + 1
        deepest = max(deepest, depth)
    return deepest


def _flatten(fragment: str) -> str:
    """Sanitized ``fragment`` without the tags nested deeper than MAX_DEPTH.

    Stored rows are checked when written, but a row loaded or edited behind
    enews's back must not cut the email short either.
    """
    if fragment.count("<") <= 2 * MAX_DEPTH:  # too few tags to nest that deep
        return fragment
    kept: list[bool] = []  # one per open tag: whether it is written

    def tag(match: re.Match[str]) -> str:
        if match[2] in _VOID:
            return match[0]
        if match[1]:
            return match[0] if kept and kept.pop() else ""
        kept.append(len(kept) < MAX_DEPTH)
        return match[0] if kept[-1] else ""

    return _TAG.sub(tag, fragment)


@lru_cache(maxsize=1)
def _cleaner() -> Any:
    import nh3

    return nh3.Cleaner(
        tags=TAGS,
        attributes={"a": {"href"}},
        url_schemes=set(SCHEMES),
        attribute_filter=_absolute_links_only,
        link_rel=None,  # rel="noopener" means nothing in an email
        strip_comments=True,
    )


def _absolute_links_only(tag: str, attr: str, value: str) -> str | None:
    # url_schemes keeps relative links; an email has no page to resolve them on.
    # A link the check would fail (https://[::1/, a quote, a port of 99999, a
    # character mjml-python garbles) is dropped too: its words stay.
    if tag == "a" and attr == "href" and not is_absolute_url(value, SCHEMES):
        return None
    return value


_BLOCK_TAGS = {"p", "li", "ul", "ol"}

# ("start", tag, href of an <a>), ("end", tag, None) or ("data", text, None)
Token = tuple[str, str, str | None]


def html_to_paragraphs(fragment: str) -> tuple[str, ...]:
    """Plain-text paragraphs of a sanitized fragment; links as ``text <url>``."""
    writer = _TextWriter()
    for kind, value, href in tokens(str(fragment)):  # a Markup would re-wrap slices
        if kind == "data":
            writer.data(value)
        elif kind == "start":
            writer.start(value, href)
        else:
            writer.end(value)
    writer.end_block()
    return tuple(writer.blocks)


def tokens(fragment: str) -> Iterator[Token]:
    """The tags and text of a sanitized fragment, entities decoded."""
    parser = _Tokenizer()
    parser.feed(fragment)
    parser.close()  # flushes any text it still holds back
    yield from parser.found


class _Tokenizer(HTMLParser):
    """html.parser's events as ``Token``s; text comes whole between tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[Token] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href") if tag == "a" else None
        self.found.append(("start", tag, href))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/> is a start tag alone, as <br> is (the default adds an end).
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self.found.append(("end", tag, None))

    def handle_data(self, data: str) -> None:
        self.found.append(("data", data, None))


class _TextWriter:
    """Tokens of summary HTML -> paragraphs of plain text for the text part."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.href: str | None = None
        self.link_text: list[str] = []

    def start(self, tag: str, href: str | None) -> None:
        if tag in _BLOCK_TAGS:
            self.end_block()
        if tag == "li":
            self.current.append("- ")
        elif tag == "br":
            self.current.append(" ")
        elif tag == "a":
            self.href = href
            self.link_text = []

    def end(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.end_block()
        elif tag == "a" and self.href:
            text = "".join(self.link_text).strip()
            if self.href not in (text, f"mailto:{text}"):
                self.current.append(f" <{self.href}>")
            self.href = None

    def data(self, text: str) -> None:
        self.current.append(text)
        if self.href:
            self.link_text.append(text)

    def end_block(self) -> None:
        text = " ".join("".join(self.current).split())
        if text:
            self.blocks.append(text)
        self.current = []
