"""Collecting from the web in the workspace: a pasted link fills the item
form (the page's own metadata, through ``collect.unfurl``). Nothing is
saved here: the filled form goes on to ``items.create`` like a typed one."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from enews.collect.records import SourceError
from enews.collect.unfurl import unfurl
from enews.collect.unfurl_fields import form_values
from enews.compose.items import kinds_in_use
from enews.errors import ValidationError
from enews.web.auth import signin_required
from enews.web.common import form_text, transaction

blueprint = Blueprint("collect", __name__)


@blueprint.post("/items/unfurl")
def unfurl_link() -> Any:
    """The new-item form filled from the pasted link's page, for editing;
    the form again with the problem beside the link field when it fails."""
    link = form_text("link")
    try:
        page = unfurl(link, public_only=signin_required())
    except (ValidationError, SourceError) as exc:
        problem = exc.problem if isinstance(exc, ValidationError) else str(exc)
        return _form({}, link, {"link": problem}, notes=()), 422
    return _form(form_values(page), link, {}, notes=page.notes)


def _form(
    values: dict[str, str], link: str, errors: dict[str, str], *, notes: Any
) -> str:
    with transaction() as session:
        kinds = kinds_in_use(session)
    return render_template(
        "item_form.html",
        item=None,
        values={**values, "link": link},
        errors=errors,
        kinds=kinds,
        notes=notes,
        filled=not errors,
    )
