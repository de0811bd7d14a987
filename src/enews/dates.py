"""Parsing and showing dates the way newsletter editors write them.

Month names are English and handled here rather than through the locale,
so output never depends on the machine's settings.
"""

from __future__ import annotations

import datetime as dt
import re

from enews.errors import ValidationError

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_MONTH_NUMBER = {name.casefold(): n for n, name in enumerate(MONTHS, start=1)}
_MONTH_NUMBER |= {name[:3].casefold(): n for n, name in enumerate(MONTHS, start=1)}
_MONTH_NUMBER["sept"] = 9

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
# 29 October 2020, 29th Oct. 2020
_WRITTEN = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\.?,?\s+(\d{4})$")
# October 29, 2020 (the form US news pages use)
_US = re.compile(r"^([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


def parse_date(text: str, *, field: str = "date") -> dt.date:
    """Accept ``2020-10-29``, ``29 October 2020``, ``29 Oct. 2020``,
    ``29th October 2020`` and ``October 29, 2020``."""
    value = text.strip()
    if match := _ISO.match(value):
        year, month, day = (int(g) for g in match.groups())
    elif match := _WRITTEN.match(value):
        day, year = int(match[1]), int(match[3])
        month = _month_number(match[2], field)
    elif match := _US.match(value):
        day, year = int(match[2]), int(match[3])
        month = _month_number(match[1], field)
    else:
        raise ValidationError(
            field, f"{text!r} is not a date like 2020-10-29 or 29 October 2020"
        )
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise ValidationError(field, f"{text!r} is not a valid date ({exc})") from exc


def _month_number(name: str, field: str) -> int:
    number = _MONTH_NUMBER.get(name.casefold())
    if number is None:
        raise ValidationError(field, f"unknown month name {name!r}")
    return number


def parse_month(text: str, *, field: str = "month") -> str:
    """Validate a ``YYYY-MM`` period and return it normalised."""
    match = _PERIOD.match(text.strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise ValidationError(field, f"{text!r} is not a month like 2020-10")
    return f"{match[1]}-{match[2]}"


def month_bounds(period: str) -> tuple[dt.date, dt.date]:
    """First day of the month and first day of the next month."""
    year, month = (int(part) for part in parse_month(period).split("-"))
    start = dt.date(year, month, 1)
    end = dt.date(year + month // 12, month % 12 + 1, 1)
    return start, end


def long_date(day: dt.date) -> str:
    """``29 October 2020``: unambiguous for readers in every country."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def month_name(period: str) -> str:
    """``2020-10`` -> ``October 2020``."""
    start, _ = month_bounds(period)
    return f"{MONTHS[start.month - 1]} {start.year}"
