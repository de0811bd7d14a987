"""``enews import``: bring items in from CSV, JSON, feeds and copied listings."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from enews.cli.common import fail, print_json, workspace

if TYPE_CHECKING:
    from enews.collect.importer import ImportReport

SHOWN_PROBLEMS = 50  # more would scroll the useful first ones away


@click.command("import")
@click.argument("source", metavar="FILE|URL")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json", "feed", "listing", "html"]),
    help="Source format [default: detected from the content].",
)
@click.option("--kind", help="Kind for items without one (feeds: for every entry).")
@click.option(
    "--base-url",
    metavar="URL",
    help="A saved web page's address, to make its relative links absolute.",
)
@click.option(
    "--dry-run", is_flag=True, help="Report what would change; write nothing."
)
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Import the valid records even when some are invalid.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def import_cmd(
    ctx: click.Context,
    source: str,
    fmt: str | None,
    kind: str | None,
    base_url: str | None,
    dry_run: bool,
    skip_invalid: bool,
    as_json: bool,
) -> None:
    """Import items from FILE or an http(s) URL.

    Formats: csv (header row: kind,title,date,url,summary,image,image_alt),
    json (a list of such objects, or {"items": [...]}), feed (RSS or Atom),
    listing (text copied from a news page: numbered blocks of kind,
    title, date and an optional summary) and html (a news page: its
    structured data, else its repeated blocks of linked title, date, kind
    label, teaser and image). Importing the same source twice
    changes nothing: an item is matched by its URL or, without one, by its
    title and date. Unless --skip-invalid, one bad record imports nothing.

    \b
    Examples:
      enews import items.csv --dry-run
      enews import https://example.org/news/feed.xml --kind News
      enews import october-listing.txt --format listing --json
      enews import https://example.org/news --kind News
      enews import news.html --base-url https://example.org/news
    """
    from enews.collect.fetch import open_source
    from enews.collect.importer import import_source

    ws = workspace(ctx)
    factory = ws.sessions()  # schema check before any download
    with open_source(source) as opened, _progress(opened) as advance:
        report = import_source(
            factory, opened, fmt=fmt, kind=kind, dry_run=dry_run,
            skip_invalid=skip_invalid, progress=advance, base_url=base_url,
        )  # fmt: skip
    _print_report(report, as_json)
    if report.invalid and not skip_invalid:
        fail(
            f"{report.invalid} invalid record(s); nothing was imported "
            "(fix them, or use --skip-invalid to import the rest)"
        )


class _progress:
    """A progress bar over the bytes read, on a terminal only."""

    def __init__(self, opened: Any) -> None:
        self.opened = opened
        self.bar: Any = None

    def __enter__(self) -> Callable[[int], None]:
        size = self.opened.size
        if size and sys.stderr.isatty() and size > 1 << 20:
            self.bar = click.progressbar(
                length=size, label="importing", file=sys.stderr
            )
            self.bar.__enter__()
        return self.advance

    def advance(self, _records: int) -> None:
        if self.bar is not None:
            self.bar.update(self.opened.stream.tell() - self.bar.pos)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def _print_report(report: ImportReport, as_json: bool) -> None:
    if as_json:
        print_json(report.as_dict())
    for line in report.warnings:
        click.echo(f"warning: {line}", err=True)
    for line in report.problems[:SHOWN_PROBLEMS]:
        click.echo(line, err=True)
    if len(report.problems) > SHOWN_PROBLEMS:
        click.echo(f"... and {len(report.problems) - SHOWN_PROBLEMS} more", err=True)
    if as_json:
        return
    if report.dry_run:
        _print_titles(report)
    verb = "would update" if report.dry_run else "updated"
    for change in report.changes:
        click.echo(f"{verb} item {change.item_id} ({change.where}): "
                   f"{change.title}: {', '.join(change.fields)}")  # fmt: skip
    if report.updated > len(report.changes):
        click.echo(f"... and {report.updated - len(report.changes)} more updated")
    note = ""
    if report.dry_run:
        note = " (dry run: nothing written)"
    elif not report.ok_to_commit:
        note = " (nothing written)"
    click.echo(
        f"{report.source}: {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.invalid} invalid{note}"
    )


def _print_titles(report: ImportReport) -> None:
    """A dry run names what it would add and reject, not only counts."""
    for listed in report.additions:
        click.echo(f"would add ({listed.where}): {listed.title}")
    if report.added > len(report.additions):
        click.echo(f"... and {report.added - len(report.additions)} more to add")
    for listed in report.rejections:
        click.echo(f"would reject ({listed.where}): {listed.title}")
