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

# The date shapes, the one home of them: parse_date reads them and the
# listing reader tells a date line by them. [0-9] rather than \d: other
# scripts' digits are no date here.
_DAY = r"([0-9]{1,2})(?:st|nd|rd|th)?"
_WORD = r"([A-Za-z]+)\.?"  # a month name, checked against MONTHS after
_YEAR = r"([0-9]{4})"
_ISO = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
# 29 October 2020, 29th Oct. 2020, 27th November, 2020
_WRITTEN = re.compile(rf"{_DAY}\s+{_WORD},?\s+{_YEAR}")
# October 29, 2020 (the form US news pages use)
_US = re.compile(rf"{_WORD}\s+{_DAY},?\s+{_YEAR}")
_PERIOD = re.compile(r"([0-9]{4})-([0-9]{2})")
# A newsletter's items are dated within a sane span; outside it a date is a
# typo (0202, 9999) that would break month arithmetic and sorting later.
FIRST_YEAR, LAST_YEAR = 1900, 2199
_SPAN = f"outside the years {FIRST_YEAR} to {LAST_YEAR}"


def parse_date(text: str, *, field: str = "date") -> dt.date:
    """Accept ``2020-10-29``, ``29 October 2020``, ``29 Oct. 2020``,
    ``29th October 2020`` and ``October 29, 2020``."""
    value = text.strip()
    if match := _ISO.fullmatch(value):
        year, month, day = (int(g) for g in match.groups())
    elif match := _WRITTEN.fullmatch(value):
        day, year = int(match[1]), int(match[3])
        month = _month_number(match[2], field)
    elif match := _US.fullmatch(value):
        day, year = int(match[2]), int(match[3])
        month = _month_number(match[1], field)
    else:
        raise ValidationError(
            field, f"{text!r} is not a date like 2020-10-29 or 29 October 2020"
        )
    try:
        day_value = dt.date(year, month, day)
    except ValueError as exc:
        raise ValidationError(field, f"{text!r} is not a valid date ({exc})") from exc
    return check_date(day_value, field=field)


def check_date(day: dt.date, *, field: str = "date") -> dt.date:
    """``day``, or a ValidationError when it lies outside 1900-2199."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValidationError(field, f"{day.isoformat()} is {_SPAN}")
    return day


def is_written_date(text: str) -> bool:
    """Whether ``text`` has the shape of a written date with a month name
    (``27 November 2020``, ``Nov. 4, 2020``); its value may still be wrong."""
    value = text.strip()
    if match := _WRITTEN.fullmatch(value):
        return match[2].casefold() in _MONTH_NUMBER
    if match := _US.fullmatch(value):
        return match[1].casefold() in _MONTH_NUMBER
    return False


def _month_number(name: str, field: str) -> int:
    number = _MONTH_NUMBER.get(name.casefold())
    if number is None:
        raise ValidationError(field, f"unknown month name {name!r}")
    return number


def parse_month(text: str, *, field: str = "month") -> str:
    """Validate a ``YYYY-MM`` period and return it normalised."""
    match = _PERIOD.fullmatch(text.strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise ValidationError(field, f"{text!r} is not a month like 2020-10")
    if not FIRST_YEAR <= int(match[1]) <= LAST_YEAR:
        raise ValidationError(field, f"{text.strip()} is {_SPAN}")
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


def as_utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` in UTC. SQLite hands back naive datetimes, which enews
    always stores in UTC; PostgreSQL gives aware ones in the session's zone."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)
