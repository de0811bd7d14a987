"""``enews send-test``: the issue, as a subscriber gets it, to test inboxes."""

from __future__ import annotations

import time

import click

from enews.cli.common import fail, workspace


@click.command("send-test")
@click.argument("slug")
@click.option(
    "--to",
    "to",
    multiple=True,
    required=True,
    metavar="ADDR",
    help="A test inbox (repeat, or separate with commas; at most 20).",
)
@click.pass_context
def send_test(ctx: click.Context, slug: str, to: tuple[str, ...]) -> None:
    """Send issue SLUG to test inboxes over SMTP, as a subscriber gets it.

    The issue is built first (so the test is never stale); the mailing
    service's merge tags get sample values (the first name "Alex", links to
    the archive page or to example.invalid), each copy is addressed To: its
    recipient, and the subject starts with "[Test] ". An issue that fails
    checks is sent too, with the failing checks named.

    The server is the [smtp] table of enews.toml (host, port, security =
    "starttls", "tls" or "none", username, from, ca_file); the password
    comes only from the ENEWS_SMTP_PASSWORD environment variable. One
    attempt, 10 s to connect; exits with status 1 when a recipient is
    refused or the send fails.

    \b
    Example:
      ENEWS_SMTP_PASSWORD=... enews send-test 2020-10 --to me@example.org
      enews send-test 2020-10 --to amy@example.org --to ben@example.org
    """
    from enews.publish.build import build_issue
    from enews.publish.sendtest import parse_recipients, send_bundle_test, smtp_password

    recipients = parse_recipients(to)  # nothing is built or sent before this
    ws = workspace(ctx)
    started = time.perf_counter()
    with ws.transaction() as session:
        bundle = build_issue(session, slug, settings=ws.settings, workspace=ws.root)
    outcome = send_bundle_test(
        bundle,
        recipients,
        settings=ws.settings,
        root=ws.root,
        password=smtp_password(),
    )
    if outcome.failing:
        click.echo(
            f"warning: issue {slug} fails checks ({', '.join(outcome.failing)}); "
            "sent as a test anyway (see 'enews check')",
            err=True,
        )
    result = outcome.result
    if result.sent:
        click.echo(
            f"test of {slug} sent to {', '.join(result.sent)} through {result.server} "
            f"in {time.perf_counter() - started:.2f} s"
        )
    for line in result.problems():
        click.echo(f"error: {line}", err=True)
    if not result.ok:
        fail(f"the test reached {len(result.sent)} of {len(recipients)} recipient(s)")
