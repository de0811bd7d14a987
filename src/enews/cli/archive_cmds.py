"""``enews archive``: the static web archive of the built issues."""

from __future__ import annotations

from pathlib import Path

import click

from enews.cli.common import workspace


@click.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the archive into [default: WORKSPACE/archive].",
)
@click.option(
    "--base-url",
    metavar="URL",
    help="Public URL of the archive folder, for the feed's links and ids "
    "[default: base_url in enews.toml].",
)
@click.pass_context
def archive(ctx: click.Context, out: Path | None, base_url: str | None) -> None:
    """Write a web archive of every built issue: the "view in browser" pages.

    OUT/SLUG/index.html is each built issue's HTML with the mailing
    service's merge tags made public (the greeting's fallback word, "View in
    browser" to the page itself, "Unsubscribe" to unsubscribe_url or a mail
    to the sender), OUT/index.html lists the issues newest first and
    OUT/feed.xml is an Atom feed of them. Issues
    never built are skipped; build them first with 'enews build SLUG'.
    Publish the folder at the base URL. Prints the path of index.html.

    \b
    Example:
      enews archive
      enews archive --out site/news --base-url https://example.org/news
    """
    from enews.publish.archive import ARCHIVE_DIR, build_archive

    ws = workspace(ctx)
    with ws.transaction() as session:
        result = build_archive(
            session,
            settings=ws.settings,
            workspace=ws.root,
            out_dir=out or ws.root / ARCHIVE_DIR,
            base_url=ws.settings.base_url if base_url is None else base_url,
        )
    message = f"{_count(len(result.issues), 'issue')} archived"
    if result.skipped:
        message += f", {len(result.skipped)} not built yet: {', '.join(result.skipped)}"
    click.echo(message, err=True)
    click.echo(result.index.resolve())


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
