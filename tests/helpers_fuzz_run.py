"""The promise every entry point keeps, checked on one input at a time.

An input is either refused, with an ``EnewsError`` whose message names the
field or the line (a 4xx page naming it on the web, one ``error:`` line and
a non-zero exit on the command line) and the database exactly as it was; or
it is stored, and then an issue holding it builds (the real Jinja2 ->
mjml-python -> premailer build of ``publish.build.build_issue``), passes
every check of ``enews check`` but the size, still shows its text, and
downloads from the web workspace. Anything else -- a traceback, an HTTP 500,
a half-written change -- fails the case.

``Fuzzer`` holds one workspace and its web app for many cases; each case
starts from an empty database (``reset``).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from lxml import html as lxml_html
from sqlalchemy import delete, select

from enews.collect.importer import import_source
from enews.collect.records import SourceError
from enews.compose.issues import draft_issue
from enews.errors import EnewsError
from enews.publish.build import Bundle, build_issue
from enews.publish.bundle_check import check_bundle
from enews.render.richtext import tokens
from enews.store.models import Issue, IssueItem, Item
from enews.workspace import Workspace
from tests.helpers_web import Browser

# What a refusal of an item value may name (``image``: the library's name
# of the image link; an image without alt text is blamed on the alt).
ITEM_NAMES = {"kind", "title", "date", "url", "summary", "summary_format"}
ITEM_NAMES |= {"image", "image_alt"}
ISSUE_NAMES = {"title", "subject", "preheader", "intro", "month", "slug"}
# Problems of a whole file, which has no line to name.
WHOLE_FILE = re.compile(r"the file is empty|cannot tell the format")
PROBLEM_LINE = re.compile(r"(?:entry )?\d+: \S")


class Broken(AssertionError):
    """An entry point broke its promise on this input."""


def expect(condition: object, message: str) -> None:
    if not condition:
        raise Broken(message)


@dataclass
class Fuzzer:
    """One workspace and a browser tab on its web app, for many cases."""

    ws: Workspace
    browser: Browser
    builds_left: int = 0  # stored cases that still get the (slow) build check
    counts: Counter[str] = field(default_factory=Counter)
    _slugs: int = 0

    def reset(self) -> None:
        with self.ws.transaction() as session:
            for model in (IssueItem, Issue, Item):
                session.execute(delete(model))

    def snapshot(self) -> tuple[Any, ...]:
        """Every row of the tables an entry point may write."""
        with self.ws.transaction() as session:
            return tuple(
                tuple(session.execute(select(table)).all())
                for table in (Item.__table__, Issue.__table__, IssueItem.__table__)
            )

    def months(self) -> list[str]:
        with self.ws.transaction() as session:
            days = session.scalars(select(Item.published_on).distinct()).all()
        return sorted({day.strftime("%Y-%m") for day in days})

    def stored_month(self) -> str:
        """A case that stored items: built from the first month they are in
        ("nothing" when the source was accepted but held none)."""
        months = self.months()
        if not months:
            self.counts["nothing"] += 1
            return "nothing"
        return self.stored(month=months[0])

    def slug(self) -> str:
        self._slugs += 1
        return f"fuzz-{self._slugs}"

    def refused(self, before: tuple[Any, ...]) -> str:
        expect(self.snapshot() == before, "refused, but the database changed")
        self.counts["refused"] += 1
        return "refused"

    def stored(self, *, month: str | None = None, slug: str | None = None) -> str:
        """A stored case: built and checked while the build budget lasts."""
        self.counts["stored"] += 1
        if self.builds_left > 0:
            self.builds_left -= 1
            self.counts["built"] += 1
            if slug is None:
                slug = self.slug()
                with self.ws.transaction() as session:
                    draft_issue(session, "Fuzz issue", month=month or "", slug=slug)
            builds_and_downloads(self, slug)
        return "stored"


def refusal_names(exc: BaseException, names: set[str]) -> None:
    """An EnewsError whose message starts with one of ``names``."""
    expect(isinstance(exc, EnewsError), f"not an enews error: {exc!r}")
    assert isinstance(exc, EnewsError)
    expect(exc.field in names, f"names no field of {sorted(names)}: {exc}")
    expect(str(exc).startswith(f"{exc.field}: "), f"message hides the field: {exc}")
    expect("\n" not in str(exc), f"more than one line: {exc!r}")


def refusal_names_line(exc: BaseException, source: str) -> None:
    """A SourceError naming the file and the line (or a whole-file problem)."""
    expect(isinstance(exc, SourceError), f"not a SourceError: {exc!r}")
    assert isinstance(exc, SourceError)
    message = str(exc)
    expect("\n" not in message, f"more than one line: {message!r}")
    if exc.line is None:
        expect(WHOLE_FILE.match(exc.problem), f"names no line: {message}")
    else:
        expect(message.startswith(f"{source}:{exc.line}: "), f"no line: {message}")


def builds_and_downloads(fz: Fuzzer, slug: str) -> Bundle:
    """Build issue ``slug``, check it, find its text, download its ZIP."""
    settings = fz.ws.settings
    with fz.ws.transaction() as session:
        bundle = build_issue(session, slug, settings=settings, workspace=fz.ws.root)
    report = check_bundle(bundle.html, bundle.text, settings, bundle.manifest)
    # Long text is long; an issue whose one input was refused has no items.
    allowed = {"size"} | (set() if bundle.view.items else {"items"})
    failed = [c for c in report.failures if c.name not in allowed]
    expect(not failed, f"checks failed: {failed}")
    _text_survives(bundle)
    refused = report.failures or not bundle.view.items or bundle.view.status == "draft"
    force = "?force=1" if refused else ""
    response = fz.browser.get(f"/issues/{slug}/download/zip{force}")
    expect(response.status_code == 200, f"download: HTTP {response.status_code}")
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        downloaded = archive.read(f"{slug}/index.html").decode()
    expect(downloaded == bundle.html, "the download differs from the build")
    return bundle


def _words(value: str) -> str:
    return " ".join(value.split())


def _text_survives(bundle: Bundle) -> None:
    """Each item's title and summary text is in both parts of the email:
    nothing was cut short on the way (a parser's depth limit, say)."""
    parser = lxml_html.HTMLParser(encoding="utf-8", huge_tree=True)
    page = lxml_html.document_fromstring(bundle.html.encode(), parser=parser)
    shown = _words(page.text_content())
    text = _words(bundle.text)
    view = bundle.view
    for item in view.items:
        expect(_words(item.title) in shown, f"title {item.title!r} not in the HTML")
        expect(_words(item.title) in text, f"title {item.title!r} not in the text")
        if item.summary_html is not None:
            data = "".join(
                v for kind, v, _ in tokens(str(item.summary_html)) if kind == "data"
            )
            expect(_words(data) in shown, f"summary {data[:80]!r} not in the HTML")
        for paragraph in item.paragraphs:
            expect(_words(paragraph) in text, f"{paragraph[:80]!r} not in the text")
    for paragraph in view.intro:
        expect(_words(paragraph) in text, f"intro {paragraph[:80]!r} not in the text")
    _attributes_survive(bundle, page)


def _attributes_survive(bundle: Bundle, page: Any) -> None:
    """Image alt texts and the <title> (the subject) as stored: mjml-python
    once wrote "Cafe\\u{301}" there (render/compiler.py now guards them)."""
    title = page.find(".//title")
    wanted = _words(bundle.view.subject)
    shown = _words(title.text_content()) if title is not None else ""
    expect(wanted in shown, f"<title> {shown!r} lost {wanted!r}")
    images = {
        (img.get("src"), _words(img.get("alt") or "")) for img in page.iter("img")
    }
    for item in bundle.view.items:
        if item.image_url:
            alt = _words(item.image_alt or "")
            expect((item.image_url, alt) in images, f"image alt {alt!r} changed")


def import_bytes(
    fz: Fuzzer,
    data: bytes,
    *,
    fmt: str | None,
    name: str = "fuzz.dat",
    kind: str | None = None,
) -> str:
    """``import_source`` on ``data``: refused with a line, or stored."""
    from enews.collect.fetch import Source

    before = fz.snapshot()
    opened = Source(
        stream=io.BytesIO(data), name=name, size=len(data), content_type=None
    )
    try:
        report = import_source(fz.ws.sessions(), opened, fmt=fmt, kind=kind)
    except Exception as exc:  # refusal_names_line tells a SourceError from a bug
        refusal_names_line(exc, name)
        return fz.refused(before)
    for problem in report.problems:
        expect(problem.startswith(f"{name}:"), f"problem names no file: {problem}")
        where = problem.removeprefix(f"{name}:")
        expect(PROBLEM_LINE.match(where), f"problem names no line: {problem}")
        expect("\n" not in problem, f"more than one line: {problem!r}")
    if report.invalid:
        return fz.refused(before)
    return fz.stored_month()
