"""Build an issue (the one build function) and write its bundle atomically.

``build_issue`` is what the CLI, the tests, the demo and the web preview
call; ``write_bundle`` is the only code that writes output files.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from enews.compiler import compile_mjml
from enews.config import Settings
from enews.errors import EnewsError
from enews.inliner import inline_css
from enews.render import render_mjml, render_text, template_dirs
from enews.view import IssueView, load_issue_view

HTML_FILE = "index.html"
TEXT_FILE = "index.txt"


@dataclass(frozen=True)
class Bundle:
    """Everything a built issue consists of, in memory."""

    slug: str
    view: IssueView
    mjml: str
    html: str
    text: str

    def files(self) -> dict[str, bytes]:
        return {
            HTML_FILE: self.html.encode("utf-8"),
            TEXT_FILE: self.text.encode("utf-8"),
        }


def build_issue(
    session: Session, slug: str, *, settings: Settings, workspace: Path | None
) -> Bundle:
    """Database -> view -> MJML -> HTML -> inlined HTML, plus the text part."""
    view = load_issue_view(session, slug, settings)
    return build_from_view(view, settings=settings, workspace=workspace)


def build_from_view(
    view: IssueView, *, settings: Settings, workspace: Path | None
) -> Bundle:
    """The pure part of a build: no database, no files written."""
    dirs = template_dirs(workspace)
    mjml = render_mjml(view, settings=settings, dirs=dirs)
    html = inline_css(compile_mjml(mjml))
    text = render_text(view, settings=settings, dirs=dirs)
    return Bundle(slug=view.slug, view=view, mjml=mjml, html=html, text=text)


def write_bundle(bundle: Bundle, issues_dir: Path) -> Path:
    """Write ``issues_dir/<slug>/`` file by file, each via temp file + rename.

    A reader (or a crash) sees either the old file or the new one, never a
    half-written one. Returns the folder.
    """
    folder = issues_dir / bundle.slug
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in bundle.files().items():
            atomic_write(folder / name, data)
    except OSError as exc:
        raise EnewsError(f"cannot write {folder}: {exc.strerror or exc}") from exc
    return folder


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one rename, after an fsync."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).chmod(0o644)  # mkstemp makes 0600; exports are meant to be read
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
