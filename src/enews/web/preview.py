"""Pure transformations of a built email for the preview pane only.

Besides dark mode, three inbox views: what a client shows when it drops the
styles in ``<head>`` (Gmail for non-Google accounts, GMX and Web.de
webmail), when it blocks images, and when it forces its own dark palette by
inverting every colour (Gmail's app, Outlook.com). Each is str -> str.
"""

from __future__ import annotations

import colorsys
import re
from collections.abc import Callable
from typing import Any

from lxml import etree  # type: ignore[import-untyped]
from lxml import html as lxml_html

Element = Any  # lxml ships no type information

# The template's dark palette lives in `@media (prefers-color-scheme: dark)`.
# An iframe follows the viewer's system setting, so to show the dark view on
# request the query is made unconditional.
_DARK_QUERY = re.compile(r"@media\s*\(\s*prefers-color-scheme\s*:\s*dark\s*\)", re.I)


def force_dark(html: str) -> str:
    """The email as a client in dark mode shows it."""
    return _DARK_QUERY.sub("@media all", html)


# --- the document, parsed and written back ------------------------------------


def _parse(html: str) -> Element:
    return lxml_html.document_fromstring(html)


def _write(doc: Element) -> str:
    # The tree, not the element: the doctype stays (standards mode).
    text: str = etree.tostring(doc.getroottree(), method="html", encoding="unicode")
    return text


# --- CSS declarations -----------------------------------------------------------

# One `property: value;` with parentheses and quotes kept whole, so the `;`
# of a data: URL or a font name in quotes does not end the value.
_DECLARATION = re.compile(
    r"""(?P<prop>[-\w]+)(?P<sep>\s*:\s*)"""
    r"""(?P<value>(?:[^;()"'{}]|\([^)]*\)|"[^"]*"|'[^']*')*)(?P<end>;?)"""
)
# The innermost `{...}` of a style sheet is a declaration block: selectors
# and at-rule preludes are outside it.
_BLOCK = re.compile(r"\{([^{}]*)\}")
Rewrite = Callable[[str, str], str | None]  # (property, value) -> value, None drops


def _map_declarations(css: str, rewrite: Rewrite) -> str:
    def one(match: re.Match[str]) -> str:
        value = rewrite(match["prop"].lower(), match["value"])
        if value is None:
            return ""
        return match["prop"] + match["sep"] + value + match["end"]

    return _DECLARATION.sub(one, css)


def _map_sheet(css: str, rewrite: Rewrite) -> str:
    return _BLOCK.sub(lambda m: "{" + _map_declarations(m[1], rewrite) + "}", css)


def _map_css(doc: Element, rewrite: Rewrite) -> None:
    """Every inline style and every <style> sheet of the document."""
    for element in doc.iter(etree.Element):
        style = element.get("style")
        if style is not None:
            element.set("style", _map_declarations(style, rewrite))
    for sheet in doc.iter("style"):
        if sheet.text:
            sheet.text = _map_sheet(sheet.text, rewrite)


# --- no style support -----------------------------------------------------------


def no_styles(html: str) -> str:
    """Without the style sheets (inline styles stay, as such clients keep
    them): no phone layout, no dark palette, no rich-text rules."""
    doc = _parse(html)
    # All of them, not only <head>'s: a client that drops style sheets drops
    # one in <body> too. Those inside Outlook's conditional comments are
    # comment text already.
    for sheet in list(doc.iter("style")):
        sheet.drop_tree()  # its tail text stays
    for link in list(doc.iter("link")):
        if "stylesheet" in (link.get("rel") or "").lower().split():
            link.drop_tree()
    return _write(doc)


# --- images off -----------------------------------------------------------------

_URL = re.compile(r"url\([^)]*\)", re.I)


def images_off(html: str) -> str:
    """Images blocked: each <img> shows its alt text where it stood, styled
    by the image's inline style as Gmail and Outlook do; an empty or missing
    alt shows nothing. Background images are not loaded either."""
    doc = _parse(html)
    for img in list(doc.iter("img")):
        alt = " ".join((img.get("alt") or "").split())
        if alt:
            img.addprevious(_alt_text(img, alt))
        img.drop_tree()
    _map_css(doc, _without_background_image)
    for element in doc.iter(etree.Element):
        if element.get("background") is not None:  # <td background="...">
            del element.attrib["background"]
    return _write(doc)


def _alt_text(img: Element, alt: str) -> Element:
    span = lxml_html.Element("span")
    span.text = alt
    for name in ("style", "class", "title"):
        if img.get(name) is not None:
            span.set(name, img.get(name))
    return span


def _without_background_image(prop: str, value: str) -> str | None:
    if prop == "background-image":
        return None
    if prop == "background":
        kept = _URL.sub("", value).strip()
        return kept or None
    return value


# --- forced dark ----------------------------------------------------------------

# The email's own dark palette is ignored by these clients: the query can
# never match, so the block stays in the source but is not applied.
_NEVER = "@media not all"
_COLOUR_ATTRIBUTES = ("bgcolor", "color", "text", "link", "vlink", "alink")
# Properties whose values hold colours; named colours are only looked for
# there, so a font called "Orange" is left alone.
_COLOUR_PROPERTY = re.compile(
    r"color|background|border|outline|shadow|decoration|fill|stroke|column-rule"
)
_TOKEN = re.compile(
    r"""(?P<keep>url\([^)]*\)|"[^"]*"|'[^']*')"""
    r"|(?P<hex>#[0-9a-f]{3,8}\b)"
    r"|(?P<func>\b(?:rgba?|hsla?)\([^)]*\))"
    r"|(?P<word>\b[a-z]+\b)",
    re.I,
)
NAMED = {
    "white": "#ffffff", "black": "#000000", "silver": "#c0c0c0",
    "gray": "#808080", "grey": "#808080", "red": "#ff0000", "maroon": "#800000",
    "yellow": "#ffff00", "olive": "#808000", "lime": "#00ff00",
    "green": "#008000", "aqua": "#00ffff", "cyan": "#00ffff", "teal": "#008080",
    "blue": "#0000ff", "navy": "#000080", "fuchsia": "#ff00ff",
    "magenta": "#ff00ff", "purple": "#800080", "orange": "#ffa500",
    "whitesmoke": "#f5f5f5", "lightgray": "#d3d3d3", "lightgrey": "#d3d3d3",
    "darkgray": "#a9a9a9", "darkgrey": "#a9a9a9", "dimgray": "#696969",
    "dimgrey": "#696969", "gainsboro": "#dcdcdc",
}  # fmt: skip


def forced_dark(html: str) -> str:
    """Every colour of the email inverted in lightness (hue and saturation
    kept), its own dark-mode block not applied, images as they are."""
    doc = _parse(html)
    for sheet in doc.iter("style"):
        if sheet.text:
            sheet.text = _DARK_QUERY.sub(_NEVER, sheet.text)
    _map_css(doc, _inverted_declaration)
    for element in doc.iter(etree.Element):
        for name in _COLOUR_ATTRIBUTES:
            value = element.get(name)
            if value is not None:
                element.set(name, invert_colours(value))
    # The client's canvas is dark too: the inverse of the default white page
    # and black text, under whatever the email sets itself.
    root_style = doc.get("style") or ""
    doc.set("style", "background-color:#000000;color:#ffffff;" + root_style)
    return _write(doc)


def _inverted_declaration(prop: str, value: str) -> str:
    return invert_colours(value) if _COLOUR_PROPERTY.search(prop) else value


def invert_colours(value: str) -> str:
    """A CSS value with each colour in it (#rgb, #rrggbb, rgb(), hsl(), a
    name) given HSL lightness 1 - L; unknown notations are left as they are."""

    def one(match: re.Match[str]) -> str:
        if match["keep"]:
            return match[0]
        if match["word"]:
            named = NAMED.get(match["word"].lower())
            return _invert(named) if named else match[0]
        return _invert(match[0])

    return _TOKEN.sub(one, value)


def _invert(colour: str) -> str:
    parsed = _rgba(colour)
    if parsed is None:
        return colour
    red, green, blue, alpha = parsed
    hue, light, sat = colorsys.rgb_to_hls(red, green, blue)
    red, green, blue = colorsys.hls_to_rgb(hue, 1.0 - light, sat)
    channels = [round(c * 255) for c in (red, green, blue)]
    if alpha >= 1.0:
        return "#" + "".join(f"{c:02x}" for c in channels)
    return "rgba({}, {}, {}, {:g})".format(*channels, round(alpha, 3))


def _rgba(colour: str) -> tuple[float, float, float, float] | None:
    """Channels 0-1 of a hex or functional colour, or None."""
    text = colour.strip().lower()
    if text.startswith("#"):
        return _hex(text[1:])
    found = re.fullmatch(r"(rgba?|hsla?)\(([^)]*)\)", text)
    if not found:
        return None
    parts = [p for p in re.split(r"[\s,/]+", found[2].strip()) if p]
    if len(parts) not in (3, 4):
        return None
    try:
        alpha = _fraction(parts[3], 1.0) if len(parts) == 4 else 1.0
        if found[1].startswith("rgb"):
            red, green, blue = (_fraction(p, 255.0) for p in parts[:3])
        else:
            hue = float(parts[0].removesuffix("deg")) / 360 % 1.0
            sat, light = (_fraction(p, 100.0) for p in parts[1:3])
            red, green, blue = colorsys.hls_to_rgb(hue, light, sat)
    except ValueError:
        return None
    return red, green, blue, alpha


def _hex(digits: str) -> tuple[float, float, float, float] | None:
    if len(digits) in (3, 4):
        digits = "".join(d * 2 for d in digits)
    if len(digits) not in (6, 8):
        return None
    values = [int(digits[i : i + 2], 16) / 255 for i in range(0, len(digits), 2)]
    return values[0], values[1], values[2], values[3] if len(values) == 4 else 1.0


def _fraction(part: str, scale: float) -> float:
    """A channel as 0-1: a percentage, or a number on ``scale`` (1 for alpha)."""
    number = float(part[:-1]) / 100 if part.endswith("%") else float(part) / scale
    return min(max(number, 0.0), 1.0)


INBOX_VIEWS: dict[str, Callable[[str], str]] = {
    "nostyle": no_styles,
    "imagesoff": images_off,
    "forceddark": forced_dark,
}
