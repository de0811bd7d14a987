"""``enews db``: the schema (upgrade, current) and moving all data (dump,
load, copy)."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TextIO

import click

from enews.cli.common import fail, print_json, workspace


@click.group("db")
def db_group() -> None:
    """Inspect and upgrade the database schema; dump, load or copy all data.

    \b
    Example:
      enews db current
      enews db upgrade
      enews db dump backup.jsonl
      enews db copy --to postgresql+psycopg://team@db.example.org/enews
    """


@db_group.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Upgrade the database to the schema this enews needs.

    \b
    Example:
      enews db upgrade
      enews --db sqlite:///team.sqlite db upgrade
    """
    from enews.store import db

    ws = workspace(ctx)
    before, after = db.upgrade(ws.engine)
    click.echo(
        f"{before or 'empty'} -> {after}" if before != after else f"already at {after}"
    )


@db_group.command("current")
@click.pass_context
def db_current(ctx: click.Context) -> None:
    """Print the database's schema revision and the one enews needs.

    \b
    Example:
      enews db current
    """
    from enews.store import db

    ws = workspace(ctx)
    current = db.current_revision(ws.engine)
    head = db.head_revision()
    state = "up to date" if current == head else "needs 'enews db upgrade'"
    click.echo(f"{current or 'empty'} (head {head}): {state}")


class _Progress:
    """Rows done so far, on one refreshed line of a terminal's stderr."""

    def __init__(self) -> None:
        self.shown = False

    def __call__(self, table: str, rows: int) -> None:
        if sys.stderr.isatty():
            click.echo(f"\r{table}: {rows:,} rows\x1b[K", nl=False, err=True)
            self.shown = True

    def clear(self) -> None:
        if self.shown:
            click.echo("\r\x1b[K", nl=False, err=True)


@contextmanager
def _progress() -> Iterator[_Progress]:
    progress = _Progress()
    try:
        yield progress
    finally:
        progress.clear()


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{rows} {table}" for table, rows in counts.items())


def _ready_workspace_db(ctx: click.Context) -> None:
    """Check the workspace database's schema; one line if it is unreachable."""
    from enews.errors import DatabaseError
    from enews.store import transfer

    ws = workspace(ctx)
    try:
        ws.sessions()
    except DatabaseError:
        transfer.check_connection(ws.engine)  # unreachable: say so in one line
        raise


@contextmanager
def _utf8(binary: BinaryIO, mode: str) -> Iterator[TextIO]:
    """stdin or stdout as UTF-8 text whatever the locale, left open after."""
    wrapper = io.TextIOWrapper(binary, encoding="utf-8", newline="\n")
    try:
        yield wrapper
    finally:
        if "w" in mode:
            wrapper.flush()
        wrapper.detach()


@contextmanager
def _open_dump(file: str) -> Iterator[TextIO]:
    if file == "-":
        with _utf8(sys.stdin.buffer, "r") as stream:
            yield stream
        return
    try:
        # opened here, not in a with: an OSError from the caller's work is
        # not "cannot read FILE"
        handle = Path(file).open(encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or exc}")
    with handle:
        yield handle


@db_group.command("dump")
@click.argument("file", default="-", metavar="[FILE]")
@click.pass_context
def db_dump(ctx: click.Context, file: str) -> None:
    """Write all data (every table) to FILE as portable JSON Lines.

    One JSON object a line: a header, then one line per row (with its
    table, parents first), then an end line counting the rows per table.
    Without FILE, or with -, the dump goes to stdout. A FILE is replaced
    atomically and readable by you only: it holds the web accounts'
    password hashes. The same data gives the same bytes, on SQLite and on
    PostgreSQL; 'enews db load' restores it.

    \b
    Example:
      enews db dump backup.jsonl
      enews --db postgresql+psycopg://team@db.example.org/enews db dump > team.jsonl
    """
    from enews.store import transfer

    _ready_workspace_db(ctx)
    engine = workspace(ctx).engine
    with _progress() as progress:
        if file == "-":
            with _utf8(sys.stdout.buffer, "w") as out:
                counts = transfer.write_dump(engine, out, progress=progress)
        else:
            counts = transfer.dump_to_file(engine, Path(file), progress=progress)
    click.echo(f"dumped {transfer.label(engine)}: {_summary(counts)}", err=True)
    if file != "-":
        click.echo(Path(file).resolve())


@db_group.command("load")
@click.argument("file", metavar="FILE")
@click.option(
    "--replace",
    is_flag=True,
    help="Delete what the database holds first (in the same transaction).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.pass_context
def db_load(ctx: click.Context, file: str, replace: bool, as_json: bool) -> None:
    """Restore a dump written by 'enews db dump' (- reads stdin).

    The database must be empty (or use --replace); a new one is given the
    schema first. Everything loads in one transaction, ids kept: an error
    anywhere changes nothing. A dump from another schema revision is
    refused before anything is touched; a bad line is named as FILE:LINE.
    Dumps of older enews versions (one JSON object) load too. Dumps hold
    no sessions: everyone signs in to the web workspace again afterwards.

    \b
    Example:
      enews db load backup.jsonl
      enews --db postgresql+psycopg://team@db.example.org/enews db load team.jsonl
    """
    from enews.store import dumpfile, transfer

    ws = workspace(ctx)
    name = "stdin" if file == "-" else file
    with _open_dump(file) as stream:
        dump = dumpfile.read(stream, name)  # refuse before touching the db
        _ready_workspace_db(ctx)
        with _progress() as progress:
            counts = transfer.load(
                ws.engine, dump.tables(), name=name, replace=replace, progress=progress
            )
    target = transfer.label(ws.engine)
    if as_json:
        print_json({"source": name, "target": target, "tables": counts})
    else:
        click.echo(f"loaded {name} into {target}: {_summary(counts)}")


@db_group.command("copy")
@click.option(
    "--to", "url", required=True, metavar="URL", help="The database to copy into."
)
@click.option(
    "--replace",
    is_flag=True,
    help="Delete what the target holds first (in the same transaction).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.pass_context
def db_copy(ctx: click.Context, url: str, replace: bool, as_json: bool) -> None:
    """Copy all data of the workspace database into the database at URL.

    The target must be empty (or use --replace); a new one is given the
    schema first. One transaction on the target, ids kept: an error
    anywhere leaves it as it was. Works both ways between SQLite and
    PostgreSQL (set the source with --db or DATABASE_URL). Sessions are not
    copied: everyone signs in to the target's web workspace again.

    \b
    Example:
      enews db copy --to postgresql+psycopg://team@db.example.org/enews
      enews --db postgresql+psycopg://team@db.example.org/enews \\
          db copy --to sqlite:///backup.sqlite
    """
    from enews.store import db, transfer

    ws = workspace(ctx)
    target = db.make_engine(url)
    try:
        _ready_workspace_db(ctx)
        with _progress() as progress:
            counts = transfer.copy_database(
                ws.engine, target, replace=replace, progress=progress
            )
    finally:
        target.dispose()
    source, where = transfer.label(ws.engine), transfer.label(target)
    if as_json:
        print_json({"source": source, "target": where, "tables": counts})
    else:
        click.echo(f"copied {source} to {where}: {_summary(counts)}")
