"""What every command module shares: the workspace of a run, errors, JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from enews.workspace import Workspace


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
