"""The news a page lists in its structured data, read through extruct.

JSON-LD, microdata and RDFa all come down to schema.org things: an
``ItemList`` of ``ListItem``s (each naming its story or holding it), or
articles side by side (``NewsArticle``, ``BlogPosting``, ``Article``...).
A page that describes only itself (one article, its own URL) lists no news.
extruct is imported only when the page has some structured data: it costs a
quarter of a second to load.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urldefrag, urljoin

from enews.collect.page_dates import machine_date

ARTICLE_TYPES = frozenset(
    {"Article", "NewsArticle", "BlogPosting", "Report", "ScholarlyArticle",
     "TechArticle", "AnalysisNewsArticle", "ReportageNewsArticle",
     "OpinionNewsArticle", "BackgroundNewsArticle", "ReviewNewsArticle",
     "LiveBlogPosting", "SocialMediaPosting", "PressRelease", "Blog"}
)  # fmt: skip
SKIPPED_TYPES = frozenset(
    {"BreadcrumbList", "SiteNavigationElement", "WPHeader", "WPFooter"}
)
_SCHEMA = ("http://schema.org/", "https://schema.org/")
_DATES = ("datePublished", "dateCreated", "uploadDate", "dateModified")
_TAG = re.compile(r"<[^>]*>")
_MAX_DEPTH = 12  # RDFa nodes refer to each other; a loop must end


def entries(
    data: bytes, root: Any, base: str | None,
    *, warn: Callable[[str], None],
) -> list[dict[str, str]]:  # fmt: skip
    """The fields of each story the page's structured data lists, or []."""
    things = list(_extracted(data, root, base, warn))
    listed = [fields for thing in things for fields in _listed(thing)]
    found = _unique([_fields(t, base) for t in listed])
    from_list = any(_types(t) & {"ItemList"} for t in _all_things(things))
    if from_list and found:
        return found
    # Articles side by side; one alone is the page itself.
    titled = [fields for fields in found if "title" in fields]
    return titled if len(titled) >= 2 else []


def _extracted(
    data: bytes, root: Any, base: str | None, warn: Callable[[str], None]
) -> Iterator[Any]:
    syntaxes = []
    if root.xpath(
        "//script[translate(@type, 'JSON-LD', 'json-ld')='application/ld+json']"
    ):
        syntaxes.append("json-ld")
    if root.xpath("//*[@itemscope]"):
        syntaxes.append("microdata")
    rdfa = bool(root.xpath("//*[@typeof or @vocab]"))
    if not syntaxes and not rdfa:
        return
    import extruct  # type: ignore[import-untyped]

    for syntax in syntaxes:
        try:
            found = extruct.extract(
                root, base_url=base, syntaxes=[syntax], uniform=True
            )
        except Exception as exc:  # extruct raises anything; the page is still read
            warn(f"{syntax} ignored: {_reason(exc)}")
            continue
        yield from found.get(syntax, [])
    if rdfa:
        yield from _rdfa(data, base, warn)


def _rdfa(data: bytes, base: str | None, warn: Callable[[str], None]) -> Iterator[Any]:
    """RDFa comes out as expanded JSON-LD: full IRIs, lists of values and
    references between nodes; made into plain schema.org things here."""
    import extruct
    from extruct.utils import parse_xmldom_html  # type: ignore[import-untyped]

    try:
        tree = parse_xmldom_html(data, encoding="utf-8")
        nodes = extruct.extract(tree, base_url=base, syntaxes=["rdfa"])["rdfa"]
    except Exception as exc:  # pyRdfa and rdflib raise anything
        warn(f"RDFa ignored: {_reason(exc)}")
        return
    by_id = {n["@id"]: n for n in nodes if isinstance(n, dict) and "@id" in n}
    referred = {
        v["@id"] for n in nodes if isinstance(n, dict)
        for values in n.values() if isinstance(values, list)
        for v in values
        if isinstance(v, dict) and v.get("@id") in by_id and v["@id"] != n.get("@id")
    }  # fmt: skip
    for node in nodes:
        if isinstance(node, dict) and node.get("@id") not in referred:
            yield _plain(node, by_id, 0)


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _plain(node: dict[str, Any], by_id: dict[str, Any], depth: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, values in node.items():
        name = _short(key)
        if key == "@type":
            out["@type"] = [_short(t) for t in values]
        elif key != "@id" and isinstance(values, list) and values:
            out[name] = [_value(v, node.get("@id"), by_id, depth) for v in values]
            out[name] = out[name][0] if len(out[name]) == 1 else out[name]
    if "@id" in node and not str(node["@id"]).startswith("_:"):
        out.setdefault("url", node["@id"])
    return out


def _value(value: Any, own: Any, by_id: dict[str, Any], depth: int) -> Any:
    if not isinstance(value, dict):
        return value
    if "@value" in value:
        return value["@value"]
    ref = value.get("@id")
    if ref in by_id and ref != own and depth < _MAX_DEPTH:
        return _plain(by_id[ref], by_id, depth + 1)
    return ref


def _short(iri: str) -> str:
    for prefix in _SCHEMA:
        if iri.startswith(prefix):
            return iri[len(prefix) :]
    return iri


# -- things to stories ----------------------------------------------------------


def _types(thing: Any) -> set[str]:
    if not isinstance(thing, dict):
        return set()
    value = thing.get("@type") or thing.get("type") or []
    return {_short(str(t)) for t in (value if isinstance(value, list) else [value])}


def _all_things(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for child in value.values():
            yield from _all_things(child)
    elif isinstance(value, list):
        for child in value:
            yield from _all_things(child)


def _listed(value: Any) -> Iterator[dict[str, Any]]:
    """The stories in ``value``: an ItemList's items, else articles."""
    if isinstance(value, list):
        for child in value:
            yield from _listed(child)
        return
    if not isinstance(value, dict):
        return
    types = _types(value)
    if types & SKIPPED_TYPES:
        return
    if "ItemList" in types:
        elements = _as_list(value.get("itemListElement"))
        elements.sort(key=_position)
        for element in elements:
            if (story := _list_element(element)) is not None:
                yield story
        return
    if types & ARTICLE_TYPES:
        yield value
        return
    for child in value.values():
        yield from _listed(child)


def _list_element(element: Any) -> dict[str, Any] | None:
    if isinstance(element, str):
        return {"url": element}
    if not isinstance(element, dict):
        return None
    item = element.get("item")
    own = {k: v for k, v in element.items() if k not in ("item", "@type")}
    if isinstance(item, dict):
        return {**own, **item}
    if isinstance(item, str):
        return {**own, "url": item}
    return element


def _position(element: Any) -> float:
    try:
        return float(element.get("position", 0)) if isinstance(element, dict) else 0.0
    except (TypeError, ValueError):
        return 0.0


def _fields(thing: dict[str, Any], base: str | None) -> dict[str, str]:
    fields: dict[str, str] = {}
    _put(fields, "title", _plain_text(_first_text(thing, "headline", "name")))
    url = _first_text(thing, "url", "mainEntityOfPage")
    # An @id names the thing, often as its page's address and a fragment
    # ("https://example.org/news/x/#article").
    url = url or urldefrag(_first_text(thing, "@id") or "").url
    if url and not url.startswith("_:"):
        fields["url"] = urljoin(base or "", url)
    for key in _DATES:
        if raw := _first_text(thing, key):
            fields["date"] = machine_date(raw) or raw
            break
    _put(fields, "summary", _plain_text(_first_text(thing, "description", "abstract")))
    _put(fields, "kind", _plain_text(_first_text(thing, "articleSection", "genre")))
    image, alt = _image(thing.get("image") or thing.get("thumbnailUrl"))
    if image:
        fields["image"] = urljoin(base or "", image)
        fields["image_alt"] = alt or fields.get("title", "")
    return fields


def _image(value: Any) -> tuple[str | None, str | None]:
    value = _as_list(value)[0] if _as_list(value) else None
    if isinstance(value, str):
        return value.strip() or None, None
    if isinstance(value, dict):
        src = _first_text(value, "url", "contentUrl", "@id")
        return src, _plain_text(_first_text(value, "caption", "description", "name"))
    return None, None


def _first_text(thing: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        for value in _as_list(thing.get(key)):
            if isinstance(value, dict):
                value = value.get("@id") or value.get("url") or value.get("name")
            if isinstance(value, str | int | float) and str(value).strip():
                return " ".join(str(value).split())
    return None


def _plain_text(value: str | None) -> str | None:
    """Text without the tags and entities that some sites leave in their
    JSON-LD ("Caf&eacute; &amp; co", "<p>Teaser</p>"); not for links, where
    "&not=1" is no entity."""
    if value and ("<" in value or "&" in value):
        return " ".join(html.unescape(_TAG.sub(" ", value)).split())
    return value


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _put(fields: dict[str, str], key: str, value: str | None) -> None:
    if value:
        fields[key] = value


def _unique(found: list[dict[str, str]]) -> list[dict[str, str]]:
    """One entry per story (JSON-LD and microdata may both describe it).

    An entry with a link but no title is kept: an ItemList often names
    only its stories' links, and the page's blocks give their titles.
    """
    seen: set[str] = set()
    kept = []
    for fields in found:
        key = fields.get("url") or fields.get("title")
        if key and key not in seen:
            seen.add(key)
            kept.append(fields)
    return kept
