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
"""

from __future__ import annotations

import logging
import re
import secrets
from functools import lru_cache
from typing import Any

from enews.links import URL_ATTR

INLINE_MARKER = "/* enews:inline */"
DOCTYPE = "<!doctype html>"

_STYLE_OPEN = re.compile(
    r"<style\b([^>]*)>(\s*)(" + re.escape(INLINE_MARKER) + ")?", re.IGNORECASE
)


def inline_css(html: str) -> str:
    """Inline the template's marked CSS into style attributes."""
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
        cssutils_logging_level=logging.CRITICAL,
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
    from premailer import Premailer

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
    pattern = re.compile(f'"{re.escape(token)}(\\d+)"')
    return pattern.sub(lambda m: f'"{values[int(m[1])]}"', html)


def _restore_doctype(html: str) -> str:
    body = html.lstrip()
    if body[:9].lower() == "<!doctype":
        body = body.split(">", 1)[1].lstrip()
    return f"{DOCTYPE}\n{body}"
