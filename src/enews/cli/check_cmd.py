"""``enews check``: the quality report on a built issue."""

from __future__ import annotations

from pathlib import Path

import click

from enews.cli import cli, print_json, workspace
from enews.errors import EnewsError


@cli.command("check")
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
    from enews.check import check_bundle, format_report
    from enews.export import recover_bundle

    ws = workspace(ctx)
    html, text = read_built(recover_bundle(ws.issues_dir, slug), slug)
    report = check_bundle(html, text, ws.settings)
    if as_json:
        print_json(report.as_dict())
    else:
        click.echo(format_report(report))
    if not report.ok:
        ctx.exit(1)


def read_built(folder: Path, slug: str) -> tuple[str, str]:
    """The HTML and text part of a built issue, as written by ``enews build``."""
    try:
        # A stray non-UTF-8 byte should not stop the report.
        html = (folder / "index.html").read_text("utf-8", errors="replace")
        text = (folder / "index.txt").read_text("utf-8", errors="replace")
    except FileNotFoundError:
        raise EnewsError(
            f"issue {slug} is not built yet; run 'enews build {slug}'"
        ) from None
    except OSError as exc:
        raise EnewsError(f"cannot read {folder}: {exc.strerror or exc}") from exc
    return html, text
