"""One news block's fields: its title and link, date, kind, teaser, image.

page_dom finds the blocks; this reads one. The title is the block's
heading (or title-classed element) and the link in it, else its longest
link; the other texts of the block are sorted out by what they look like
(a date), by their class ("category", "teaser") and by where they stand
(a short line before the title is a kind label: "News", "ILO COOP 100
Interview").
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin

from enews import limits
from enews.collect.page_dates import find_date, machine_date

HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
TITLE_WORDS = frozenset({"title", "headline", "heading"})
KIND_WORDS = frozenset(
    {"category", "categories", "kind", "type", "label", "tag", "tags", "topic",
     "eyebrow", "kicker", "badge", "rubric", "overline", "genre", "format"}
)  # fmt: skip
TEASER_WORDS = frozenset(
    {"summary", "teaser", "excerpt", "description", "desc", "intro", "lead",
     "abstract", "standfirst", "snippet", "blurb", "text", "body"}
)  # fmt: skip
ICON_PX = 48  # an image declared smaller is an icon
# A block links to its story, its kind, its author, its comments...; more
# than this is a list of stories.
MAX_LINKS = 10
_SKIP_HREF = re.compile(r"^\s*(#|javascript:|mailto:|tel:|data:)", re.I)
_DATE_WORDS = frozenset(
    {"posted", "published", "updated", "on", "date", "dated", "added"}
)
WORD_SPLIT = re.compile(r"[-_\s]+")
_SEPARATORS = " |\u00b7\u2022\u2013\u2014-/,:"  # middle dot, bullet, dashes
_NEIGHBOUR_WORDS = frozenset({"has", "with", "without", "no", "is", "open"})


def fields_of(block: Any, base: str | None, month_first: bool) -> dict[str, str] | None:
    """The block's fields, or None when it holds no single linked story.
    ``month_first``: read 11/02/2020 as 2 November (a page in en-US)."""
    link, title_el = _main_link(block)
    if link is None:
        return None
    inside = title_el is None or _contains(title_el, link)
    title = text_of(link) if inside else text_of(title_el)
    if not title:
        return None
    title_el = link if title_el is None else title_el
    fields = {"title": title, "url": urljoin(base or "", link.get("href").strip())}
    order = {el: n for n, el in enumerate(block.iter())}
    pieces = [
        p for p in _pieces(block)
        if not _contains(title_el, p) and not _contains(p, title_el)
    ]  # fmt: skip
    date_el = _date(block, pieces, title_el, fields, month_first)
    rest = [
        p for p in pieces
        if date_el is None or not (_contains(date_el, p) or _contains(p, date_el))
    ]  # fmt: skip
    _kind(rest, fields, order, order[title_el])
    _teaser(rest, fields)
    _image(block, base, fields)
    return fields


def _main_link(block: Any) -> tuple[Any, Any]:
    """(the story's link, the element holding its title, if any), or
    (None, None) when the block is no single story."""
    links = links_in(block)
    if not links or len({a.get("href").strip() for a in links}) > MAX_LINKS:
        return None, None
    titles = [el for el in block.iter() if _is_title(el) and text_of(el)]
    if len(_places(links, titles, block)) > 1:
        return None, None  # two stories, or a list of them
    if not titles:
        return max(links, key=lambda a: len(text_of(a))), None
    title = titles[0]
    inside = [a for a in links if _contains(title, a) or _contains(a, title)]
    # A title without a link: the story's link is the first that is no label.
    others = [a for a in links if not _in_label(a, block)]
    return (inside or others or links)[0], title


def _places(links: list[Any], titles: list[Any], block: Any) -> set[str]:
    """Where the block's titles link to: its title links, or without titles
    the links of three words or more ("News" is a label; a "Read more"
    goes where the title does)."""
    if titles:
        found = [
            a for a in links if any(_contains(t, a) or _contains(a, t) for t in titles)
        ]
    else:
        found = [
            a for a in links
            if len(text_of(a).split()) >= 3
            and not _in_label(a, block)
        ]  # fmt: skip
    return {a.get("href").strip() for a in found}


def _is_label(element: Any) -> bool:
    if element.tag == "a" and words(element.get("rel")) & {"category", "tag"}:
        return True
    return bool(words(element.get("class")) & KIND_WORDS)


def _in_label(link: Any, block: Any) -> bool:
    """Whether ``link`` is (in) a kind label of ``block``."""
    for element in (link, *link.iterancestors()):
        if element is block:
            return False
        if _is_label(element):
            return True
    return False


def _is_title(element: Any) -> bool:
    return element.tag in HEADINGS or bool(words(element.get("class")) & TITLE_WORDS)


def _pieces(block: Any) -> list[Any]:
    """The elements of the block that hold text of their own, in order."""
    found = []
    for element in block.iter():
        if not isinstance(element.tag, str) or element.tag == "img":
            continue
        if _owntext_of(element) or element.tag == "time":
            found.append(element)
    return found


def _date(
    block: Any, pieces: list[Any], title_el: Any, fields: dict[str, str],
    month_first: bool,
) -> Any:  # fmt: skip
    """Find the block's date, put it in ``fields``; the element it is in."""
    for time in block.iter("time"):
        value = machine_date(time.get("datetime") or "") or machine_date(text_of(time))
        if value:
            fields["date"] = value
            return time
    texts = [(p, text_of(p)) for p in pieces]
    # "<li><a>Title</a> - 27 November 2020</li>": text beside the title
    around = [a for a in title_el.iterancestors() if _contains(block, a)]
    texts += [(a, _owntext_of(a)) for a in around]
    for element, text in texts:
        if found := find_date(text, month_first=month_first):
            fields["date"] = found[0]
            _kind_beside_date(text, found[1], fields)
            return element
    return None


def _owntext_of(element: Any) -> str:
    own = (element.text or "") + " ".join(c.tail or "" for c in element)
    return " ".join(own.split())


def _kind_beside_date(text: str, date: str, fields: dict[str, str]) -> None:
    """ "News | 27 November 2020": the words beside a date are its kind,
    when few (kept aside, in case the block has a labelled one)."""
    words = text.replace(date, " ").strip(_SEPARATORS).split()
    while words and words[0].lower().strip(_SEPARATORS) in _DATE_WORDS:
        words.pop(0)  # "Posted on 27 November 2020" has no kind
    rest = " ".join(words).strip(_SEPARATORS)
    if rest and len(words) <= 4 and not find_date(rest):
        fields["_kind"] = rest


def _kind(
    rest: list[Any], fields: dict[str, str], order: dict[Any, int], title_at: int
) -> None:
    """A labelled kind, else a short line before the title, else the words
    beside the date."""
    beside = fields.pop("_kind", None)
    labelled = [p for p in rest if _is_label(p)]
    short_before = [
        p for p in rest
        if order[p] < title_at and len(text_of(p).split()) <= 5
        and not text_of(p).lower().startswith("by ")  # a byline is no kind
    ]  # fmt: skip
    for candidate in (*labelled, *short_before):
        if text := _firsttext_of(candidate):
            fields["kind"] = text
            return
    if beside:
        fields["kind"] = beside


def _firsttext_of(element: Any) -> str:
    """A label's text: of a list of tags the first one; of "Posted in
    <a>News</a>" the link's."""
    children = [c for c in element if isinstance(c.tag, str) and text_of(c)]
    text = text_of(children[0]) if children else text_of(element)
    return text if len(text) <= limits.KIND else ""


def _teaser(rest: list[Any], fields: dict[str, str]) -> None:
    kind = fields.get("kind")
    candidates = [
        p for p in rest
        if p.tag != "a" and text_of(p) != kind and len(text_of(p).split()) >= 4
    ]  # fmt: skip
    labelled = [p for p in candidates if words(p.get("class")) & TEASER_WORDS]
    longest = sorted(candidates, key=lambda p: -len(text_of(p)))
    for piece in (labelled or longest)[:1]:
        fields["summary"] = text_of(piece)


def _image(block: Any, base: str | None, fields: dict[str, str]) -> None:
    for img in block.iter("img"):
        src = _image_source(img)
        if src and not _is_icon(img):
            fields["image"] = urljoin(base or "", src)
            fields["image_alt"] = (
                " ".join((img.get("alt") or "").split()) or fields["title"]
            )
            return


def _is_icon(img: Any) -> bool:
    """A tracking pixel or an icon (a file type, a share button) by its
    declared size: no picture for a story."""
    sizes = [
        img.get(name, "").strip().removesuffix("px") for name in ("width", "height")
    ]
    return any(size.isdigit() and int(size) < ICON_PX for size in sizes)


def _image_source(img: Any) -> str | None:
    for name in ("src", "data-src", "data-lazy-src", "data-original"):
        value = (img.get(name) or "").strip()
        if value and not _SKIP_HREF.match(value):
            return value
    srcset = (img.get("srcset") or img.get("data-srcset") or "").strip()
    return srcset.split(",")[0].split()[0] if srcset else None


def _contains(outer: Any, inner: Any) -> bool:
    return outer is inner or any(a is outer for a in inner.iterancestors())


def text_of(element: Any) -> str:
    return " ".join(element.text_content().split())


def words(value: str | None) -> set[str]:
    """The words of a class, id or role value, but of no token such as
    "has-sidebar" or "with-menu", which describe a neighbour."""
    if not value:
        return set()
    found: set[str] = set()
    for token in value.lower().split():
        words = set(WORD_SPLIT.split(token)) - {""}
        if not words & _NEIGHBOUR_WORDS:
            found |= words
    return found


def links_in(root: Any) -> list[Any]:
    return [
        a for a in root.iter("a")
        if a.get("href") and not _SKIP_HREF.match(a.get("href")) and text_of(a)
    ]  # fmt: skip
