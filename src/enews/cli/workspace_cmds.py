"""``enews init | demo | build``: workspace-level commands."""

from __future__ import annotations

from pathlib import Path

import click

from enews.cli.common import fail, workspace


@click.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create enews.toml, templates/, issues/ and the database if missing.

    Also upgrades an existing database to the current schema.

    \b
    Example:
      enews -w ~/newsletter init
    """
    from enews.store import db
    from enews.workspace import init_workspace

    ws = workspace(ctx)
    created = init_workspace(ws.root)
    before, after = db.upgrade(ws.engine)
    for name in created:
        click.echo(f"created {ws.root / name}")
    if before != after:
        click.echo(f"database {ws.url}: schema {before or 'empty'} -> {after}")
    click.echo(f"workspace ready: {ws.root.resolve()}")


@click.command()
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Load sample items, draft the sample issue and build it.

    Safe to run again: nothing is duplicated. Prints the path of index.html.

    \b
    Example:
      enews demo && xdg-open issues/2020-10/index.html
    """
    from enews.compose.demo import DEMO_SLUG, load_demo
    from enews.publish.build import build_issue, write_bundle
    from enews.workspace import init_workspace

    ws = workspace(ctx)
    init_workspace(ws.root)
    with ws.transaction() as session:
        result = load_demo(session)
        bundle = build_issue(
            session, DEMO_SLUG, settings=ws.settings, workspace=ws.root
        )
    folder = write_bundle(bundle, ws.issues_dir)
    click.echo(
        f"sample items: {result.added} added, {result.existing} already there; "
        f"issue {DEMO_SLUG} {'drafted' if result.issue_created else 'kept'}",
        err=True,
    )
    click.echo((folder / "index.html").resolve())


@click.command()
@click.argument("slug")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to export into [default: WORKSPACE/issues].",
)
@click.option("--zip", "as_zip", is_flag=True, help="Also write issues/SLUG.zip.")
@click.option(
    "--force", is_flag=True, help="Write it even if checks fail or it is not approved."
)
@click.pass_context
def build(
    ctx: click.Context, slug: str, out: Path | None, as_zip: bool, force: bool
) -> None:
    """Build issue SLUG into issues/SLUG/: index.html, index.txt, message.eml
    and manifest.json, with the merge tags of the mailing service set in
    enews.toml (profile).

    The result is checked first (`enews check`): with a failing check, or
    an issue not approved (`enews issue approve SLUG`), nothing is written,
    unless --force. Files are replaced atomically;
    unchanged data gives identical bytes. Prints the path of index.html.

    \b
    Example:
      enews build 2020-10
      enews build 2020-10 --zip
    """
    from enews.publish.build import build_issue, write_bundle, write_zip
    from enews.publish.check import format_report
    from enews.publish.handoff import review

    ws = workspace(ctx)
    with ws.transaction() as session:
        bundle = build_issue(session, slug, settings=ws.settings, workspace=ws.root)
    report, refusal = review(bundle, ws.settings)
    if refusal and refusal.reason == "empty" and not force:
        fail(
            f"{refusal.message}; add some with 'enews issue add {slug} ID' "
            "(or build with --force)"
        )
    if report.failures or report.warnings:
        click.echo(format_report(report), err=True)
    if refusal and not force:
        fix = "approve it" if refusal.reason == "unapproved" else "fix them"
        fail(f"{refusal.message}; nothing was written ({fix}, or build with --force)")
    folder = write_bundle(bundle, out or ws.issues_dir)
    if as_zip:
        click.echo(f"zip: {write_zip(bundle, out or ws.issues_dir)}", err=True)
    size = len(bundle.html.encode("utf-8"))
    click.echo(
        f"{len(bundle.view.items)} items, {size / 1024:.1f} KB of HTML", err=True
    )
    click.echo((folder / "index.html").resolve())
