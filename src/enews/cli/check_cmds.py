"""``enews check``: the quality report on a built issue, and its live links."""

from __future__ import annotations

import json
import sys
from collections import Counter
from typing import TYPE_CHECKING, Any

import click

from enews.cli.common import print_json, workspace
from enews.errors import EnewsError

if TYPE_CHECKING:
    from enews.publish.check import Check
    from enews.publish.linkcheck import Link, LinkReport, Outcome, Progress
    from enews.render.view import ItemView
    from enews.workspace import Workspace


@click.command("check")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--links", "live", is_flag=True, help="Also request every link of the issue."
)
@click.option(
    "--fresh",
    "--no-cache",
    "fresh",
    is_flag=True,
    help="With --links: ask every server again, not the last day's answers.",
)
@click.option(
    "--clients",
    metavar="FAMILIES",
    help="Client families to report support for, comma-separated "
    "(default: gmail,outlook-windows,outlook-com,apple-mail,yahoo,samsung).",
)
@click.option(
    "--spam",
    is_flag=True,
    help="Also score the .eml with SpamAssassin (local tests; needs spamassassin).",
)
@click.pass_context
def check(
    ctx: click.Context,
    slug: str,
    as_json: bool,
    live: bool,
    fresh: bool,
    clients: str | None,
    spam: bool,
) -> None:
    """Check built issue SLUG before it goes to the mailing service.

    Reads issues/SLUG/index.html and index.txt and checks the HTML size
    against Gmail's clipping, links, images, the unsubscribe link, lang,
    title and preheader, scripts and event handlers, and that every link is
    also in the text part. Exits with status 1 when a check fails; warnings
    alone exit 0.

    It is also an inbox check: the theme's colours at 4.5:1 in light and
    dark mode, an issue with no items, the List-Unsubscribe headers, settings
    still at enews init's examples, and each HTML element, attribute, CSS
    property, at-rule and selector looked up in caniemail's data: a warning
    for each one a client family lacks without a fallback (--clients chooses
    the families). --spam scores the .eml with SpamAssassin's local tests.

    With --links it also requests every link (8 at a time; 15 s for a link,
    60 s in all): a broken link (an HTTP error, an unknown host, no answer)
    fails, a redirect warns; mailto: links and merge tags are skipped.
    Each image on the web (<img src="https://...">) is requested too: a
    broken one fails, one whose Content-Length is over 1 MB warns.
    Answers are kept a day in .enews/linkcheck.json; --fresh asks again.

    \b
    Example:
      enews check 2020-10
      enews check 2020-10 --links
      enews check 2020-10 --json
      enews check 2020-10 --clients gmail,outlook-windows --spam
    """
    from enews.publish.build import (
        EML_FILE,
        HTML_FILE,
        MANIFEST_FILE,
        TEXT_FILE,
        read_bundle,
    )
    from enews.publish.bundle_check import check_bundle
    from enews.publish.check import Report, format_report

    if fresh and not live:
        raise click.UsageError("--fresh goes with --links")
    ws = workspace(ctx)
    # The manifest (stored images) when there is one: a hand-made folder of
    # index.html and index.txt is checked too.
    every = (HTML_FILE, TEXT_FILE, MANIFEST_FILE, EML_FILE)
    files = read_bundle(ws.issues_dir, slug, every)
    files = files or read_bundle(ws.issues_dir, slug)
    if files is None:
        raise EnewsError(f"issue {slug} is not built yet; run 'enews build {slug}'")
    # A stray non-UTF-8 byte should not stop the report.
    html, text = (files[n].decode("utf-8", "replace") for n in (HTML_FILE, TEXT_FILE))
    families = [f.strip() for f in clients.split(",") if f.strip()] if clients else None
    eml = files.get(EML_FILE)
    report = check_bundle(
        html,
        text,
        ws.settings,
        _manifest(files.get(MANIFEST_FILE)),
        eml=eml,
        clients=families,
    )
    if spam:
        report = Report(checks=(*report.checks, _spam(eml, slug)))
    links = _live_links(ws, slug, html, fresh=fresh) if live else None
    if as_json:
        data = report.as_dict()
        if links:
            data |= {"ok": report.ok and links.ok, "live_links": links.as_dict()}
        print_json(data)
    else:
        click.echo(format_report(report))
        if links:
            click.echo(format_links(links))
    if not report.ok or (links and not links.ok):
        ctx.exit(1)


def _spam(eml: bytes | None, slug: str) -> Check:
    from enews.publish.spamcheck import spam_check

    if eml is None:
        raise EnewsError(f"issue {slug} has no message.eml; run 'enews build {slug}'")
    click.echo("scoring with SpamAssassin...", err=True)
    return spam_check(eml)


def _live_links(ws: Workspace, slug: str, html: str, *, fresh: bool) -> LinkReport:
    from dataclasses import replace

    from enews.publish.linkcheck import CACHE_FILE, check_links, issue_links

    links, skipped = issue_links(html, _items(ws, slug), ws.settings, slug)
    report = check_links(
        links, cache=ws.root / CACHE_FILE, fresh=fresh, progress=_progress()
    )
    return replace(report, skipped=tuple(skipped))


def _items(ws: Workspace, slug: str) -> tuple[ItemView, ...]:
    """The issue's items as the database has them now, to name each link's
    item; none when the issue is no longer there (the links are still asked)."""
    from enews.compose.view import load_issue_view

    try:
        with ws.transaction() as session:
            return load_issue_view(session, slug, ws.settings).items
    except EnewsError:
        return ()


def _progress() -> Progress | None:
    """``12/80 links`` on a terminal's stderr, rewritten in place; nothing
    when stderr is a file or a pipe."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        end = "\r\033[K" if done == total else ""  # wipe it once finished
        click.echo(f"\rchecking links: {done}/{total}{end}", err=True, nl=False)

    return show


def format_links(report: LinkReport) -> str:
    """A summary line, then every broken link or image, every redirect and
    every image over 1 MB (all of them: each one is something to fix)."""
    broken, moved = report.having("broken"), report.having("redirect")
    heavy = report.heavy()
    warned = {k.url for k, _ in moved} | {k.url for k, _, _ in heavy}
    fine = len(report.results) - len(broken) - len(warned)
    images = sum(link.image for link, _ in report.results)
    skipped = Counter(why for _, why in report.skipped)
    lines = [
        f"Live links: {len(report.results) - images}"
        + (f", images: {images}" if images else "")
        + f" in {report.seconds:.1f} s: {len(broken)} broken, "
        f"{len(moved)} redirected"
        + (f", {len(heavy)} over 1 MB" if heavy else "")
        + f", {fine} fine"
        + ("; skipped: " if skipped else "")
        + ", ".join(f"{n} {why}{'' if n == 1 else 's'}" for why, n in skipped.items())
    ]
    if report.from_cache:
        lines.append(
            f"  {report.from_cache} of them from the last day's answers "
            "(marked 'cached'; --fresh asks again)"
        )
    lines += [f"FAIL {_what(k)}: {o.reason}; {_where(k, o)}" for k, o in broken]
    lines += [
        f"WARN {_what(k)} redirects to {o.final_url}; {_where(k, o)}" for k, o in moved
    ]
    lines += [f"WARN {_what(k)}: {words}; {_where(k, o)}" for k, o, words in heavy]
    if report.note:
        lines.append(f"note: {report.note}")
    return "\n".join(lines)


def _what(link: Link) -> str:
    return f"image {link.url}" if link.image else link.url


def _where(link: Link, out: Outcome) -> str:
    titles = ", ".join(f'"{title}"' for title in link.items)
    where = f"item {titles}" if len(link.items) == 1 else f"items {titles}"
    cached = " (cached)" if out.cached else ""
    nobody = "not an item's image" if link.image else "not an item's link"
    return (where if link.items else nobody) + cached


def _manifest(data: bytes | None) -> dict[str, Any] | None:
    """The bundle's manifest; None when edited into something else (the
    report still covers the HTML and text)."""
    try:
        manifest = json.loads(data or b"null")
    except ValueError:
        return None
    return manifest if isinstance(manifest, dict) else None
