"""How long each text field may be, which characters text may hold, and the
one-line rule: one home for each.

Every entry point (CLI, web forms, imports, dumps) and the build check the
same numbers and characters, so a value that is accepted also builds.
"""

from __future__ import annotations

import re

from enews.errors import ValidationError

# Items
KIND = 40  # and a section of an issue, named after a kind
ITEM_TITLE = 300  # the column is String(300)
IMAGE_ALT = 300
SOURCE = 200
SUMMARY = 20_000  # characters of source text; ~40 times a typical summary

# Links (item and image): the columns are String(2000). Longer ones exist
# (tracking, data: URIs) but no newsletter needs them.
URL = 2_000

# Issues
ISSUE_TITLE = 200
# Folded headers allow more; inboxes show ~60, services cut at ~150-250.
SUBJECT = 250
PREHEADER = 300
INTRO = 5_000

# Row ids: Integer columns are 32-bit on PostgreSQL; a larger number asked
# for names no row (and would overflow the driver), so it is "not found".
ROW_ID = 2**31 - 1


def is_row_id(number: int) -> bool:
    return 0 < number <= ROW_ID


# What no email may carry: C0 controls but tab, line feed and carriage return
# (XML 1.0 and so MJML refuse them), DEL (mjml-python writes it as "\u{7f}"
# in an attribute), lone surrogates (no UTF-8 can encode them; argv holds
# them for bytes that are not UTF-8) and noncharacters.
_NONCHARACTERS = "".join(
    chr(plane << 16 | low) for plane in range(17) for low in (0xFFFE, 0xFFFF)
)
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufdd0-\ufdef"
    + re.escape(_NONCHARACTERS)
    + "]"
)
# C1 controls in pasted text are nearly always Windows-1252 bytes read as
# Latin-1 ("\x93quoted\x94"): give them the characters they stood for.
# Five of the 32 have no Windows-1252 meaning and stay forbidden.
_C1 = {
    code: bytes([code]).decode("cp1252")
    for code in range(0x80, 0xA0)
    if code not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
}
_C1_CHARS = re.compile("[\x80-\x9f]")


def clean_chars(value: str, field: str) -> str:
    """``value`` with C1 controls as their Windows-1252 characters, or a
    ValidationError naming ``field`` for a character no email may carry."""
    if _C1_CHARS.search(value):
        value = value.translate(_C1)
    bad = bad_char(value) or _c1_left(value)
    if bad:
        raise ValidationError(field, bad)
    return value


def bad_char(value: str) -> str | None:
    """Why ``value`` would break an email, or None when it would not.

    The build and ``db load`` ask this of stored text; entry points ask
    ``clean_chars``, which also settles C1 controls.
    """
    match = _FORBIDDEN.search(value)
    if match is None:
        return None
    code = ord(match[0])
    at = f"at character {match.start() + 1}"
    if 0xDC80 <= code <= 0xDCFF:  # how Python keeps a byte that is not UTF-8
        return f"holds a byte that is not UTF-8 text, 0x{code - 0xDC00:02X}, {at}"
    if 0xD800 <= code <= 0xDFFF:
        what = "a lone surrogate (not valid Unicode text)"
    elif code < 0x20 or code == 0x7F:
        what = "a control character"
    else:
        what = "a noncharacter"
    return f"holds {what}, U+{code:04X}, {at}"


def _c1_left(value: str) -> str | None:
    match = _C1_CHARS.search(value)
    if match is None:
        return None
    code = ord(match[0])
    return f"holds a control character, U+{code:04X}, at character {match.start() + 1}"


# The neutral tokens templates write for the mailing service's merge tags
# (profiles.py). Typed into an item or issue, one would be swapped for a live
# tag (the unsubscribe link, the reader's name) and the words would be lost.
_TOKEN = re.compile(r"\[\[enews:[A-Za-z_]+\]\]")


def no_token(value: str, field: str) -> str:
    """``value``, or a ValidationError when it holds an enews template token."""
    bad = bad_token(value)
    if bad:
        raise ValidationError(field, bad)
    return value


def bad_token(value: str) -> str | None:
    """Why ``value`` may not go into an email as text: the token it holds."""
    match = _TOKEN.search(value)
    return f"holds {match[0]}, a token only the templates may write" if match else None


def multi_line(value: str, field: str, limit: int) -> str:
    """A text that may hold line breaks (a summary, an intro), checked."""
    return check_length(no_token(clean_chars(value, field), field), field, limit)


def one_line(value: str, field: str, limit: int, *, required: bool = False) -> str:
    """``value`` with its white space runs (line breaks too) made one space.

    Titles, kinds and subject lines never wrap, and a header must not break.
    """
    cleaned = " ".join(no_token(clean_chars(value, field), field).split())
    if required and not cleaned:
        raise ValidationError(field, "must not be empty")
    return check_length(cleaned, field, limit)


def check_length(value: str, field: str, limit: int) -> str:
    if len(value) > limit:
        raise ValidationError(field, f"is {len(value)} characters, at most {limit}")
    return value
