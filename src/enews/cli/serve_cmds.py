"""``enews serve``: the browser workspace on a local address."""

from __future__ import annotations

import ipaddress
import logging
import os

import click

from enews.cli.common import fail, workspace


@click.command("serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; the default reaches this computer only.",
)
@click.option(
    "--port",
    default=8000,
    type=click.IntRange(0, 65535),
    show_default=True,
    help="Port to listen on (0: any free port).",
)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Compose and preview issues in a browser.

    Opens the workspace on http://HOST:PORT/: items with add, edit, delete
    and import, the issue composer with drag and drop, and a live preview
    of the email (desktop, phone, dark mode, plain text) that reloads after
    every change and whenever a file in templates/ or enews.toml changes.
    Stop it with Ctrl+C.

    It listens on 127.0.0.1 (this computer only) unless --host says
    otherwise; another address needs an account (enews user add), and once
    the workspace has one, everyone signs in. For a team server, run
    enews.web.wsgi:app under gunicorn instead (see the README).

    A connection idle for 30 s is closed and at most 64 are served at once
    (more get "503 busy"), so forgotten tabs and stuck clients cannot pile
    up threads.

    \b
    Examples:
      enews serve
      enews serve --port 8080
      enews -w ~/newsletter serve
      enews user add amy && enews serve --host 0.0.0.0
    """
    from enews.store.accounts import has_users
    from enews.web import create_app
    from enews.web.app import LOOPBACK_HOSTS
    from enews.web.server import LocalServer

    ws = workspace(ctx)
    local = _is_loopback(host)
    with ws.transaction() as session:
        accounts = has_users(session)
    if not local and not accounts:
        fail(
            f"--host {host} makes the workspace reachable from other computers, "
            "which needs sign-in: create an account first with 'enews user add NAME'"
        )
    app = create_app(
        ws,
        secret_key=os.environ.get("ENEWS_SECRET_KEY") or None,
        trusted_hosts=LOOPBACK_HOSTS if local else None,
        require_signin=True if not local else None,
    )
    try:
        server = LocalServer(host, port, app)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    logging.getLogger("werkzeug").addFilter(_QuietLongPoll())
    if accounts:
        click.echo("sign-in required (accounts: enews user list)", err=True)
    shown = f"[{host}]" if ":" in host else host
    click.echo(
        f"enews workspace on http://{shown}:{server.port}/ (Ctrl+C to stop)", err=True
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    finally:
        server.close()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _QuietLongPoll(logging.Filter):
    """Live reload asks every 20 s in every open tab: keep it out of the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "/_reload" not in record.getMessage()
