"""The ``enews`` root group and the list of its commands.

Command modules define their commands on their own; they are registered
here, in one place (``COMMANDS``; ``--help`` lists them A to Z). Only click is
imported at start-up; each command imports the library parts it needs, so
``enews --help`` stays fast.
"""

from __future__ import annotations

import atexit
import gc
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from enews.cli import (
    archive_cmds,
    check_cmds,
    db_cmds,
    import_cmds,
    issue_cmds,
    item_cmds,
    send_cmds,
    serve_cmds,
    user_cmds,
    workspace_cmds,
)
from enews.cli.common import fail
from enews.errors import EnewsError


class EnewsGroup(click.Group):
    """A group that reports every error as one line on stderr."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EnewsError as exc:
            fail(str(exc))

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        run = super().main
        if not standalone_mode:
            return run(args, prog_name, standalone_mode=False, **extra)
        try:
            code = run(args, prog_name, standalone_mode=False, **extra)
        except click.UsageError as exc:  # click would print usage + hint + error
            where = exc.ctx.command_path if exc.ctx else "enews"
            click.echo(
                f"error: {exc.format_message()} (see '{where} --help')", err=True
            )
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            fail(exc.format_message())
        except click.Abort:
            fail("aborted")
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=EnewsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-w",
    "--workspace",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    envvar="ENEWS_WORKSPACE",
    show_default=True,
    help="Workspace folder (enews.toml, templates/, issues/, db.sqlite).",
)
@click.option(
    "--db",
    metavar="URL",
    envvar="DATABASE_URL",
    help="Database URL [default: sqlite:///WORKSPACE/db.sqlite; env DATABASE_URL].",
)
@click.version_option(package_name="enews")
def cli(workspace: Path, db: str | None) -> None:
    """Compose monthly e-mail newsletters from collected items.

    \b
    Example: a sample issue, then your own:
      enews demo
      enews item add --kind News --title "Forum opens" --date "29 October 2020"
      enews issue new "October issue" --month 2020-10
      enews build 2020-10
    """


def main() -> None:
    # What a command built (SQLAlchemy's and Jinja2's objects above all) lives
    # until the process ends; frozen, it is left out of the collections the
    # interpreter runs while shutting down, which otherwise walk every object
    # (0.1-0.15 s of each command on a 2-core machine).
    atexit.register(gc.freeze)
    # `kill` (SIGTERM) takes the same path as Ctrl+C: the transaction rolls
    # back, a half-done build is discarded, and one "aborted" line is printed.
    signal.signal(signal.SIGTERM, _interrupt)
    cli(prog_name="enews")


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


COMMANDS: tuple[click.Command, ...] = (
    workspace_cmds.init,
    workspace_cmds.demo,
    item_cmds.item,
    import_cmds.import_cmd,
    issue_cmds.issue,
    workspace_cmds.build,
    check_cmds.check,
    send_cmds.send_test,
    serve_cmds.serve,
    archive_cmds.archive,
    db_cmds.db_group,
    user_cmds.user,
)
for _command in COMMANDS:
    cli.add_command(_command)
