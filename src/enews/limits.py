"""How long each text field may be, and the one-line rule: one home for each.

Every entry point (CLI, web forms, imports, dumps) and the build check the
same numbers, so a value that is accepted also builds.
"""

from __future__ import annotations

from enews.errors import ValidationError

# Items
KIND = 40
ITEM_TITLE = 300  # the column is String(300)
IMAGE_ALT = 300
SOURCE = 200
SUMMARY = 20_000  # characters of source text; ~40 times a typical summary

# Issues
ISSUE_TITLE = 200
# Folded headers allow more; inboxes show ~60, services cut at ~150-250.
SUBJECT = 250
PREHEADER = 300
INTRO = 5_000


def one_line(value: str, field: str, limit: int, *, required: bool = False) -> str:
    """``value`` with its white space runs (line breaks too) made one space.

    Titles, kinds and subject lines never wrap, and a header must not break.
    """
    cleaned = " ".join(value.split())
    if required and not cleaned:
        raise ValidationError(field, "must not be empty")
    return check_length(cleaned, field, limit)


def check_length(value: str, field: str, limit: int) -> str:
    if len(value) > limit:
        raise ValidationError(field, f"is {len(value)} characters, at most {limit}")
    return value
