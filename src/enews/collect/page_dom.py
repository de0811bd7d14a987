"""The news blocks of a page, found in its repeated structure (lxml).

A listing repeats one shape per story: the same tag and classes at the same
place in the tree, each holding one linked title and most often a date, a
kind label, a teaser and an image. So, after dropping the page's navigation,
header, footer, asides, pager and share links, elements are grouped by
their path of tags and base classes from the root, each group is scored (a
group whose members have dates beats one without: a tag cloud or a "most
read" list has none) and the best one's members are the blocks
(page_block reads each).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from enews.collect.page_block import WORD_SPLIT, fields_of, links_in, words

NOISE_TAGS = frozenset(
    {"nav", "aside", "form", "script", "style", "noscript", "template", "svg",
     "select", "button", "iframe", "dialog"}
)  # fmt: skip
# Class, id and role words that mark what is no story.
NOISE_WORDS = frozenset(
    {"nav", "navbar", "navigation", "menu", "pager", "pagination", "paging",
     "share", "sharing", "social", "breadcrumb", "breadcrumbs", "cookie",
     "cookies", "skip", "sidebar", "banner", "contentinfo"}
)  # fmt: skip
_NEVER_NOISE = frozenset({"html", "body", "main"})
_UNSEEN_CLASSES = frozenset(
    {"screen-reader-text", "sr-only", "visually-hidden", "element-invisible", "hidden"}
)
# <header> and <footer> are the page's own unless inside an article or section.
PAGE_PARTS = frozenset({"header", "footer"})
SECTIONING = frozenset({"article", "section"})
# Classes that differ between members of one list, so are no part of a path.
_STATE_CLASSES = frozenset(
    {"first", "last", "odd", "even", "active", "current", "selected", "new"}
)


def blocks(root: Any, base: str | None) -> list[dict[str, str]]:
    """The fields of each news block of the page at ``root``, in page order.

    Drops the page's noise from the tree (the caller is done with it).
    """
    _drop_noise(root)
    month_first = (root.get("lang") or "").lower().startswith("en-us")
    best: tuple[Any, ...] | None = None
    for members in _groups(root):
        found = [f for m in members if (f := fields_of(m, base, month_first))]
        if len({f["url"] for f in found}) < 2:
            continue
        key = (*_score(found), -_depth(members[0]))
        if best is None or key > best[:-1]:
            best = (*key, found)
    return best[-1] if best else []


def _drop_noise(root: Any) -> None:
    noise = [el for el in root.iter() if isinstance(el.tag, str) and _is_noise(el)]
    for element in noise:
        if element.getparent() is not None:
            element.drop_tree()


def _is_noise(element: Any) -> bool:
    if element.tag in NOISE_TAGS:
        return True
    if element.tag in PAGE_PARTS and not any(
        a.tag in SECTIONING for a in element.iterancestors()
    ):
        return True
    if element.tag in _NEVER_NOISE:
        return False
    if set((element.get("class") or "").lower().split()) & _UNSEEN_CLASSES:
        return True  # text for screen readers: "Continue reading <Title>"
    found = words(element.get("class")) | words(element.get("id"))
    found |= words(element.get("role"))
    # "has-sidebar" on a wrapper says what is beside it, not what it is.
    return bool(found & NOISE_WORDS) and element.find(".//main") is None


def _groups(root: Any) -> list[list[Any]]:
    """Elements holding a link, grouped by tag-and-class path; two or more.

    Keyed by the elements themselves, not id(): a proxy lxml made for an
    element may be freed and its id reused by the next one.
    """
    links = links_in(root)
    holders = {a for link in links for a in link.iterancestors()} | set(links)
    paths: dict[Any, str] = {}
    groups: dict[str, list[Any]] = defaultdict(list)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        parent = element.getparent()
        path = f"{paths.get(parent, '')}/{_step(element)}"
        paths[element] = path
        if element in holders:
            groups[path].append(element)
    return [members for members in groups.values() if len(members) >= 2]


def _step(element: Any) -> str:
    """The element's tag and first class (the base one: "post" of "post-12
    post type-post category-news", "views-row" of "views-row views-row-3
    views-row-odd"), skipping those that number or mark one member."""
    for token in (element.get("class") or "").split():
        if not any(ch.isdigit() for ch in token) and (
            WORD_SPLIT.split(token.lower())[-1] not in _STATE_CLASSES
        ):
            return f"{element.tag}.{token}"
    return str(element.tag)


def _score(found: list[dict[str, str]]) -> tuple[bool, float]:
    """(most members dated, how much news the group holds)."""
    dated = sum("date" in f for f in found) / len(found)
    per = sum(
        1
        + ("date" in f) * 2
        + ("summary" in f)
        + ("image" in f) / 2
        + ("kind" in f) / 2
        for f in found
    )
    return dated >= 0.5, per


def _depth(element: Any) -> int:
    return sum(1 for _ in element.iterancestors())
