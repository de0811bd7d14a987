"""A static web archive of the built issues: the "view in browser" target.

It never builds an issue: the web version of an issue is its built
``issues/<slug>/index.html`` with the mailing service's merge tags made
public (``public.py``), and otherwise byte for byte. The list page and the
Atom feed are rendered in memory, then every file is written atomically.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enews.compose.assets import ASSETS_DIR, asset_path, is_asset_ref
from enews.compose.issues import check_slug, list_issues
from enews.config import Settings
from enews.dates import as_utc, month_name
from enews.errors import EnewsError, NotFoundError, TemplateError, ValidationError
from enews.publish.build import HTML_FILE, MANIFEST_FILE, read_bundle
from enews.publish.public import public_page
from enews.render.richtext import intro_paragraphs
from enews.render.templates import environment, template_dirs
from enews.safefiles import atomic_write
from enews.store.models import Issue, IssueItem
from enews.urls import check_url
from enews.workspace import ISSUES_DIR

ARCHIVE_DIR = "archive"  # the CLI's default, inside the workspace
INDEX_TEMPLATE = "archive/index.html.j2"
FEED_FILE = "feed.xml"
ATOM_NS = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Characters XML 1.0 cannot carry at all, not even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class ArchiveResult:
    """What ``build_archive`` wrote."""

    out_dir: Path
    issues: tuple[str, ...]  # slugs written, newest period first
    skipped: tuple[str, ...]  # issues in the database never built
    removed: tuple[str, ...] = ()  # stale slug folders deleted

    @property
    def index(self) -> Path:
        return self.out_dir / HTML_FILE


@dataclass(frozen=True)
class ArchivedIssue:
    """One issue as the archive page and the feed show it."""

    slug: str
    title: str
    period: str  # 2020-10
    period_name: str  # October 2020
    item_count: int
    summary: str  # the intro, else the preheader; may be empty
    updated: str  # RFC 3339, UTC
    href: str  # relative to the archive's index.html


def build_archive(
    session: Session,
    *,
    settings: Settings,
    workspace: Path,
    out_dir: Path,
    base_url: str | None,
) -> ArchiveResult:
    """Write ``out_dir``/index.html, feed.xml and <slug>/index.html per built issue."""
    base = check_base_url(base_url)
    if out_dir.resolve() == (workspace / ISSUES_DIR).resolve():
        raise ValidationError("out", "the archive cannot be the issues folder itself")
    issues = list_issues(session)  # newest period first
    entries, pages, skipped, images = _collect(
        session, issues, workspace / ISSUES_DIR, settings=settings, base_url=base
    )
    # Images first: a page is never published before the images it shows.
    files = {**_asset_files(images, workspace, out_dir), **pages}
    if not entries:
        raise NotFoundError(
            f"no issue is built yet ({', '.join(skipped)}); "
            "build one with 'enews build SLUG' first"
            if skipped
            else "no issues to archive; draft one with 'enews issue new'"
        )
    # Everything is rendered before the first file is written.
    files[FEED_FILE] = render_feed(entries, settings=settings, base_url=base)
    files[HTML_FILE] = render_index(
        entries, settings=settings, workspace=workspace, base_url=base
    )
    removed = _publish(out_dir, files, keep={i.slug for i in issues})
    slugs = tuple(e.slug for e in entries)
    return ArchiveResult(out_dir, slugs, tuple(skipped), tuple(removed))


def _collect(
    session: Session,
    issues: Sequence[Issue],
    issues_dir: Path,
    *,
    settings: Settings,
    base_url: str | None,
) -> tuple[list[ArchivedIssue], dict[str, bytes], list[str], set[str]]:
    """The built issues (with their pages, by archive path), the unbuilt,
    and the workspace images (assets/...) the built emails refer to."""
    count = select(IssueItem.issue_id, func.count()).group_by(IssueItem.issue_id)
    counts = {issue_id: n for issue_id, n in session.execute(count)}
    entries: list[ArchivedIssue] = []
    pages: dict[str, bytes] = {}
    skipped: list[str] = []
    images: set[str] = set()
    for issue in issues:
        built = read_bundle(issues_dir, issue.slug, (HTML_FILE, MANIFEST_FILE))
        if built is None:
            skipped.append(issue.slug)
            continue
        pages[f"{issue.slug}/{HTML_FILE}"] = public_page(
            built[HTML_FILE],
            manifest=built[MANIFEST_FILE],
            settings=settings,
            page_url=f"{base_url}/{issue.slug}/" if base_url else HTML_FILE,
        )
        entries.append(archived(issue, counts.get(issue.id, 0)))
        images.update(_images_of(built[MANIFEST_FILE]))
    return entries, pages, skipped, images


def _images_of(manifest: bytes) -> list[str]:
    """The stored images a build's manifest lists (see build.build_from_view)."""
    try:
        listed = json.loads(manifest).get("images") or []
        paths = [entry.get("path") for entry in listed]
    except (ValueError, AttributeError, TypeError):
        return []  # an unreadable manifest: the page goes out as before
    return [p for p in paths if isinstance(p, str) and is_asset_ref(p)]


def _asset_files(images: set[str], workspace: Path, out_dir: Path) -> dict[str, bytes]:
    """The images to copy under ``out_dir/assets/``: those not there yet.

    Names are content hashes, so one already published is the same file.
    Images are never deleted from the archive: emails already sent show them.
    """
    files: dict[str, bytes] = {}
    for ref in sorted(images):
        if (out_dir / ref).is_file():
            continue
        try:
            files[ref] = asset_path(workspace, ref).read_bytes()
        except OSError as exc:
            raise EnewsError(
                f"a built issue shows {ref}, which is missing from "
                f"{workspace / ASSETS_DIR} ({exc.strerror or exc}); "
                "add the image again and rebuild the issue"
            ) from exc
    return files


def check_base_url(base_url: str | None) -> str | None:
    """``https://host/path`` without its trailing slash; None when not given."""
    if not base_url:
        return None
    return check_url(base_url, "base_url").rstrip("/")


def archived(issue: Issue, item_count: int) -> ArchivedIssue:
    summary = (
        "\n\n".join(intro_paragraphs(issue.intro)) or (issue.preheader or "").strip()
    )
    return ArchivedIssue(
        slug=issue.slug,
        title=issue.title,
        period=issue.period,
        period_name=month_name(issue.period),
        item_count=item_count,
        summary=summary,
        updated=rfc3339(issue.updated_at),
        href=f"{issue.slug}/",
    )


def rfc3339(moment: dt.datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_index(
    entries: Sequence[ArchivedIssue],
    *,
    settings: Settings,
    workspace: Path,
    base_url: str | None,
) -> bytes:
    """The archive page, from the (overridable) archive/index.html.j2."""
    env = environment(template_dirs(workspace))
    try:
        template = env.get_template(INDEX_TEMPLATE)
        text = template.render(
            issues=entries,
            settings=settings,
            brand=settings.brand,
            base_url=base_url,
            feed_href=FEED_FILE,
        )
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename or exc.name or INDEX_TEMPLATE
        raise TemplateError(f"{where}:{exc.lineno}: {exc.message}") from exc
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"template {exc.name!r} not found") from exc
    except (jinja2.UndefinedError, TypeError, ValueError) as exc:
        raise TemplateError(f"{INDEX_TEMPLATE}: {exc}") from exc
    return text.encode("utf-8")


def render_feed(
    entries: Sequence[ArchivedIssue], *, settings: Settings, base_url: str | None
) -> bytes:
    """An Atom 1.0 feed, one entry per issue; ElementTree does the escaping."""
    feed = ET.Element("feed", {"xmlns": ATOM_NS, XML_LANG: settings.language})
    _text(feed, "id", f"{base_url}/" if base_url else _urn(settings.name))
    _text(feed, "title", settings.name)
    _text(feed, "updated", max(e.updated for e in entries))
    _link(feed, f"{base_url}/" if base_url else "./", "alternate", "text/html")
    if base_url:  # a relative self link would say nothing about where the feed is
        _link(feed, f"{base_url}/{FEED_FILE}", "self", "application/atom+xml")
    author = ET.SubElement(feed, "author")
    _text(author, "name", settings.organisation)
    for issue in entries:
        entry = ET.SubElement(feed, "entry")
        href = f"{base_url}/{issue.href}" if base_url else issue.href
        _text(entry, "id", href if base_url else _urn(settings.name, issue.slug))
        _text(entry, "title", issue.title)
        _text(entry, "updated", issue.updated)
        _link(entry, href, "alternate", "text/html")
        if issue.summary:
            _text(entry, "summary", issue.summary)
    ET.indent(feed)
    xml: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return xml + b"\n"


def _text(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, tag).text = _NOT_XML.sub("", text)


def _link(parent: ET.Element, href: str, rel: str, mime: str) -> None:
    ET.SubElement(parent, "link", {"rel": rel, "type": mime, "href": href})


def _urn(name: str, *path: str) -> str:
    # Stable without a base URL: the same newsletter name gives the same ids.
    return uuid.uuid5(uuid.NAMESPACE_URL, "/".join(("enews:", name, *path))).urn


def _publish(out_dir: Path, files: dict[str, bytes], *, keep: set[str]) -> list[str]:
    """Write ``files`` (issue pages first, index.html last, so the index never
    links to a missing page), then delete the folders of deleted issues."""
    removed = []
    try:
        for name, data in files.items():
            (out_dir / name).parent.mkdir(parents=True, exist_ok=True)
            atomic_write(out_dir / name, data)
        for folder in sorted(out_dir.iterdir()):
            if folder.name not in keep and _only_a_page(folder):
                (folder / HTML_FILE).unlink()
                folder.rmdir()
                removed.append(folder.name)
    except OSError as exc:
        raise EnewsError(f"cannot write {out_dir}: {exc.strerror or exc}") from exc
    return removed


def _only_a_page(folder: Path) -> bool:
    # Anything more in the folder, or a name no issue could have, may be
    # someone else's work: it stays.
    if folder.is_symlink() or not folder.is_dir():
        return False
    try:
        check_slug(folder.name)
    except ValidationError:
        return False
    return [p.name for p in folder.iterdir()] == [HTML_FILE]
