"""``enews user ...``: accounts for a shared web workspace."""

from __future__ import annotations

import sys

import click

from enews.cli.common import print_json, workspace


@click.group()
def user() -> None:
    """Add, list and remove the accounts that sign in to `enews serve`.

    Names ignore case: "Amy" and "amy" are one account, shown as it was added.

    Once a workspace has an account, its web workspace asks everyone to sign
    in, on every address; without one, `enews serve` only listens on this
    computer (127.0.0.1).

    \b
    Example:
      enews user add amy
      enews user list
    """


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    value: str = click.prompt(
        "Password", hide_input=True, confirmation_prompt=True, err=True
    )
    return value


@user.command("add")
@click.argument("name")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of stdin (for scripts).",
)
@click.option(
    "--role",
    default="editor",
    show_default=True,
    help="admin (accounts, settings, everything), editor (items, issues, "
    "builds, test sends) or reviewer (read, comment, approve).",
)
@click.pass_context
def user_add(ctx: click.Context, name: str, password_stdin: bool, role: str) -> None:
    """Create an account; asks for its password twice (at least 10 characters).

    \b
    Example:
      enews user add amy --role editor
      printf '%s\\n' "$PASSWORD" | enews user add ci-bot --password-stdin
    """
    from enews.roles import check_role
    from enews.store.accounts import add_user

    check_role(role)  # before asking for a password
    ws = workspace(ctx)
    ws.sessions()  # schema check before asking anything
    password = _password(password_stdin)
    with ws.transaction() as session:
        add_user(session, name, password, role)
    click.echo(f"added {role} {name}; the web workspace now asks everyone to sign in")


@user.command("role")
@click.argument("name")
@click.argument("role")
@click.pass_context
def user_role(ctx: click.Context, name: str, role: str) -> None:
    """Give account NAME the role ROLE: admin, editor or reviewer.

    \b
    Example:
      enews user role amy reviewer
    """
    from enews.store.accounts import set_role

    with workspace(ctx).transaction() as session:
        set_role(session, name, role)
    click.echo(f"{name} is now {role}")


@user.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read it from stdin.")
@click.pass_context
def user_passwd(ctx: click.Context, name: str, password_stdin: bool) -> None:
    """Set a new password for an account; its open sessions end.

    \b
    Example:
      enews user passwd amy
    """
    from enews.store.accounts import get_user, set_password

    ws = workspace(ctx)
    with ws.transaction() as session:
        name = get_user(session, name).name  # before asking; as it was typed
    password = _password(password_stdin)
    with ws.transaction() as session:
        set_password(session, name, password)
    click.echo(f"changed the password of {name}; its web sessions have ended")


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def user_list(ctx: click.Context, as_json: bool) -> None:
    """List the accounts.

    \b
    Example:
      enews user list --json
    """
    from enews.store.accounts import list_users

    with workspace(ctx).transaction() as session:
        rows = [
            {"name": u.name, "role": u.role, "created": u.created_at.isoformat()}
            for u in list_users(session)
        ]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        click.echo(f"{row['name']:<30} {row['role']:<9} {row['created'][:10]}")
    if not rows:
        click.echo(
            "no users: the web workspace needs no sign-in on 127.0.0.1", err=True
        )


@user.command("rm")
@click.argument("name")
@click.pass_context
def user_rm(ctx: click.Context, name: str) -> None:
    """Remove an account; its open sessions end at their next request.

    \b
    Example:
      enews user rm amy
    """
    from enews.store.accounts import remove_user

    with workspace(ctx).transaction() as session:
        remove_user(session, name)
    click.echo(f"removed user {name}")
