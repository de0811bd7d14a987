"""Items: a month's list with filters, add / edit / delete forms, and import
by upload. Forms are validated as the CLI validates (``items.check_form``)
and every problem is shown beside its field."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO, cast

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.datastructures import FileStorage

from enews.collect import FORMATS
from enews.collect.fetch import Source, open_source
from enews.collect.importer import import_source
from enews.compose.items import (
    FORM_FIELDS,
    add_item,
    check_form,
    count_items,
    cursor_after,
    delete_item,
    find_items,
    get_item,
    kinds_in_use,
    latest_month,
    parse_cursor,
    update_item,
)
from enews.dates import month_name, parse_month
from enews.errors import ConflictError, EnewsError, ValidationError
from enews.store.models import Item
from enews.urls import is_absolute_url
from enews.web.auth import signin_required
from enews.web.common import form_text, transaction
from enews.web.state import state

blueprint = Blueprint("items", __name__)
SHOWN_PROBLEMS = 50
PAGE = 200  # items per page of the list: a big month stays quick to show
SPOOL_BYTES = 8 * 1024 * 1024


@blueprint.get("/items")
def index() -> Any:
    filters = {name: request.args.get(name, "").strip() for name in ("kind", "q")}
    after = request.args.get("after", "").strip()
    given = request.args.get("month", "").strip()
    with transaction() as session:
        # The newest month by default; a text search looks in every month
        # unless one is chosen.
        month = given or (None if filters["q"] else latest_month(session))
        month = parse_month(month) if month else None
        where = {"month": month, "kind": filters["kind"], "text": filters["q"]}
        where = {key: value or None for key, value in where.items()}
        items = find_items(
            session,
            limit=PAGE + 1,  # one more tells whether a next page exists
            after=parse_cursor(after) if after else None,
            **where,
        )
        total = count_items(session, **where)
        kinds = kinds_in_use(session)
    more = len(items) > PAGE
    items = items[:PAGE]
    return render_template(
        "items.html",
        items=items,
        total=total,
        paged=bool(after),
        next_after=cursor_after(items[-1]) if more else None,
        month=month or "",
        month_given=month if given else "",
        month_label=month_name(month) if month else "",
        filters=filters,
        kinds=kinds,
    )


@blueprint.get("/items/new")
def new() -> str:
    with transaction() as session:
        kinds = kinds_in_use(session)
    return render_template(
        "item_form.html", item=None, values={}, errors={}, kinds=kinds
    )


@blueprint.post("/items/new")
def create() -> Any:
    return _save(None)


@blueprint.get("/items/<int:item_id>/edit")
def edit(item_id: int) -> str:
    with transaction() as session:
        item = get_item(session, item_id)
        values = _item_values(item)
    return _form_page(item_id, values, {})


@blueprint.post("/items/<int:item_id>/edit")
def update(item_id: int) -> Any:
    return _save(item_id)


def _save(item_id: int | None) -> Any:
    """Add (``item_id`` None) or change an item; the form again on errors."""
    values = _form_values()
    draft, errors = check_form(values)
    upload = request.files.get("image_file")
    if upload is not None and upload.filename:
        draft, errors = _with_upload(values, errors, upload)
    if draft is not None:
        try:
            with transaction() as session:
                if item_id is None:
                    item = add_item(session, draft)
                else:
                    item = update_item(session, item_id, draft)
                saved, period = item.id, item.published_on.strftime("%Y-%m")
        except (ValidationError, ConflictError) as exc:
            errors = {_field(exc): _problem(exc)}
        else:
            flash(
                f"{'Added' if item_id is None else 'Saved'} item {saved}: {draft.title}"
            )
            return redirect(url_for("items.index", month=period), code=303)
    return _form_page(item_id, values, errors), 422


@blueprint.post("/items/<int:item_id>/delete")
def delete(item_id: int) -> Any:
    with transaction() as session:
        item = get_item(session, item_id)
        title, period = item.title, item.published_on.strftime("%Y-%m")
        issues = sorted(p.issue.slug for p in item.placements)
        delete_item(session, item_id)
    left = f" (it left issue {', '.join(issues)})" if issues else ""
    flash(f"Deleted item {item_id}: {title}{left}")
    return redirect(url_for("items.index", month=period), code=303)


@blueprint.get("/import")
def import_form() -> str:
    return render_template("import.html", formats=FORMATS, report=None, error=None)


@blueprint.post("/import")
def import_upload() -> Any:
    """Import an uploaded file, pasted text or a web address (one of them)."""
    fmt = form_text("format") or None
    if fmt is not None and fmt not in FORMATS:
        return _import_page(error=f"format: must be one of {', '.join(FORMATS)}"), 400
    try:
        with _opened_import() as opened:
            report = import_source(
                state().ws.sessions(),
                opened,
                fmt=fmt,
                kind=form_text("kind").strip() or None,
                dry_run=form_text("dry_run") == "1",
                skip_invalid=form_text("skip_invalid") == "1",
                base_url=form_text("base_url").strip() or None,
            )
    except EnewsError as exc:  # nothing to read, or not readable as that format
        return _import_page(error=str(exc)), 400
    status = 422 if report.invalid and not report.skip_invalid else 200
    return _import_page(report=report), status


@contextmanager
def _opened_import() -> Iterator[Source]:
    """The one source the form names: a file, pasted text or an address."""
    upload = request.files.get("file")
    text, link = form_text("text"), form_text("url").strip()
    given = [bool(upload and upload.filename), bool(text.strip()), bool(link)]
    if sum(given) != 1:
        raise ValidationError(
            "file", "choose a file, paste text or give a web address (one of them)"
        )
    if link:
        if not is_absolute_url(link):  # open_source would open a local file
            raise ValidationError("url", f"{link!r} is not an absolute http(s) link")
        # A shared (signed-in) workspace must not fetch from its own network.
        with open_source(link, public_only=signin_required()) as opened:
            yield opened
        return
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        if text.strip():
            # surrogatepass: the reader names a bad character; no 500 here
            spool.write(text.encode("utf-8", "surrogatepass"))
            name = "pasted text"
        else:
            assert upload is not None and upload.filename
            upload.save(spool)
            name = upload.filename
        size = spool.tell()
        spool.seek(0)
        yield Source(
            stream=spool,  # type: ignore[arg-type]
            name=name,
            size=size,
            content_type=None,  # the browser's guess says little about content
        )


def _import_page(**context: Any) -> str:
    context.setdefault("report", None)
    context.setdefault("error", None)
    return render_template(
        "import.html", formats=FORMATS, shown=SHOWN_PROBLEMS, **context
    )


def _with_upload(
    values: dict[str, str], errors: dict[str, str], upload: FileStorage
) -> tuple[Any, dict[str, str]]:
    """Store an uploaded image once every other field is valid (a refused
    item writes no image); its assets/ path becomes the item's image."""
    from enews.compose.images import store_image  # Pillow: only when used

    if not values["image_alt"].strip():
        errors = {**errors, "image_alt": "an image needs alt text"}
    if errors:
        return None, errors
    try:
        stored = store_image(
            state().ws.root,
            cast(BinaryIO, upload.stream),
            upload.filename or "",
            field="image_file",
        )
    except ValidationError as exc:
        return None, {"image_file": exc.problem}
    values["image_url"] = stored.path
    return check_form(values)


def _form_values() -> dict[str, str]:
    return {name: form_text(name) for name in FORM_FIELDS}


def _item_values(item: Item) -> dict[str, str]:
    return {
        "kind": item.kind,
        "title": item.title,
        "date": item.published_on.isoformat(),
        "url": item.url or "",
        "summary": item.summary or "",
        "image_url": item.image_url or "",
        "image_alt": item.image_alt or "",
    }


def _form_page(
    item_id: int | None, values: dict[str, str], errors: dict[str, str]
) -> str:
    with transaction() as session:
        kinds = kinds_in_use(session)
    return render_template(
        "item_form.html", item=item_id, values=values, errors=errors, kinds=kinds
    )


# The library's field names where the form's differ.
_FORM_FIELD = {"image": "image_url"}


def _field(exc: EnewsError) -> str:
    name = _FORM_FIELD.get(exc.field or "", exc.field)
    return name if name in FORM_FIELDS else "title"


def _problem(exc: EnewsError) -> str:
    return exc.problem if exc.field else str(exc)
