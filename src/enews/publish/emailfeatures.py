"""The HTML and CSS features a built email uses, for the client-support check.

``email_features`` reads the HTML once and names each feature the way the
caniemail snapshot's ``match`` lists do (``tools/refresh_caniemail.py`` writes
them): ``element:style``, ``attribute:align``, ``property:max-width``,
``value:display:none``, ``unit:px``, ``function:rgba``, ``keyword:initial``,
``at-rule:media``, ``media:prefers-color-scheme``, ``selector:attribute``,
``pseudo-class:hover``, ``css:important``, ``image:png``, ``link:mailto``...

Each feature comes with the places it is used, which the fallbacks of
``clientsupport.py`` look at: ``html`` (elements, attributes, links, images),
``inline`` (a style attribute), ``initial`` (a style attribute setting the
value the property has anyway: height:auto, word-spacing:normal), ``hidden``
(the style of an element hidden in several ways at once, as the preheader
is), ``style`` (a <style> rule) and ``media`` (a rule inside @media or a
<style media=...>).

Markup inside conditional comments (``<!--[if mso]>``) is a comment to lxml,
so what only Outlook for Windows reads counts as an HTML comment, nothing more.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from enews.publish.check import parse_html

Place = str  # "html", "inline", "initial", "hidden", "style" or "media"
Uses = Mapping[str, frozenset[Place]]

DOCTYPE = re.compile(r"\s*<!doctype\s+html\s*>", re.IGNORECASE)
IMAGE_TYPE = re.compile(r"\.(\w{3,4})(?:[?#].*)?$")
DATA_IMAGE = re.compile(r"data:image/([\w+.-]+)", re.IGNORECASE)
MEDIA_FEATURE = re.compile(r"\(\s*([-\w]+)")
NUMBER = re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?", re.IGNORECASE)
IMAGE_TYPES = {"jpg", "jpeg", "png", "gif", "webp", "avif", "bmp", "svg", "tif"}
IMAGE_TYPES |= {"tiff", "ico", "heif", "heic", "mp4"}
# What hides an element in clients that ignore display:none (the preheader):
# an element with display:none and at least two of these counts as "hidden".
HIDING = {
    "max-height": "0",
    "max-width": "0",
    "overflow": "hidden",
    "opacity": "0",
    "mso-hide": "all",
    "visibility": "hidden",
}
# The initial values of properties a template may set just to be sure.
INITIAL = {
    "height": "auto",
    "width": "auto",
    "max-height": "none",
    "max-width": "none",
    "word-spacing": "normal",
    "letter-spacing": "normal",
    "word-break": "normal",
    "white-space": "normal",
    "text-transform": "none",
    "float": "none",
    "position": "static",
}
# The properties caniemail rates value by value (display:none, display:flex).
VALUED = {"display"}
# Old single-colon spellings of pseudo-elements (":before").
PSEUDO_ELEMENTS = {"before", "after", "first-letter", "first-line"}
COMBINATORS = {
    "descendant": "selector:descendant",
    "child": "selector:child",
    "adjacent-sibling": "selector:adjacent-sibling",
    "following-sibling": "selector:general-sibling",
}
SIMPLE = {
    "type-selector": "selector:type",
    "universal": "selector:universal",
    "id": "selector:id",
    "class": "selector:class",
    "attribute-start": "selector:attribute",
}

Declaration = tuple[str, str, bool]  # property, value, !important


def email_features(html: str) -> dict[str, frozenset[Place]]:
    """Every feature the email uses, and where."""
    found: defaultdict[str, set[Place]] = defaultdict(set)
    if DOCTYPE.match(html):
        found["html:doctype"].add("html")
    for element in parse_html(html).iter():
        if not isinstance(element.tag, str):
            if element.tag is etree.Comment:
                found["html:comments"].add("html")
            continue
        for name in _element_features(element):
            found[name].add("html")
        style = element.get("style")
        if style:
            declarations = inline_declarations(style)
            place = "hidden" if _layered_hiding(declarations) else "inline"
            for name, where in _inline_features(declarations, place, element):
                found[name].add(where)
            if "/*" in style:
                found["css:comments"].add(place)
        if element.tag == "style":
            media = (element.get("media") or "").strip()
            outer = "media" if media and media.lower() not in ("all", "screen") else ""
            for name in _media_features(media) if outer else ():
                found[name].add("media")
            for name, place in sheet_features(element.text or "", outer):
                found[name].add(place)
    return {name: frozenset(places) for name, places in found.items()}


def _inline_features(
    declarations: list[Declaration], place: Place, element: Any
) -> list[tuple[str, Place]]:
    """The features of a style attribute; a property set to the value it
    has anyway is in the place ``initial`` (unless an attribute such as
    width="552" would apply where the property is ignored)."""
    found: list[tuple[str, Place]] = []
    for declaration in declarations:
        prop, value, _ = declaration
        initial = INITIAL.get(prop) == value.lower() and prop not in element.attrib
        for name in _declaration_features([declaration]):
            is_prop = initial and name == f"property:{prop}"
            found.append((name, "initial" if is_prop else place))
    return found


def _element_features(element: Any) -> list[str]:
    tag = element.tag.lower()
    names = [f"element:{tag}"]
    names.extend(f"attribute:{a.lower()}" for a in element.attrib)
    kind = (element.get("type") or "").strip().lower()
    if tag in ("input", "button") and kind:
        names.append(f"element:{tag}[type={kind}]")
    if tag == "meta" and (element.get("name") or "").lower() in (
        "color-scheme",
        "supported-color-schemes",
    ):
        names.append("meta:color-scheme")
    href = (element.get("href") or "").strip().lower() if tag == "a" else ""
    if href.startswith("#") and len(href) > 1:
        names.append("link:anchor")
    elif href.startswith("mailto:"):
        names.append("link:mailto")
    if tag == "img":
        names.extend(_image_features(element.get("src") or ""))
    return names


def _image_features(src: str) -> list[str]:
    data = DATA_IMAGE.match(src.strip())
    if data:
        subtype = data[1].lower().removesuffix("+xml")
        return ["image:base64", f"image:{subtype}"]
    found = IMAGE_TYPE.search(src.strip().lower())
    return [f"image:{found[1]}"] if found and found[1] in IMAGE_TYPES else []


def _layered_hiding(declarations: list[Declaration]) -> bool:
    """display:none backed by other ways of hiding, for the clients that
    ignore one or another of them (Outlook reads only mso-hide)."""
    values = {name: value.strip().lower() for name, value, _ in declarations}
    if values.get("display") != "none":
        return False
    backups = [p for p, v in HIDING.items() if values.get(p) in (v, v + "px")]
    return len(backups) >= 2


# -- declarations -------------------------------------------------------------


@cache
def _tokenizer() -> Any:
    import cssutils
    from cssutils.tokenize2 import Tokenizer

    # As render/inliner.py does: cssutils logs every property it does not
    # know (mso-*, -webkit-*), which would only be noise here.
    cssutils.log.setLevel(logging.CRITICAL)
    return Tokenizer()


def inline_declarations(style: str) -> list[Declaration]:
    """The declarations of a style attribute, split by cssutils's tokenizer
    (so a ``;`` or ``:`` in a string or a url() does not split them)."""
    return list(_inline_declarations(style))


@lru_cache(maxsize=4096)
def _inline_declarations(style: str) -> tuple[Declaration, ...]:
    # Cached: MJML repeats the same few dozen style attributes hundreds of
    # times, and every build's are alike.
    declarations: list[Declaration] = []
    name: str | None = None
    value: list[str] = []
    for kind, text, *_ in _tokenizer().tokenize(style + ";"):
        if kind == "COMMENT":
            continue
        if name is None:
            if kind == "IDENT":
                name = text.lower()
            elif text == ";":
                value = []
            continue
        if not value and kind == "S":
            continue
        if not value and text == ":" and kind == "CHAR":
            value = [""]  # the colon seen; a value follows
        elif text == ";" and kind == "CHAR":
            declarations.append(_declaration(name, "".join(value)))
            name, value = None, []
        elif value:
            value.append(text)
        else:  # a property name not followed by a colon: drop the rest
            name = None
    return tuple(declarations)


def _declaration(name: str, value: str) -> Declaration:
    found = re.search(r"!\s*important\s*$", value, re.IGNORECASE)
    if found:
        return name, value[: found.start()].strip(), True
    return name, value.strip(), False


def _declaration_features(declarations: Iterable[Declaration]) -> set[str]:
    names: set[str] = set()
    for prop, value, important in declarations:
        names.add(f"property:{prop}")
        if prop in VALUED:
            names.add(f"value:{prop}:{value.lower()}")
        if important:
            names.add("css:important")
        if prop.startswith("--"):
            names.add("css:variables")
        names.update(_value_features(value))
    return names


@lru_cache(maxsize=4096)
def _value_features(value: str) -> frozenset[str]:
    names: set[str] = set()
    for kind, text, *_ in _tokenizer().tokenize(value):
        if kind == "DIMENSION":
            names.add("unit:" + NUMBER.sub("", text).lower())
        elif kind == "PERCENTAGE":
            names.add("unit:%")
        elif kind == "FUNCTION":
            function = text[:-1].lower()
            names.add("css:variables" if function == "var" else f"function:{function}")
        elif kind == "IDENT":
            names.add(f"keyword:{text.lower()}")
    return frozenset(names)


# -- style sheets -------------------------------------------------------------


def sheet_features(css: str, outer: Place = "") -> list[tuple[str, Place]]:
    """The features of a <style> block, each with its place: ``media``
    inside @media (or when ``outer`` says the whole block is), else
    ``style``."""
    return list(_sheet_features(css, outer))


@lru_cache(maxsize=32)
def _sheet_features(css: str, outer: Place) -> tuple[tuple[str, Place], ...]:
    # Cached: the template's style sheet is the same in every build.
    import cssutils

    _tokenizer()  # sets cssutils's log level
    # cssutils fetches what an @import names, with no timeout, unless given
    # a fetcher: a check reads the email and never the network.
    parser = cssutils.CSSParser(fetcher=_no_fetch, validate=False)
    found: list[tuple[str, Place]] = []
    try:
        sheet = parser.parseString(css)
        _rule_features(sheet.cssRules, outer or "style", found)
    except Exception:  # a check reports on any CSS; it must never crash
        found.clear()  # a sheet cssutils cannot read is left out
    return tuple(dict.fromkeys(found))


def _no_fetch(url: str) -> None:
    return None  # cssutils leaves the imported sheet empty


def _rule_features(rules: Any, place: Place, found: list[tuple[str, Place]]) -> None:
    for rule in rules:
        if rule.type == rule.COMMENT:
            found.append(("css:comments", place))
        elif rule.type == rule.STYLE_RULE:
            selectors = list(rule.selectorList)
            if len(selectors) > 1:
                found.append(("selector:grouping", place))
            for selector in selectors:
                found.extend((n, place) for n in _selector_features(selector.seq))
            declarations = [
                (p.name.lower(), p.value, p.priority == "important")
                for p in rule.style.getProperties(all=True)
            ]
            found.extend((n, place) for n in _declaration_features(declarations))
        elif rule.type == rule.MEDIA_RULE:
            found.append(("at-rule:media", place))
            features = _media_features(rule.media.mediaText)
            found.extend((name, "media") for name in features)
            _rule_features(rule.cssRules, "media", found)
        elif getattr(rule, "atkeyword", None):  # @font-face, @import, @supports...
            found.append((f"at-rule:{rule.atkeyword.lstrip('@').lower()}", place))


def _media_features(media: str) -> list[str]:
    return [f"media:{name.lower()}" for name in MEDIA_FEATURE.findall(media)]


def _selector_features(seq: Any) -> set[str]:
    names: set[str] = set()
    compound = 0  # type, id, class and attribute parts of one compound selector
    for item in seq:
        kind, value = item.type, item.value
        if kind in COMBINATORS:
            names.add(COMBINATORS[kind])
            compound = 0
        elif kind in SIMPLE:
            names.add(SIMPLE[kind])
            compound += 1
            if compound == 2:
                names.add("selector:chaining")  # td.pad, .a.b, a[href]
        elif kind == "negation-start":
            names.add("pseudo-class:not")
        elif kind == "pseudo-element":
            names.add("pseudo-element:" + value.lstrip(":").rstrip("(").lower())
        elif kind == "pseudo-class":
            name = value.lstrip(":").rstrip("(").lower()
            prefix = "pseudo-element" if name in PSEUDO_ELEMENTS else "pseudo-class"
            names.add(f"{prefix}:{name}")
    return names
