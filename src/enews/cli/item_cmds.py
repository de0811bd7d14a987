"""``enews item ...``: add, list, show, edit and remove items."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from enews.cli.common import print_json, workspace

if TYPE_CHECKING:
    from enews.store.models import Item

F = TypeVar("F", bound=Callable[..., Any])


def item_dict(item: Item) -> dict[str, Any]:
    return {
        "id": item.id,
        "kind": item.kind,
        "title": item.title,
        "date": item.published_on.isoformat(),
        "url": item.url,
        "summary": item.summary,
        "summary_format": item.summary_format,
        "image": item.image_url,
        "image_alt": item.image_alt,
        "source": item.source,
    }


def item_fields(required: bool) -> Callable[[F], F]:
    """The options shared by `item add` and `item edit`."""

    def decorate(func: F) -> F:
        options = [
            click.option(
                "--kind", required=required, help="News, Article, Interview..."
            ),
            click.option("--title", required=required, help="Plain-text title."),
            click.option(
                "--date",
                required=required,
                help="Publication date: 2020-10-29 or '29 October 2020'.",
            ),
            click.option(
                "--summary", help="A short summary (blank line = new paragraph)."
            ),
            click.option("--url", help="Absolute http(s) link to the full story."),
            click.option(
                "--image",
                help="Absolute http(s) URL of an image (or a stored assets/...).",
            ),
            click.option(
                "--image-file",
                type=click.Path(exists=True, dir_okay=False, path_type=Path),
                help="A JPEG, PNG, GIF or WebP file: stored in assets/, "
                "upright, without metadata, resized for email.",
            ),
            click.option(
                "--image-alt", help="Alt text of the image (required with it)."
            ),
        ]
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


@click.group()
def item() -> None:
    """Add, list, show, edit and remove items.

    \b
    Example:
      enews item add --kind News --title "Forum opens" --date 2020-10-29
      enews item list --month 2020-10
    """


@item.command("add")
@item_fields(required=False)  # required unless --from-url: see _require
@click.option(
    "--from-url",
    metavar="URL",
    help="Fill the fields from this web page's metadata; options given win.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the new item as JSON.")
@click.pass_context
def item_add(
    ctx: click.Context, /, from_url: str | None, as_json: bool, **values: str | None
) -> None:
    """Store a new item, or one filled from a web page (--from-url).

    --kind, --title and --date are required, unless the page gives them.

    \b
    Example:
      enews item add --kind News --date "29 October 2020" \\
        --title "A regional forum opens in Nairobi" \\
        --url https://example.org/news/forum --summary "Two days, 300 delegates."
      enews item add --from-url https://example.org/news/forum --kind News
      enews item add --kind News --title "Open day" --date 2020-10-03 \\
        --image-file photo.jpg --image-alt "Members at the open day"
    """
    from enews.compose.items import add_item

    if from_url is None:
        _require(ctx, values, ("kind", "title", "date"))
    else:
        from enews.collect.unfurl import unfurl
        from enews.collect.unfurl_fields import fill_in

        values, warnings = fill_in(unfurl(from_url), values)
        for warning in warnings:
            click.echo(f"warning: {warning}", err=True)
    ws = workspace(ctx)
    _store_image_file(ws.root, values, adding=True)
    with ws.transaction() as session:
        new = add_item(session, _draft(values))
        data = item_dict(new)
    if as_json:
        print_json(data)
    else:
        click.echo(f"added item {data['id']}: {data['title']}")


def _require(
    ctx: click.Context, values: dict[str, Any], names: tuple[str, ...]
) -> None:
    """The options click would require, with its own message."""
    for param in ctx.command.params:
        if param.name in names and values.get(param.name) is None:
            raise click.MissingParameter(ctx=ctx, param=param)


@item.command("list")
@click.option("--month", help="Only items dated in this month (YYYY-MM).")
@click.option("--kind", help="Only items of this kind.")
@click.option("-q", "--text", help="Only items whose title or summary contains this.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many items.")
@click.option(
    "--after",
    metavar="DATE.ID",
    help="Start after this item (the position a --limit list prints on stderr).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="csv and json are what `enews import` takes back unchanged.",
)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.pass_context
def item_list(
    ctx: click.Context,
    month: str | None,
    kind: str | None,
    text: str | None,
    limit: int | None,
    after: str | None,
    fmt: str,
    as_json: bool,
) -> None:
    """List items, newest first; or export them as CSV or JSON.

    With --limit, a list cut short ends with the position to go on from, on
    stderr: pass it to --after for the next page.

    \b
    Example:
      enews item list --month 2020-10 --kind News
      enews item list -q housing --json
      enews item list --format csv > items.csv   # enews import items.csv
      enews item list --limit 50 --after 2020-10-05.123
    """
    from enews.compose.items import cursor_after, find_items, parse_cursor
    from enews.dates import parse_month

    month = parse_month(month) if month else None
    start = parse_cursor(after) if after else None
    with workspace(ctx).transaction() as session:
        found = find_items(
            session,
            month=month,
            kind=kind,
            text=text,
            limit=limit + 1 if limit else None,  # one more: is there a next page?
            after=start,
        )
        more = limit is not None and len(found) > limit
        found = found[:limit]
        rows = [item_dict(i) for i in found]
        next_after = cursor_after(found[-1]) if more else None
    if as_json or fmt == "json":
        print_json(rows)
    elif fmt == "csv":
        _write_csv(rows)
    else:
        _write_table(rows)
    if next_after:
        click.echo(f"more items: --after {next_after}", err=True)


def _write_table(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        title = row["title"] if len(row["title"]) <= 60 else row["title"][:59] + "…"
        click.echo(f"{row['id']:>5}  {row['date']}  {row['kind']:<10}  {title}")
    if not rows:
        click.echo("no items match", err=True)


@item.command("show")
@click.argument("item_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def item_show(ctx: click.Context, item_id: int, as_json: bool) -> None:
    """Show one item.

    \b
    Example:
      enews item show 12 --json
    """
    from enews.compose.items import get_item

    with workspace(ctx).transaction() as session:
        data = item_dict(get_item(session, item_id))
    if as_json:
        print_json(data)
        return
    for key, value in data.items():
        if value is not None:
            click.echo(f"{key + ':':<11}{value}")


@item.command("edit")
@click.argument("item_id", type=int)
@item_fields(required=False)
@click.pass_context
def item_edit(ctx: click.Context, /, item_id: int, **values: str | None) -> None:
    """Change fields of an item; an empty value ('') clears an optional field.

    \b
    Example:
      enews item edit 12 --title "New title" --image ''  --image-alt ''
      enews item edit 12 --image-file photo.jpg --image-alt "The new hall"
    """
    from enews.compose.items import update_item

    ws = workspace(ctx)
    _store_image_file(ws.root, values, adding=False)
    with ws.transaction() as session:
        changed = update_item(session, item_id, _draft(values))
        title = changed.title
    click.echo(f"updated item {item_id}: {title}")


@item.command("rm")
@click.argument("item_ids", type=int, nargs=-1, required=True)
@click.pass_context
def item_rm(ctx: click.Context, item_ids: tuple[int, ...]) -> None:
    """Remove items (they also leave every issue they were in).

    \b
    Example:
      enews item rm 12 13
    """
    from enews.compose.items import delete_item

    with workspace(ctx).transaction() as session:
        for item_id in item_ids:
            delete_item(session, item_id)
    click.echo(f"removed {len(item_ids)} item(s)")


def _write_csv(rows: list[dict[str, Any]]) -> None:
    import csv

    from enews.collect.records import FIELDS, FORMAT_FIELD

    columns = ["id", *FIELDS, FORMAT_FIELD, "source"]
    writer = csv.DictWriter(sys.stdout, columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: row[key] for key in columns})


def _store_image_file(root: Path, values: dict[str, Any], *, adding: bool) -> None:
    """Store --image-file once every other value is checked (a refused item
    writes no image); its assets/ path becomes the item's image."""
    path = values.pop("image_file", None)
    if path is None:
        return
    from enews.compose.images import store_image
    from enews.errors import ValidationError

    if values.get("image"):
        raise ValidationError("image_file", "give --image or --image-file, not both")
    if adding and not (values.get("image_alt") or "").strip():
        raise ValidationError("image_alt", "an image needs alt text (--image-alt)")
    _draft(values)
    try:
        with path.open("rb") as handle:
            values["image"] = store_image(
                root, handle, path.name, field="image_file"
            ).path
    except OSError as exc:
        problem = f"cannot read {path}: {exc.strerror or exc}"
        raise ValidationError("image_file", problem) from exc


def _draft(values: dict[str, Any]) -> Any:
    from enews.compose.items import make_draft

    return make_draft(
        kind=values.get("kind"),
        title=values.get("title"),
        date=values.get("date"),
        url=values.get("url"),
        summary=values.get("summary"),
        image_url=values.get("image"),
        image_alt=values.get("image_alt"),
        summary_format=values.get("summary_format"),  # set by --from-url
        source=values.get("source"),
    )
