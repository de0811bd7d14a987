"""The live link check: request every link and web image of a built issue.

``issue_links`` reads the links as the offline checks do (each ``<a href>``
of the built HTML, then each ``<img src>`` on the web) and names their
items; ``check_links`` asks the servers
a few at a time (HEAD, or GET when HEAD is refused or answered oddly) and
follows redirects; answers are kept a day in ``.enews/linkcheck.json``.
The deadlines (``Timeouts``) are kept by the calling thread, so a server
sending a byte a second, or a hanging name lookup, cannot hold a check.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from enews import safefiles
from enews.compose.assets import asset_folder_url
from enews.config import Settings
from enews.profiles import get_profile, web_version_url
from enews.publish.check import link_hrefs, parse_html
from enews.publish.linkrequest import Outcome, Pool, Progress, Status, Timeouts
from enews.render.view import ItemView
from enews.urls import is_absolute_url, is_merge_tag

__all__ = [  # Outcome, Progress and Timeouts are the callers' too
    "CACHE_FILE",
    "Link",
    "LinkReport",
    "Outcome",
    "Progress",
    "Timeouts",
    "check_links",
    "issue_links",
]

CACHE_FILE = Path(".enews") / "linkcheck.json"  # under the workspace
CACHE_SECONDS = 24 * 3600
WORKERS = 8
MAX_IMAGE_BYTES = 1024 * 1024  # more is slow on a phone's data
DEFAULT_TIMEOUTS = Timeouts()


@dataclass(frozen=True)
class Link:
    url: str
    items: tuple[str, ...] = ()  # the titles of the items that use it
    image: bool = False  # an <img src>, not an <a href>


@dataclass(frozen=True)
class LinkReport:
    results: tuple[tuple[Link, Outcome], ...]
    skipped: tuple[tuple[str, str], ...] = ()  # (href, why)
    seconds: float = 0.0
    note: str = ""  # e.g. the cache could not be saved

    def having(self, status: Status) -> list[tuple[Link, Outcome]]:  # in order
        return [(link, out) for link, out in self.results if out.status == status]

    def heavy(self) -> list[tuple[Link, Outcome, str]]:
        """The images whose Content-Length is over 1 MB, and that in words."""
        return [
            (link, out, _size_warning(out.size))
            for link, out in self.results
            if link.image and out.status != "broken" and _is_heavy(out.size)
        ]

    @property
    def ok(self) -> bool:
        return not self.having("broken")

    @property
    def from_cache(self) -> int:
        return sum(out.cached for _, out in self.results)

    def as_dict(self) -> dict[str, Any]:
        links = [
            {"url": k.url, "items": k.items, "image": k.image} | asdict(o)
            for k, o in self.results
        ]
        skipped = [{"url": url, "why": why} for url, why in self.skipped]
        return {"ok": self.ok, "links": links, "skipped": skipped, "note": self.note}


def issue_links(
    html: str, items: Sequence[ItemView], settings: Settings, slug: str
) -> tuple[list[Link], list[tuple[str, str]]]:
    """The links, then the web images, of a built issue to request, each
    once; and those skipped, with why."""
    doc = parse_html(html)
    owners = _owners(items)
    archive = web_version_url(get_profile(settings.profile), settings.base_url, slug)
    hrefs = [(href, _skip_reason(href, archive)) for href in dict.fromkeys(_hrefs(doc))]
    links = [Link(href, owners.get(href, ())) for href, why in hrefs if not why]
    pictures = _image_owners(items)
    stored = asset_folder_url(settings.base_url)
    srcs = [(src, _image_skip(src, stored)) for src in dict.fromkeys(_srcs(doc))]
    images = [Link(src, pictures.get(src, ()), True) for src, why in srcs if not why]
    return links + images, [(url, why) for url, why in hrefs + srcs if why]


def _is_heavy(size: int | None) -> bool:
    return size is not None and size > MAX_IMAGE_BYTES


def _size_warning(size: int | None) -> str:
    # Rounded up, so that 1 MB and a byte never reads "1.0 MB, over 1 MB".
    tenths = math.ceil((size or 0) * 10 / MAX_IMAGE_BYTES)
    return f"{tenths / 10:.1f} MB, over 1 MB: slow on a phone's data"


def _hrefs(doc: Any) -> Iterable[str]:
    # As check.check_issue reads them.
    return (href for href in link_hrefs(doc) if href)


def _srcs(doc: Any) -> Iterable[str]:
    # Spaces around a URL are ignored, as for links.
    srcs = ((img.get("src") or "").strip() for img in doc.iter("img"))
    return (src for src in srcs if src)


def _owners(items: Sequence[ItemView]) -> dict[str, tuple[str, ...]]:
    """Each link of an item (its own, those in its summary) -> the titles."""
    owners: dict[str, tuple[str, ...]] = {}
    for item in items:
        urls = [item.url] if item.url else []
        if item.summary_html:
            urls += _hrefs(parse_html(str(item.summary_html)))
        for url in dict.fromkeys(urls):
            owners[url] = (*owners.get(url, ()), item.title)
    return owners


def _image_owners(items: Sequence[ItemView]) -> dict[str, tuple[str, ...]]:
    """Each item's image -> the titles (the logo is nobody's)."""
    owners: dict[str, tuple[str, ...]] = {}
    for item in items:
        if item.image_url:
            owners[item.image_url] = (*owners.get(item.image_url, ()), item.title)
    return owners


def _image_skip(src: str, stored: str | None) -> str:
    if src.lower().startswith("data:"):
        return "data: image"
    if is_merge_tag(src):
        return "merge tag"
    if not is_absolute_url(src):
        return "non-http(s) image"  # the offline images check covers it
    if stored and src.startswith(stored + "/"):
        # Checked offline from the manifest; 'enews archive' publishes it later.
        return "stored image"
    return ""


def _skip_reason(href: str, archive: str | None) -> str:
    if href.lower().startswith("mailto:"):
        return "mailto link"
    if is_merge_tag(href):
        return "merge tag"
    if not is_absolute_url(href):
        return "non-http(s) link"  # the offline links check says what is wrong
    if href == archive:  # the archive page: 'enews archive' publishes it later
        return "web version link"
    return ""


def check_links(
    links: Sequence[Link],
    *,
    cache: Path | None = None,
    fresh: bool = False,
    timeouts: Timeouts = DEFAULT_TIMEOUTS,
    workers: int = WORKERS,
    progress: Progress | None = None,
) -> LinkReport:
    """Request every link (answers of the last day in ``cache`` count,
    unless ``fresh``); the report keeps the order of ``links``."""
    started = time.monotonic()
    known = {} if fresh or cache is None else _load(cache, time.time())
    pool = Pool([link.url for link in links if link.url not in known], timeouts)
    try:
        answers = pool.run(workers, progress)
    finally:
        pool.stop()
    note = _save(cache, answers) if cache is not None and answers else ""
    found = known | answers
    results = tuple((link, found[link.url]) for link in links)
    return LinkReport(results, seconds=time.monotonic() - started, note=note)


def _load(path: Path, now: float) -> dict[str, Outcome]:
    """Answers of the last day; a missing or damaged cache is an empty one."""
    try:
        entries = json.loads(path.read_bytes())["links"]
        found = {url: Outcome(**entry) for url, entry in entries.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
    return {
        url: replace(out, cached=True)
        for url, out in found.items()
        if out.status in ("ok", "redirect", "broken")
        and isinstance(out.checked_at, int | float)
        and (out.size is None or isinstance(out.size, int))  # kept for images
        and now - CACHE_SECONDS < out.checked_at <= now + 60  # clocks differ a bit
    }


def _save(path: Path, answers: dict[str, Outcome]) -> str:
    """Add ``answers`` to the cache file (written whole, atomically)."""
    kept = _load(path, time.time()) | answers
    entries = {
        url: asdict(out) | {"cached": False} for url, out in kept.items() if out.lasting
    }
    data = json.dumps({"version": 1, "links": entries}, indent=1) + "\n"
    try:
        safefiles.replace_file(path, data.encode())
    except OSError as exc:
        return f"could not save the results in {path}: {exc.strerror or exc}"
    return ""
