"""CSS inlining with premailer, with its known damage repaired.

Only the template's own rules are inlined: a ``<style>`` whose text starts
with the ``/* enews:inline */`` marker. MJML's reset CSS and every ``@media``
block stay in the head untouched (``data-premailer="ignore"``). Inlining the
reset onto every cell is what makes naive MJML emails huge, and an ignored
block also keeps its ``@media`` rules and their ``!important`` verbatim.

premailer 3.10 (2021) also drops a lowercase doctype and lets libxml2
percent-encode ``href``/``src`` values, which breaks merge tags such as
``{{ UnsubscribeURL }}``. Attribute values are swapped for tokens before
premailer runs and put back after, byte for byte.

When every rule of the marked block is scoped to ``.rich`` (the packaged
templates: it styles rich-text summaries, markup they do not write
themselves), premailer runs on those summaries only, gathered into one
small document, instead of parsing, matching and re-serialising the whole
email: the same styles land on the same elements in a fraction of the time,
and the rest of the email stays as mjml-python wrote it.
"""

from __future__ import annotations

import logging
import re
import secrets
from functools import lru_cache
from typing import Any

from enews.errors import TemplateError
from enews.render.links import URL_ATTR

INLINE_MARKER = "/* enews:inline */"
DOCTYPE = "<!doctype html>"

_STYLE_OPEN = re.compile(
    r"<style\b([^>]*)>(\s*)(" + re.escape(INLINE_MARKER) + ")?", re.IGNORECASE
)


_MARKED_BLOCK = re.compile(
    r"<style\b[^>]*>\s*" + re.escape(INLINE_MARKER) + r"(.*?)</style>",
    re.IGNORECASE | re.DOTALL,
)
# The template writes <div class="rich">; what is inside is nh3-sanitized
# summary HTML, which never holds a div, so the first </div> closes it.
_RICH = re.compile(r'(<div class="rich">)(.*?)(</div>)', re.DOTALL)
_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_IMPORT = re.compile(r"@import\b", re.IGNORECASE)
_TOKEN = re.compile(r'"(enews-[0-9a-f]{16}-)(\d+)"')


def inline_css(html: str) -> str:
    """Inline the template's marked CSS into style attributes."""
    block = _MARKED_BLOCK.search(html)
    # cssutils, under premailer, would fetch an @import's URL with no time
    # limit (a build that never ends); no inbox loads one anyway.
    if block is not None and _IMPORT.search(_COMMENT.sub("", block[1])):
        raise TemplateError(
            "the enews:inline style block holds an @import; email clients load "
            "no stylesheets, so write its rules in the block instead"
        )
    if block is not None and _only_rich_rules(block[1]):
        return _inline_rich(html[: block.start()] + html[block.end() :], block[1])
    return _inline_document(html)


def _only_rich_rules(css: str) -> bool:
    """True when every selector of ``css`` starts at a ``.rich`` element."""
    selectors = [
        selector.strip()
        for rule in _COMMENT.sub("", css).split("}")
        if "{" in rule
        for selector in rule.split("{", 1)[0].split(",")
    ]
    if any("@" in s for s in selectors):
        return False
    return bool(selectors) and all(s.split()[0] == ".rich" for s in selectors)


def _inline_rich(html: str, css: str) -> str:
    """premailer on the rich summaries alone, spliced back in order."""
    fragments = [m[2] for m in _RICH.finditer(html)]
    if fragments:
        body = "".join(f'<div class="rich">{f}</div>' for f in fragments)
        style = f"<style>{INLINE_MARKER}{css}</style>"
        page = f"<html><head>{style}</head><body>{body}</body></html>"
        styled = iter(_RICH.findall(_inline_document(page)))
        html = _RICH.sub(lambda m: m[1] + next(styled)[1] + m[3], html)
    return _restore_doctype(html)


def _inline_document(html: str) -> str:
    """premailer on a whole document (a template with rules of its own)."""
    marked = _STYLE_OPEN.sub(_mark_style, html)
    # A fresh random token per build: item text cannot know it in advance, so
    # restoring can never rewrite text that merely looks like a token.
    token = f"enews-{secrets.token_hex(8)}-"
    protected, values = _protect_urls(marked, token)
    result = _premailer_class()(
        protected,
        allow_network=False,
        keep_style_tags=False,  # drop the inlined block, keep @media leftovers
        strip_important=False,
        remove_classes=False,  # @media and dark-mode rules select by class
        disable_basic_attributes=["width", "height", "align", "bgcolor"],
        disable_validation=True,
        cache_css_parsing=True,
        align_floating_images=False,  # nothing floats; saves a CSS parse per <img>
    ).transform(pretty_print=False)
    return _restore_doctype(_restore_urls(result, token, values))


@lru_cache(maxsize=1)
def _premailer_class() -> type[Any]:
    """premailer, imported on first use, with its rule parsing memoised.

    premailer caches the cssutils parse of a stylesheet but re-serialises
    every property of it on each call, which was most of the inlining time.
    The template's stylesheet is the same on every build, so the parsed
    rules are kept per (stylesheet, position); they are never mutated.
    """
    import cssutils
    from premailer import Premailer

    # Once here, not per call: setting a level clears every logger's cache.
    cssutils.log.setLevel(logging.CRITICAL)

    cache: dict[tuple[str, int], tuple[list[Any], list[Any]]] = {}

    class CachedPremailer(Premailer):  # type: ignore[misc]
        def _parse_style_rules(self, css_body: str, ruleset_index: int) -> Any:
            key = (css_body, ruleset_index)
            if key not in cache:
                if len(cache) > 64:  # edited templates must not grow it forever
                    cache.clear()
                cache[key] = super()._parse_style_rules(css_body, ruleset_index)
            rules, leftover = cache[key]
            return list(rules), list(leftover)

    return CachedPremailer


def _mark_style(match: re.Match[str]) -> str:
    attrs, space, marker = match.groups()
    if marker:  # ours: premailer inlines it; the marker goes away with it
        return f"<style{attrs}>{space}"
    return f'<style data-premailer="ignore"{attrs}>{space}'


def _protect_urls(html: str, token: str) -> tuple[str, list[str]]:
    values: list[str] = []

    def swap(match: re.Match[str]) -> str:
        values.append(match[2])
        return f' {match[1]}="{token}{len(values) - 1}"'

    return URL_ATTR.sub(swap, html), values


def _restore_urls(html: str, token: str, values: list[str]) -> str:
    def restore(match: re.Match[str]) -> str:
        if match[1] != token:  # not this build's token: leave it be
            return match[0]
        return f'"{values[int(match[2])]}"'

    # One fixed pattern (compiling one per token cost a tenth of inlining).
    return _TOKEN.sub(restore, html)


def _restore_doctype(html: str) -> str:
    body = html.lstrip()
    if body[:9].lower() == "<!doctype":
        body = body.split(">", 1)[1].lstrip()
    return f"{DOCTYPE}\n{body}"
