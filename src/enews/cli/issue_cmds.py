"""``enews issue ...``: draft an issue and arrange its items."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from enews.cli.common import print_json, workspace

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy.orm import Session

    from enews.config import Settings
    from enews.store.models import Issue


@contextmanager
def editing(ctx: click.Context) -> Iterator[Session]:
    """A transaction that changes an issue; then says what it did to the
    issue's review (an approved issue changed goes back to draft)."""
    from enews.compose.review import notes

    with workspace(ctx).transaction() as session:
        yield session
        said = list(notes(session))
    for note in said:
        click.echo(f"note: {note}", err=True)


def issue_dict(issue: Issue, settings: Settings) -> dict[str, Any]:
    from enews.compose.issues import ordered_sections
    from enews.dates import month_name
    from enews.render.view import default_subject

    return {
        "slug": issue.slug,
        "title": issue.title,
        "period": issue.period,
        "subject": issue.subject
        or default_subject(issue.title, month_name(issue.period)),
        "preheader": issue.preheader,
        "intro": issue.intro,
        "status": issue.status,
        "last_editor": issue.last_editor,
        "approved_by": issue.approved_by,
        "approved_at": issue.approved_at.isoformat() if issue.approved_at else None,
        "sent_by": issue.sent_by,
        "sent_at": issue.sent_at.isoformat() if issue.sent_at else None,
        "version": issue.version,
        "sections": [
            {
                "name": name,
                "heading": settings.heading_for(name),
                "items": [
                    {
                        "id": e.item_id,
                        "title": e.item.title,
                        "date": e.item.published_on.isoformat(),
                        "featured": e.featured,
                    }
                    for e in entries
                ],
            }
            for name, entries in ordered_sections(issue, settings)
        ],
    }


@click.group()
def issue() -> None:
    """Draft issues from a month's items and arrange them.

    \b
    Example:
      enews issue new "October issue" --month 2020-10
      enews issue move 2020-10 7 --to 1
      enews issue set 2020-10 --intro "Two lines of intro." --featured 7
    """


@issue.command("new")
@click.argument("title")
@click.option(
    "--month", required=True, help="The month whose items it holds (YYYY-MM)."
)
@click.option("--slug", help="Folder name of the export [default: the month].")
@click.pass_context
def issue_new(ctx: click.Context, title: str, month: str, slug: str | None) -> None:
    """Draft an issue from every item dated in MONTH.

    One section per kind (order from enews.toml), newest first.

    \b
    Example:
      enews issue new "October issue" --month 2020-10
    """
    from enews.compose.issues import draft_issue

    ws = workspace(ctx)
    with ws.transaction() as session:
        new = draft_issue(session, title, month=month, slug=slug, settings=ws.settings)
        slug, count = new.slug, len(new.entries)
    click.echo(
        f"drafted issue {slug} with {count} item(s); build it: enews build {slug}"
    )


@issue.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def issue_list(ctx: click.Context, as_json: bool) -> None:
    """List issues, newest month first.

    \b
    Example:
      enews issue list
    """
    from enews.compose.issues import list_issues

    with workspace(ctx).transaction() as session:
        rows = [
            {"slug": i.slug, "title": i.title, "period": i.period,
             "status": i.status, "items": len(i.entries)}
            for i in list_issues(session)
        ]  # fmt: skip
    if as_json:
        print_json(rows)
        return
    for row in rows:
        click.echo(
            f"{row['slug']:<12} {row['period']}  {row['status']:<6} "
            f"{row['items']:>3} items  {row['title']}"
        )
    if not rows:
        click.echo("no issues yet: enews issue new TITLE --month YYYY-MM", err=True)


@issue.command("show")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def issue_show(ctx: click.Context, slug: str, as_json: bool) -> None:
    """Show an issue's texts and its sections in order.

    \b
    Example:
      enews issue show 2020-10
    """
    from enews.compose.issues import get_issue

    ws = workspace(ctx)
    with ws.transaction() as session:
        data = issue_dict(get_issue(session, slug), ws.settings)
    if as_json:
        print_json(data)
        return
    click.echo(f"{data['title']} ({data['slug']}, {data['period']}, {data['status']})")
    for key in ("subject", "preheader", "intro"):
        click.echo(f"  {key}: {data[key] or '-'}")
    for section in data["sections"]:
        click.echo(f"\n{section['heading']}")
        for n, entry in enumerate(section["items"], start=1):
            star = " *featured*" if entry["featured"] else ""
            click.echo(
                f"  {n:>2}. [{entry['id']}] {entry['date']} {entry['title']}{star}"
            )


@issue.command("delete")
@click.argument("slug")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def issue_delete(ctx: click.Context, slug: str, yes: bool) -> None:
    """Delete an issue. Its items and any exported files are kept.

    \b
    Example:
      enews issue delete 2020-10 --yes
    """
    from enews.compose.issues import delete_issue

    if not yes:
        click.confirm(f"Delete issue {slug}?", abort=True, err=True)
    with workspace(ctx).transaction() as session:
        delete_issue(session, slug)
    click.echo(f"deleted issue {slug}")


@issue.command("add")
@click.argument("slug")
@click.argument("item_id", type=int)
@click.option("--section", help="Section to put it in [default: the item's kind].")
@click.pass_context
def issue_add(ctx: click.Context, slug: str, item_id: int, section: str | None) -> None:
    """Add an item at the end of its section.

    \b
    Example:
      enews issue add 2020-10 31
    """
    from enews.compose.issues import add_to_issue

    ws = workspace(ctx)
    with editing(ctx) as session:
        entry = add_to_issue(
            session, slug, item_id, section=section, settings=ws.settings
        )
        where = entry.section
    click.echo(f"added item {item_id} to {slug} ({where})")


@issue.command("remove")
@click.argument("slug")
@click.argument("item_id", type=int)
@click.pass_context
def issue_remove(ctx: click.Context, slug: str, item_id: int) -> None:
    """Take an item out of an issue (the item itself is kept).

    \b
    Example:
      enews issue remove 2020-10 12
    """
    from enews.compose.issues import remove_from_issue

    with editing(ctx) as session:
        remove_from_issue(session, slug, item_id)
    click.echo(f"removed item {item_id} from {slug}")


@issue.command("move")
@click.argument("slug")
@click.argument("item_id", type=int)
@click.option(
    "--to", "position", type=int, required=True, help="New position, 1 = top."
)
@click.option("--section", help="Move it into this section.")
@click.pass_context
def issue_move(
    ctx: click.Context, slug: str, item_id: int, position: int, section: str | None
) -> None:
    """Move an item to a position in its section (or another section).

    \b
    Example:
      enews issue move 2020-10 12 --to 1
      enews issue move 2020-10 12 --to 1 --section Interview
    """
    from enews.compose.issues import move_in_issue

    with editing(ctx) as session:
        entry = move_in_issue(
            session, slug, item_id, position=position, section=section
        )
        where = entry.section
    click.echo(f"moved item {item_id} to position {position} of {where}")


@issue.command("set")
@click.argument("slug")
@click.option("--title", help="The issue's title, e.g. 'October issue'.")
@click.option("--subject", help="The e-mail subject line.")
@click.option("--preheader", help="The inbox preview text.")
@click.option(
    "--intro",
    help="Intro text, Markdown: **bold**, [a link](https://...); "
    "a blank line starts a paragraph.",
)
@click.option("--featured", type=int, help="Item id to feature at the top.")
@click.option("--no-featured", is_flag=True, help="Feature no item.")
@click.pass_context
def issue_set(
    ctx: click.Context,
    /,
    slug: str,
    featured: int | None,
    no_featured: bool,
    **values: str | None,
) -> None:
    """Set an issue's texts or featured item (an approved issue goes back
    to draft; a sent one must be reopened first).

    \b
    Example:
      enews issue set 2020-10 --subject "Co-op news, October" --featured 7
    """
    from enews.compose.issues import set_featured, set_fields

    if featured is not None and no_featured:
        raise click.UsageError("--featured and --no-featured exclude each other")
    with editing(ctx) as session:
        set_fields(session, slug, **values)
        if featured is not None or no_featured:
            set_featured(session, slug, featured)
    click.echo(f"updated issue {slug}")


# -- review: draft -> review -> approved -> sent ---------------------------------

_STEPS = {
    "review": ("submit", "sent issue {slug} to review"),
    "approve": ("approve", "approved issue {slug}"),
    "reopen": ("reopen", "reopened issue {slug}: it is a draft again"),
    "sent": ("mark_sent", "marked issue {slug} sent: frozen until reopened"),
}


def _step(name: str, summary: str) -> click.Command:
    @issue.command(name, help=summary)
    @click.argument("slug")
    @click.pass_context
    def command(ctx: click.Context, slug: str) -> None:
        from enews.compose import review
        from enews.compose.issues import get_issue

        ws = workspace(ctx)
        function, done = _STEPS[name]
        with ws.transaction() as session:
            issue = get_issue(session, slug)
            if function == "approve":
                second = ws.settings.require_second_person
                review.approve(session, issue, second_person=second)
            else:
                getattr(review, function)(session, issue)
        click.echo(done.format(slug=slug))

    return command


_step(
    "review",
    "Send draft issue SLUG to review.\n\n\b\nExample:\n  enews issue review 2020-10",
)
_step(
    "approve",
    "Approve issue SLUG (a reviewer or an admin); with require_second_person\n"
    "in enews.toml, not by whoever edited it last. `enews build` then hands\n"
    "it off.\n\n\b\nExample:\n  enews issue approve 2020-10",
)
_step(
    "reopen",
    "Put issue SLUG back to draft (from review, approved or sent).\n\n"
    "\b\nExample:\n  enews issue reopen 2020-10",
)
_step(
    "sent",
    "Record that approved issue SLUG went out (who and when); it is frozen\n"
    "until reopened.\n\n"
    "\b\nExample:\n  enews issue sent 2020-10",
)
