"""The ``enews`` command line: parse, call the library, print.

Only click is imported at start-up; each command imports the library parts
it needs, which keeps ``enews --help`` well under 0.2 s.
"""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from enews.errors import EnewsError

if TYPE_CHECKING:
    from enews.workspace import Workspace


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


def fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def workspace(ctx: click.Context) -> Workspace:
    """The Workspace for this run, made on first use."""
    from enews.workspace import Workspace

    root = ctx.find_root()
    if root.obj is None:
        params = root.params
        root.obj = Workspace(Path(params["workspace"]), db_url=params["db"])
        root.call_on_close(root.obj.close)
    obj: Workspace = root.obj
    return obj


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


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
    # `kill` (SIGTERM) takes the same path as Ctrl+C: the transaction rolls
    # back, a half-done build is discarded, and one "aborted" line is printed.
    signal.signal(signal.SIGTERM, _interrupt)
    cli(prog_name="enews")


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


# The command modules register themselves on `cli` when imported.
from enews.cli import (  # noqa: E402, F401
    archive_cmd,
    check_cmd,
    db_cmds,
    imports,
    issues,
    items,
    serve_cmd,
    user_cmds,
    workspace_cmds,
)
