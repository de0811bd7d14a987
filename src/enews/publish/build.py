"""Build an issue (the one build function) and write its bundle atomically.

``build_issue`` is what the CLI, the tests, the demo and the web preview
call; ``write_bundle`` is the only code that writes output files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from enews import safefiles
from enews.compose.assets import asset_folder_url, resolve_images
from enews.compose.issues import check_slug
from enews.compose.view import load_issue_view
from enews.config import Settings
from enews.dates import as_utc
from enews.errors import EnewsError
from enews.profiles import apply_profile, get_profile, web_version_url
from enews.publish.message import make_eml
from enews.render.compiler import compile_mjml
from enews.render.inliner import inline_css
from enews.render.links import absolutize
from enews.render.templates import render_mjml, render_text, template_dirs
from enews.render.view import IssueView

HTML_FILE = "index.html"
TEXT_FILE = "index.txt"
EML_FILE = "message.eml"
MANIFEST_FILE = "manifest.json"
# A fixed Date for issues never saved (views built by hand): same input,
# same bytes.
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Bundle:
    """Everything a built issue consists of, in memory."""

    slug: str
    view: IssueView
    mjml: str
    html: str
    text: str
    eml: bytes
    manifest: dict[str, Any]

    def files(self) -> dict[str, bytes]:
        manifest = json.dumps(self.manifest, indent=2, ensure_ascii=False) + "\n"
        return {
            HTML_FILE: self.html.encode("utf-8"),
            TEXT_FILE: self.text.encode("utf-8"),
            EML_FILE: self.eml,
            MANIFEST_FILE: manifest.encode("utf-8"),
        }


def build_issue(
    session: Session,
    slug: str,
    *,
    settings: Settings,
    workspace: Path | None,
    assets_url: str | None = None,
) -> Bundle:
    """Database -> view -> MJML -> HTML -> inlined HTML, plus the text part."""
    view = load_issue_view(session, slug, settings)
    return build_from_view(
        view, settings=settings, workspace=workspace, assets_url=assets_url
    )


def build_from_view(
    view: IssueView,
    *,
    settings: Settings,
    workspace: Path | None,
    assets_url: str | None = None,
) -> Bundle:
    """The pure part of a build: no database, no files written (it reads the
    templates, and the size of each image stored in the workspace).

    Images stored in the workspace are linked as ``<base_url>/assets/<name>``,
    where ``enews archive`` publishes them; ``assets_url`` replaces
    ``<base_url>/assets`` (a preview served from this computer).
    """
    view, images = resolve_images(
        view,
        root=workspace,
        assets_url=assets_url or asset_folder_url(settings.base_url),
    )
    dirs = template_dirs(workspace, settings.theme)
    mjml = render_mjml(view, settings=settings, dirs=dirs)
    profile = get_profile(settings.profile)
    finish = partial(
        apply_profile,
        profile=profile,
        fallback=settings.greeting_fallback,
        unsubscribe_url=settings.unsubscribe_url,
        web_version=web_version_url(profile, settings.base_url, view.slug),
    )
    # Merge tags go in last, after inlining, so nothing rewrites them.
    html = finish(
        absolutize(
            inline_css(compile_mjml(mjml, direction=settings.direction)),
            settings.base_url,
        )
    )
    text = finish(render_text(view, settings=settings, dirs=dirs))
    digest = hashlib.sha256(html.encode() + b"\0" + text.encode()).hexdigest()
    eml = make_eml(
        html=html,
        text=text,
        subject=view.subject,
        settings=settings,
        unsubscribe=settings.unsubscribe_url or profile.unsubscribe,
        date=as_utc(view.updated_at or EPOCH),
        message_id=f"<{view.slug}.{digest[:20]}@{_domain(settings.sender_email)}>",
    )
    manifest = {
        "slug": view.slug,
        "title": view.title,
        "subject": view.subject,
        "preheader": view.preheader,
        "profile": profile.name,
        "items": [item.id for item in view.items],
        "bytes": {
            "html": len(html.encode()),
            "text": len(text.encode()),
            "eml": len(eml),
        },
        "sha256": digest,
    }
    if images:  # `enews archive` publishes these beside the pages
        manifest["images"] = [asdict(image) for image in images]
    return Bundle(view.slug, view, mjml, html, text, eml, manifest)


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "enews.invalid"


def write_bundle(bundle: Bundle, issues_dir: Path) -> Path:
    """Write ``issues_dir/<slug>/``, changing from the old bundle to the new
    one in a single step (``safefiles.replace_folder``); returns the folder.

    A reader, or a build killed at any moment, finds the whole old bundle or
    the whole new one: never a mix, never a half file.
    """
    folder = issues_dir / bundle.slug
    try:
        safefiles.replace_folder(folder, bundle.files())
    except OSError as exc:
        raise EnewsError(f"cannot write {folder}: {exc.strerror or exc}") from exc
    return folder


def read_bundle(
    issues_dir: Path, slug: str, names: Sequence[str] = (HTML_FILE, TEXT_FILE)
) -> dict[str, bytes] | None:
    """Files of the built bundle ``issues_dir/<slug>``, all from one build
    (see ``safefiles.read_folder``); None when the issue is not built."""
    folder = issues_dir / check_slug(slug)  # a slug is a path here
    try:
        return safefiles.read_folder(folder, names)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise EnewsError(f"cannot read {folder}: {exc.strerror or exc}") from exc


def write_zip(bundle: Bundle, issues_dir: Path) -> Path:
    """``issues_dir/<slug>.zip`` with the bundle's files, written atomically."""
    path = issues_dir / f"{bundle.slug}.zip"
    try:
        safefiles.replace_file(path, zip_bytes(bundle))
    except OSError as exc:
        raise EnewsError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path


def zip_bytes(bundle: Bundle) -> bytes:
    """The bundle's files in one ZIP, under a ``<slug>/`` folder.

    Entries carry a fixed timestamp, so the same bundle gives the same bytes.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(bundle.files().items()):
            info = zipfile.ZipInfo(
                f"{bundle.slug}/{name}", date_time=(2000, 1, 1, 0, 0, 0)
            )
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()
