"""An unfurled page as item fields: merged with the options of `item add
--from-url` (``fill_in``), or the web item form's values (``form_values``)."""

from __future__ import annotations

from collections.abc import Mapping

from enews import limits
from enews.collect.records import FIELDS
from enews.collect.unfurl import Unfurled
from enews.errors import ValidationError

# What a page must say unless an option says it, and how to say it instead.
_REQUIRED = {
    "title": ("no title", "--title"),
    "date": ("no publication date", "--date"),
    "kind": ("no kind (no schema.org NewsArticle or Article)", "--kind"),
}


def fill_in(
    page: Unfurled, given: Mapping[str, str | None]
) -> tuple[dict[str, str | None], list[str]]:
    """The `item add` values (records.FIELDS names): those ``given`` (None:
    not given) win, the page fills the rest; and the warnings to show.

    Also sets ``summary_format`` ("text" for the page's summary) and
    ``source``. One ValidationError names every required field missing.
    """
    said = _said(page)
    values = {k: v if (v := given.get(k)) is not None else said[k] for k in said}
    missing = [name for name in _REQUIRED if values[name] is None]
    if missing:
        lacks = ", ".join(_REQUIRED[name][0] for name in missing)
        options = " ".join(_REQUIRED[name][1] for name in missing)
        raise ValidationError(
            missing[0], f"{page.page_url} gives {lacks}: pass {options}"
        )
    warnings = list(page.notes)
    if given.get("image") is None and values["image"] and values["image_alt"] is None:
        values["image_alt"] = values["title"]
        warnings.append(
            "image_alt: the page gives none, so it is the title (--image-alt)"
        )
    if given.get("summary") is None and values["summary"] is not None:
        values["summary_format"] = "text"  # the page's: never guessed as markup
    values["source"] = page.page_url[-limits.SOURCE :]
    return values, warnings


def form_values(page: Unfurled) -> dict[str, str]:
    """The web item form's fields (compose.items.FORM_FIELDS) filled from
    the page, "" where it says nothing: shown for editing, not saved."""
    return {
        ("image_url" if k == "image" else k): v or "" for k, v in _said(page).items()
    }


def _said(page: Unfurled) -> dict[str, str | None]:
    day = page.date.isoformat() if page.date else None
    said = (page.kind, page.title, day, page.url, page.summary, page.image_url)
    return dict(zip(FIELDS, (*said, page.image_alt), strict=True))
