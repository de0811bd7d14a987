"""``enews check``: the quality report on a built issue."""

from __future__ import annotations

import click

from enews.cli.common import print_json, workspace
from enews.errors import EnewsError


@click.command("check")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def check(ctx: click.Context, slug: str, as_json: bool) -> None:
    """Check built issue SLUG before it goes to the mailing service.

    Reads issues/SLUG/index.html and index.txt and checks the HTML size
    against Gmail's clipping, links, images, the unsubscribe link, lang,
    title and preheader, scripts and event handlers, and that every link is
    also in the text part. Exits with status 1 when a check fails; warnings
    alone exit 0.

    \b
    Example:
      enews check 2020-10
      enews check 2020-10 --json
    """
    from enews.publish.build import HTML_FILE, TEXT_FILE, read_bundle
    from enews.publish.check import check_bundle, format_report

    ws = workspace(ctx)
    files = read_bundle(ws.issues_dir, slug)
    if files is None:
        raise EnewsError(f"issue {slug} is not built yet; run 'enews build {slug}'")
    # A stray non-UTF-8 byte should not stop the report.
    html, text = (files[n].decode("utf-8", "replace") for n in (HTML_FILE, TEXT_FILE))
    report = check_bundle(html, text, ws.settings)
    if as_json:
        print_json(report.as_dict())
    else:
        click.echo(format_report(report))
    if not report.ok:
        ctx.exit(1)
