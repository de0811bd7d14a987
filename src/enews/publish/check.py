"""Quality report on a built issue: the last stage of the pipeline.

``check_issue`` reads the exported HTML and text part and returns a Report
of named checks. It is pure and total: any input gives a report, never an
exception, since a checker that crashes on bad HTML hides the bad HTML.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from lxml import etree  # type: ignore[import-untyped]
from lxml import html as lxml_html

from enews.config import Settings
from enews.profiles import get_profile
from enews.urls import is_absolute_url, is_whole_merge_tag

Status = Literal["pass", "warn", "fail"]

KB = 1024
CLIP_BYTES = 102 * KB  # Gmail shows "[Message clipped]" from about here
# The mailing service adds tracking links and its own footer, so warn early.
WARN_BYTES = 90 * KB
MB = 1024 * KB
HEAVY_IMAGE = MB
MAX_DETAILS = 10  # detail lines shown per check by format_report

UNSUB = re.compile(r"unsub", re.IGNORECASE)
FORBIDDEN_TAGS = ("script", "iframe", "form", "object", "embed")
DISPLAY_NONE = re.compile(r"display\s*:\s*none", re.IGNORECASE)
TEXT_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
TRAILING = ".,;:!?)]}'\""  # punctuation a sentence may put after a URL


@dataclass(frozen=True)
class Check:
    """One named check and its outcome."""

    name: str
    status: Status
    message: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    """All checks on one issue, in a fixed order."""

    checks: tuple[Check, ...]

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.status == "fail")

    @property
    def warnings(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.status == "warn")

    @property
    def ok(self) -> bool:
        """True when nothing failed; warnings do not stop a send."""
        return not self.failures

    def get(self, name: str) -> Check:
        return {c.name: c for c in self.checks}[name]  # KeyError if unknown

    def as_dict(self) -> dict[str, Any]:
        counts = Counter(c.status for c in self.checks)
        return {
            "ok": self.ok,
            "counts": {s: counts[s] for s in ("pass", "warn", "fail")},
            "checks": [asdict(c) | {"details": list(c.details)} for c in self.checks],
        }


def check_issue(
    html: str,
    text: str,
    *,
    placeholders: Sequence[str] = (),
    images: Sequence[Mapping[str, Any]] = (),
) -> Report:
    """Run every check on an issue's HTML and its plain-text part.

    ``placeholders`` are hrefs the mailing service will replace (e.g. a
    configured unsubscribe URL) beyond the merge-tag syntaxes known here.
    ``images`` are the workspace's stored images the email shows (the
    manifest's list, with their bytes).
    """
    doc = parse_html(html)
    known = frozenset(p.strip() for p in placeholders if p.strip())
    hrefs = link_hrefs(doc)
    return Report(
        checks=(
            _check_size(html, doc),
            _check_links(hrefs, known),
            _check_item_links(doc),
            _check_images(doc, images),
            _check_unsubscribe(doc, known),
            _check_document(doc),
            _check_safety(doc),
            _check_text(hrefs, known, text),
        )
    )


def placeholders(settings: Settings) -> list[str]:
    """The merge tags (and fixed URLs) this workspace's builds put in links.

    A fixed unsubscribe URL counts as the unsubscribe link whatever its
    wording; the service's tags also pass the link check.
    """
    profile = get_profile(settings.profile)
    tags = [settings.unsubscribe_url or profile.unsubscribe, profile.web_version]
    return [tag for tag in tags if tag]


def format_report(report: Report) -> str:
    """One line per check, indented details (at most MAX_DETAILS), a summary."""
    width = max([10, *(len(c.name) for c in report.checks)])
    indent = " " * (5 + width + 1)
    lines: list[str] = []
    for check in report.checks:
        lines.append(f"{check.status.upper()} {check.name:<{width}} {check.message}")
        lines.extend(indent + d for d in check.details[:MAX_DETAILS])
        if len(check.details) > MAX_DETAILS:
            lines.append(f"{indent}... and {len(check.details) - MAX_DETAILS} more")
    n = report.as_dict()["counts"]
    lines.append(f"{n['fail']} failed, {n['warn']} warned, {n['pass']} passed")
    return "\n".join(lines)


def link_hrefs(doc: Any) -> list[str]:
    """Every <a href> of a parsed email, in order. Browsers ignore spaces
    around a URL, so the checks do too."""
    return [a.get("href").strip() for a in doc.iter("a") if a.get("href") is not None]


def parse_html(html: str) -> Any:
    """An lxml document for any string; an empty <html> when nothing parses."""
    # Bytes, as lxml refuses a str with NUL or an XML encoding declaration;
    # surrogatepass lets lone surrogates through (libxml2 makes them U+FFFD).
    data = html.encode("utf-8", "surrogatepass")
    # huge_tree: libxml2 otherwise stops at 256 levels, and a deep theme would
    # hide its footer (the unsubscribe link) from the checks.
    parser = lxml_html.HTMLParser(encoding="utf-8", huge_tree=True)  # per call
    try:
        return lxml_html.document_fromstring(data, parser=parser)
    except (etree.ParserError, ValueError):  # "Document is empty" and kin
        return lxml_html.Element("html")


def _is_placeholder(href: str, known: frozenset[str]) -> bool:
    return href in known or is_whole_merge_tag(href)


def _link_ok(href: str, known: frozenset[str]) -> bool:
    if href.lower().startswith("mailto:") and len(href) > len("mailto:"):
        return True
    # Browsers ignore the spaces around an href; urlsplit does too.
    return is_absolute_url(href.strip()) or _is_placeholder(href, known)


def _short(value: str, limit: int = 100) -> str:
    """Keep detail lines readable: data: URIs run to megabytes."""
    return value if len(value) <= limit else value[: limit - 3] + "..."


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _check_size(html: str, doc: Any) -> Check:
    size = len(html.encode("utf-8", "surrogatepass"))  # Gmail counts bytes
    status: Status = (
        "fail" if size >= CLIP_BYTES else "warn" if size >= WARN_BYTES else "pass"
    )
    clipped = ", Gmail clips it from 102 KB" if status == "fail" else ""
    room = _room(size, count_items(doc))
    return Check("size", status, f"{size / KB:.1f} KB of HTML{clipped}; {room}")


def count_items(doc: Any) -> int:
    """The items of an enews email: an item's cell, and the featured one."""
    # Elements only: comments (MSO conditionals too) have no class.
    classes = [(e.get("class") or "").split() for e in doc.iter(etree.Element)]
    return sum(1 for c in classes if "item" in c or "lead" in c)


def _room(size: int, items: int) -> str:
    if items == 0:
        return "no items found to estimate how many more fit"
    # The page's bytes over its items overstates an item (header and footer
    # are counted in), so the estimate errs on the safe side.
    average = size / items
    if size < WARN_BYTES:
        return f"about {int((WARN_BYTES - size) // average)} more items fit under 90 KB"
    excess = -(-(size - WARN_BYTES + 1) // average)  # ceiling division
    return f"remove about {int(excess)} items to get under 90 KB"


def _check_links(hrefs: list[str], known: frozenset[str]) -> Check:
    bad = tuple(f'href="{_short(h)}"' for h in hrefs if not _link_ok(h, known))
    if not bad:
        return Check("links", "pass", f"{_plural(len(hrefs), 'link')}, all fine")
    are = "is" if len(bad) == 1 else "are"
    why = f"{are} not absolute http(s), mailto or a merge tag"
    return Check("links", "fail", f"{_plural(len(bad), 'link')} {why}", bad)


def _check_item_links(doc: Any) -> Check:
    """Items whose title links nowhere: a reader cannot go on to the story
    (as with a listing pasted from a web page, which loses its links)."""
    titles = [_title_of(item) for item in _item_blocks(doc)]
    unlinked = tuple(repr(_short(t, 60)) for t, linked in titles if not linked)
    if not titles:
        return Check("item-links", "pass", "no items")
    if not unlinked:
        return Check("item-links", "pass", "every item links to its story")
    return Check(
        "item-links",
        "warn",
        f"{_plural(len(unlinked), 'item')} of {len(titles)} without a link",
        unlinked,
    )


def _item_blocks(doc: Any) -> list[Any]:
    """The featured item's title and every item's cell (partials/)."""
    found = []
    for element in doc.iter(etree.Element):
        classes = (element.get("class") or "").split()
        if "item" in classes or "lead" in classes:
            found.append(element)
    return found


def _title_of(block: Any) -> tuple[str, bool]:
    """An item's title text, and whether it is a link."""
    lead = "lead" in (block.get("class") or "").split()
    heading = block if lead else next(block.iter("h3"), None)
    if heading is None:
        return ("(untitled)", False)
    linked = any(a.get("href", "").strip() for a in heading.iter("a"))
    return (" ".join(heading.text_content().split()), linked)


def _check_images(doc: Any, stored: Sequence[Mapping[str, Any]]) -> Check:
    images = list(doc.iter("img"))
    problems = tuple(p for img in images for p in _image_problems(img))
    if problems:
        return Check(
            "images", "fail", _plural(len(problems), "image problem"), problems
        )
    heavy = tuple(
        f"{_short(str(image.get('path') or image.get('url')), 60)}: "
        f"{image['bytes'] / MB:.1f} MB"
        for image in stored
        if isinstance(image.get("bytes"), int) and image["bytes"] > HEAVY_IMAGE
    )
    if heavy:  # slow on a phone's data; the mailing service may refuse it
        message = f"{_plural(len(heavy), 'image')} over 1 MB"
        return Check("images", "warn", message, heavy)
    return Check("images", "pass", f"{_plural(len(images), 'image')}, all fine")


def _image_problems(img: Any) -> list[str]:
    src = (img.get("src") or "").strip()
    label = f'<img src="{_short(src, 60)}">'
    problems: list[str] = []
    alt = img.get("alt")
    decorative = (img.get("role") or "").strip().lower() == "presentation"
    if alt is None:
        problems.append(f"{label}: no alt")
    elif not alt.strip() and not decorative:
        problems.append(f'{label}: empty alt without role="presentation"')
    if not is_absolute_url(src):
        problems.append(f"{label}: src is not an absolute http(s) URL")
    # Outlook ignores CSS widths and shows the image at its natural size, so
    # it needs width in pixels (premailer would write "100%").
    if not (img.get("width") or "").strip().isdigit():
        problems.append(f"{label}: no width attribute in pixels")
    return problems


def _check_unsubscribe(doc: Any, known: frozenset[str]) -> Check:
    for a in doc.iter("a"):
        href = (a.get("href") or "").strip()
        if href in known or UNSUB.search(href) or UNSUB.search(a.text_content()):
            return Check("unsubscribe", "pass", f'unsubscribe link: "{_short(href)}"')
    return Check("unsubscribe", "fail", "no unsubscribe link (the law requires one)")


def _check_document(doc: Any) -> Check:
    missing: list[str] = []
    if doc.tag != "html" or not (doc.get("lang") or "").strip():
        missing.append("lang on <html> (screen readers pick the voice from it)")
    title = doc.find("head/title")
    if title is None or not title.text_content().strip():
        missing.append("<title> (shown by web views and some clients)")
    if not _has_preheader(doc):
        missing.append("hidden preheader first in <body> (the inbox preview)")
    if missing:
        return Check("document", "fail", f"{len(missing)} missing", tuple(missing))
    return Check("document", "pass", "lang, title and preheader present")


def _has_preheader(doc: Any) -> bool:
    body = doc.find("body")
    first = _first_child(body) if body is not None else None
    if first is not None and first.tag == "div" and not _hidden(first):
        first = _first_child(first)  # MJML wraps the whole body in one div
    return first is not None and _hidden(first) and bool(first.text_content().strip())


def _first_child(element: Any) -> Any:
    """The first child element, or None when visible text comes before it."""
    if (element.text or "").strip():
        return None
    return next(element.iterchildren(etree.Element), None)


def _hidden(element: Any) -> bool:
    return DISPLAY_NONE.search(element.get("style") or "") is not None


def _check_safety(doc: Any) -> Check:
    found: Counter[str] = Counter()
    for element in doc.iter(etree.Element):
        if element.tag in FORBIDDEN_TAGS:
            found[f"<{element.tag}>"] += 1
        for name in element.attrib:
            if name.lower().startswith("on"):
                found[f"{name.lower()}= on <{element.tag}>"] += 1
    if found:
        details = tuple(f"{what} x{n}" if n > 1 else what for what, n in found.items())
        message = "scripts, embeds or event handlers; clients strip or block them"
        return Check("safety", "fail", message, details)
    return Check("safety", "pass", "no scripts, frames, forms or event handlers")


def _check_text(hrefs: list[str], known: frozenset[str], text: str) -> Check:
    # lxml has unescaped &amp; in the hrefs; the text part is plain text, so
    # an &amp; there is a real defect and is compared as it stands.
    urls = dict.fromkeys(
        h for h in hrefs if is_absolute_url(h.strip()) and not _is_placeholder(h, known)
    )
    present = {u for f in TEXT_URL.findall(text) for u in (f, f.rstrip(TRAILING))}
    missing = tuple(u for u in urls if u not in present)
    if not missing:
        return Check("text", "pass", f"{_plural(len(urls), 'link')}, all in the text")
    message = f"{_plural(len(missing), 'link')} of the HTML missing from the text"
    return Check("text", "fail", message, missing)
