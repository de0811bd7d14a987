"""Finding a date in a news block's text, and writing it as ISO.

dates.py holds the shapes an editor types (``27 November 2020``,
``Nov 27, 2020``, ISO) and checks them; a web page adds the numeric shapes
(``27/11/2020``, ``27.11.2020``, ``27-11-2020``, ``2020/11/27``) and dates
inside longer text ("Posted on Friday, 27 November 2020 | News"), so this
finds the candidates and hands each to dates.py.
"""

from __future__ import annotations

import re

from enews.dates import is_written_date, parse_date
from enews.errors import ValidationError

_DAY = r"[0-9]{1,2}(?:st|nd|rd|th)?"
_MONTH = r"[A-Za-z]{3,9}\.?"
_CANDIDATE = re.compile(
    rf"(?<![0-9A-Za-z])(?:"
    rf"(?P<written>{_DAY}\s+{_MONTH},?\s+[0-9]{{4}}"
    rf"|{_MONTH}\s+{_DAY},?\s+[0-9]{{4}})"
    rf"|(?P<iso>(?P<y>[0-9]{{4}})(?P<s>[-/.])"
    rf"(?P<m>[0-9]{{1,2}})(?P=s)(?P<d>[0-9]{{1,2}}))"
    rf"|(?P<a>[0-9]{{1,2}})(?P<sep>[-/.])"
    rf"(?P<b>[0-9]{{1,2}})(?P=sep)(?P<year>[0-9]{{4}})"
    rf")(?![0-9])"
)
_LEADING_ISO = re.compile(r"\s*([0-9]{4}-[0-9]{2}-[0-9]{2})")


def find_date(text: str, *, month_first: bool = False) -> tuple[str, str] | None:
    """The first date in ``text``: (the date as ISO, or as written when it is
    no valid day, so that the importer names the bad value; the words it
    was found as). ``month_first``: 11/27/2020 rather than 27/11/2020 when
    both numbers could be a month (a page in en-US)."""
    for match in _CANDIDATE.finditer(text):
        if match["written"] is not None:
            if is_written_date(match["written"]):
                return _checked(match["written"]), match[0]
            continue
        if match["iso"] is not None:  # 2020-11-27, 2020/11/27
            iso = f"{match['y']}-{int(match['m']):02d}-{int(match['d']):02d}"
            return _checked(iso, written=match[0]), match[0]
        return _numeric(match, month_first), match[0]
    return None


def machine_date(value: str) -> str | None:
    """The day of a machine-readable date (``<time datetime>``, JSON-LD):
    ``2020-11-27T09:00:00+01:00`` is 27 November 2020, as the page says."""
    if match := _LEADING_ISO.match(value):
        return _checked(match[1])
    found = find_date(value)
    return found[0] if found else None


def _numeric(match: re.Match[str], month_first: bool) -> str:
    a, b, year = int(match["a"]), int(match["b"]), match["year"]
    # 27.11.2020 is day first everywhere; with slashes or dashes a number
    # over 12 tells which is the day, else the page's language decides.
    if match["sep"] != "." and (b > 12 or (month_first and a <= 12)):
        a, b = b, a
    return _checked(f"{year}-{b:02d}-{a:02d}", written=match[0])


def _checked(value: str, *, written: str | None = None) -> str:
    try:
        return parse_date(value).isoformat()
    except ValidationError:
        return written or value
