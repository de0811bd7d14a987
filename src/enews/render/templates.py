"""Jinja2 -> MJML and plain text: pure functions of a view and settings.

Templates come from the workspace's ``templates/`` first and from the
templates packaged with enews second, so a workspace overrides them file
by file.
"""

from __future__ import annotations

import textwrap
import traceback
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import jinja2

from enews.config import PACKAGED_TEMPLATES, Settings
from enews.errors import TemplateError
from enews.render.view import IssueView

MJML_TEMPLATE = "issue.mjml.j2"
TEXT_TEMPLATE = "issue.txt.j2"


def template_dirs(workspace: Path | None, theme: str = "default") -> tuple[Path, ...]:
    """Search path, first match wins: the workspace's theme folder, its
    templates/, the packaged theme folder, the packaged templates."""
    bases = [PACKAGED_TEMPLATES.resolve()]
    if workspace is not None and (workspace / "templates").is_dir():
        bases.insert(0, (workspace / "templates").resolve())
    dirs: list[Path] = []
    for base in bases:
        for folder in (base / "themes" / theme, base):
            if folder.is_dir() and folder not in dirs:
                dirs.append(folder)
    return tuple(dirs)


class OverrideLoader(jinja2.FileSystemLoader):
    """FileSystemLoader whose cached templates also go stale when a file of
    the same name appears earlier in the search path (a new workspace
    override), not only when the loaded file itself changes."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        found = Path(filename).resolve()
        earlier = []
        for folder in self.searchpath:
            candidate = Path(folder, *template.split("/"))
            if candidate.resolve() == found:
                break
            earlier.append(candidate)

        def still_current() -> bool:
            return uptodate() and not any(p.exists() for p in earlier)

        return source, filename, still_current


@lru_cache(maxsize=8)
def environment(dirs: Sequence[Path]) -> jinja2.Environment:
    """One cached environment per search path (compiled templates are reused).

    Jinja2 still checks file modification times, so edited templates are
    picked up without a restart.
    """
    env = jinja2.Environment(
        loader=OverrideLoader([str(d) for d in dirs], encoding="utf-8"),
        # Compiled templates kept between processes (a folder of the user's
        # own in the temp dir, entries checked against the source): compiling
        # them was a tenth of a one-off `enews build`.
        bytecode_cache=_bytecode_cache(),
        # Item text is untrusted: escape everything in markup templates.
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("mjml", "html", "mjml.j2", "html.j2"),
            default_for_string=True,
            default=False,
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["wrap"] = wrap
    return env


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    try:
        return jinja2.FileSystemBytecodeCache()
    except (OSError, RuntimeError):  # no private temp folder: compile each time
        return None


def render_mjml(view: IssueView, *, settings: Settings, dirs: Sequence[Path]) -> str:
    """The issue as MJML source."""
    return _render(MJML_TEMPLATE, view, settings=settings, dirs=dirs)


def render_text(view: IssueView, *, settings: Settings, dirs: Sequence[Path]) -> str:
    """The plain-text alternative, from its own template."""
    return _render(TEXT_TEMPLATE, view, settings=settings, dirs=dirs)


def _render(
    name: str, view: IssueView, *, settings: Settings, dirs: Sequence[Path]
) -> str:
    env = environment(tuple(dirs))
    try:
        template = env.get_template(name)
        return template.render(
            issue=view,
            settings=settings,
            brand=settings.brand,
            merge=merge_tokens(settings, view.slug),
        )
    except jinja2.TemplateSyntaxError as exc:
        where = f"{exc.filename or exc.name or name}:{exc.lineno}"
        raise TemplateError(f"{where}: {exc.message}") from exc
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(
            f"template {exc.name!r} not found in {_show(dirs)}"
        ) from exc
    except (jinja2.UndefinedError, TypeError, ValueError) as exc:
        raise TemplateError(f"{_location(exc, name)}: {exc}") from exc


def merge_tokens(settings: Settings, slug: str) -> dict[str, str | None]:
    """Neutral placeholders for templates; ``web_version`` is None when the
    service hosts none and no base URL gives an archive page instead."""
    from enews.profiles import TEMPLATE_TOKENS, get_profile, web_version_url

    tokens: dict[str, str | None] = dict(TEMPLATE_TOKENS)
    if web_version_url(get_profile(settings.profile), settings.base_url, slug) is None:
        tokens["web_version"] = None
    return tokens


def _location(exc: BaseException, fallback: str) -> str:
    """``file:line`` of the innermost template frame of a render error."""
    frames = [
        f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".j2")
    ]
    if not frames:
        return fallback
    return f"{Path(frames[-1].filename).name}:{frames[-1].lineno}"


def _show(dirs: Sequence[Path]) -> str:
    return ", ".join(str(d) for d in dirs)


def wrap(text: str, width: int = 78, indent: str = "") -> str:
    """Wrap prose for the text part; long words such as URLs are never broken."""
    # One space between words, as textwrap alone would not give: it keeps
    # runs of spaces inside a line, and a no-break space (which str.split()
    # splits at) inside a word.
    words = " ".join(text.split())
    # Most calls (titles, dates, links) fit on one line: nothing to wrap,
    # and textwrap would give the same line at many times the cost.
    if len(indent) + len(words) <= width:
        return indent + words if words else ""
    return textwrap.fill(
        words,
        width,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
