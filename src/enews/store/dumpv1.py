"""Version 1 dumps: the single JSON object enews wrote before JSON Lines.

::

    {"format": "enews-dump", "version": 1, "revision": "0003", "tables": {
    "issues": [
    {"id": 1, "slug": "2020-10", ...}
    ],
    ...
    }}

Such a file is still loaded. It is parsed whole with the standard library
(so it sits in memory while it loads, unlike a JSON Lines dump) and only
its JSON shape is checked here; the header, the tables and the rows are
checked by ``enews.store.dumpfile`` as for a current dump.
"""

from __future__ import annotations

import json
from typing import Any

from enews.errors import DumpError

VERSION = 1


def _no_constant(word: str) -> Any:
    raise ValueError(f"{word} is not a JSON value")


# Strict JSON for both versions: json reads NaN and Infinity, which are not
# JSON (and no column takes them).
DECODER = json.JSONDecoder(parse_constant=_no_constant)


def looks_like(first_line: str) -> bool:
    """Whether a file whose first line is ``first_line`` is a version 1
    dump: that writer opened one object and left it open on the first line
    (``{"format": ..., "tables": {``); a complete object with its "tables"
    is one too (a dump reformatted onto one line)."""
    try:
        header = json.loads(first_line)
    except ValueError:
        return first_line.lstrip().startswith("{")
    return isinstance(header, dict) and "tables" in header


def parse(text: str, name: str) -> dict[str, Any]:
    """The dump ``text`` as one JSON object; ``name`` names the file in
    messages. Its header is every field but "tables" (see ``tables``)."""
    try:
        dump = DECODER.decode(text)
    except json.JSONDecodeError as exc:
        problem = f"not valid JSON: {exc.msg} (column {exc.colno})"
        if exc.msg == "Extra data":  # a whole dump, then more
            problem = "unexpected data after the dump"
        raise DumpError(f"{name}:{exc.lineno}: {problem}") from exc
    except ValueError as exc:
        raise DumpError(f"{name}: not valid JSON: {exc}") from exc
    if not isinstance(dump, dict):
        raise DumpError(f"{name}: not an enews dump (not a JSON object)")
    return dump


def header(dump: dict[str, Any]) -> dict[str, Any]:
    """The fields that describe the dump: checked before its tables."""
    return {key: value for key, value in dump.items() if key != "tables"}


def tables(dump: dict[str, Any], name: str) -> list[tuple[str, list[Any]]]:
    """The (table name, rows) pairs of ``dump``, in file order."""
    found = dump.get("tables")
    if not isinstance(found, dict):
        what = "must be a JSON object" if "tables" in dump else "is missing"
        raise DumpError(f'{name}: "tables" {what}')
    for table, rows in found.items():
        if not isinstance(rows, list):
            raise DumpError(f"{name}: table {table!r} must be a JSON array")
    return list(found.items())
