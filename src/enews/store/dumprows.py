"""The rows of a dump: database values <-> JSON values, the same on every
backend (see ``dumpfile`` for the file around them).

Dates and times become ISO 8601 strings, times in UTC. Reading back, every
value is checked against its column's type and length, so a bad row is
named before the database sees it.

A column whose ``info`` says ``"dumped": False`` (users.session_stamp and
users.name_key) is left out both ways: on loading, it gets its default (a
new stamp) or the database makes it (the name key).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from typing import Any

from sqlalchemy import Boolean, Column, Date, DateTime, Integer, String, Table

from enews import limits
from enews.dates import as_utc, check_date
from enews.errors import DumpError, ValidationError

Row = dict[str, Any]


def dumped_columns(table: Table) -> list[Column[Any]]:
    """The columns of ``table`` a dump holds, in table order."""
    return [column for column in table.columns if column.info.get("dumped", True)]


# ----------------------------------------------------------- values -> JSON


def _plain(value: Any) -> Any:
    return value


def _encode_datetime(value: dt.datetime | None, *, aware: bool) -> str | None:
    # SQLite hands back naive times (stored in UTC), PostgreSQL aware ones in
    # the session's zone: both become the same UTC string.
    if value is None:
        return None
    if aware:
        value = as_utc(value)
    return value.isoformat()


def _encode_date(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _encoder(column: Column[Any]) -> Callable[[Any], Any]:
    kind = column.type
    if isinstance(kind, DateTime):
        return partial(_encode_datetime, aware=bool(kind.timezone))
    if isinstance(kind, Date):
        return _encode_date
    return _plain


def row_encoder(table: Table) -> Callable[[Sequence[Any]], Row]:
    """Turns a database row of ``table`` (values in column order) into the
    JSON-ready dict a dump holds, the same on every backend. ``values`` are
    those of ``dumped_columns``."""
    encoders = [(column.key, _encoder(column)) for column in dumped_columns(table)]

    def encode(values: Sequence[Any]) -> Row:
        return {
            key: encode(value)
            for (key, encode), value in zip(encoders, values, strict=True)
        }

    return encode


# ----------------------------------------------------------- JSON -> values


def _parse_datetime(value: Any, *, aware: bool) -> dt.datetime:
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date and time")
    parsed = dt.datetime.fromisoformat(value)
    # SQLite stores the wall time it is given: hand it UTC, as the app does.
    return as_utc(parsed) if aware else parsed


def _parse_date(value: Any) -> dt.date:
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date (YYYY-MM-DD)")
    try:
        return check_date(dt.date.fromisoformat(value))
    except ValidationError as exc:
        raise ValueError(exc.problem) from exc


def _parse_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _parse_int(value: Any) -> int:
    if type(value) is not int:
        raise ValueError("must be a whole number")
    if abs(value) > limits.ROW_ID:
        raise ValueError(f"is out of range (at most {limits.ROW_ID})")
    return value


def _parse_text(value: Any, *, limit: int | None) -> str:
    # SQLite would store anything; refuse here what PostgreSQL would refuse.
    if not isinstance(value, str):
        raise ValueError("must be text")
    if limit is not None and len(value) > limit:
        raise ValueError(f"is longer than {limit} characters")
    bad = limits.bad_char(value)
    if bad:
        raise ValueError(bad)
    try:
        limits.no_token(value, "text")  # as every entry point refuses it
    except ValidationError as exc:
        raise ValueError(exc.problem) from exc
    return value


def _decoder(column: Column[Any]) -> Callable[[Any], Any]:
    kind = column.type
    if isinstance(kind, DateTime):
        return partial(_parse_datetime, aware=bool(kind.timezone))
    if isinstance(kind, Date):
        return _parse_date
    if isinstance(kind, Boolean):
        return _parse_bool
    if isinstance(kind, Integer):
        return _parse_int
    if isinstance(kind, String):
        return partial(_parse_text, limit=kind.length)
    return _plain


class BadRow(ValueError):
    """A dumped row that does not fit its table; the message says why, the
    caller says where (file and line, or database, table and row)."""


def row_decoder(table: Table) -> Callable[[Any], Row]:
    """Checks a dumped row of ``table`` against its columns and types its
    values, so a bad row is named before the database sees it. Returns
    ``decode(row)``, which raises ``BadRow``."""
    columns = [(c.key, c.nullable, _decoder(c)) for c in dumped_columns(table)]
    keys = [key for key, _, _ in columns]
    names = set(keys)
    # Columns added after dumps were first written: an older dump lacks
    # them and gets the value the migration gave existing rows.
    later = {c.key: c.info["missing"] for c in table.columns if "missing" in c.info}

    def decode(row: Any) -> Row:
        if not isinstance(row, dict):
            raise BadRow("not a JSON object")
        if row.keys() != names:
            row = {**{k: v for k, v in later.items() if k not in row}, **row}
        if row.keys() != names:
            _check_names(row, keys)
        values: Row = {}
        for key, nullable, parse in columns:
            value = row[key]
            if value is None and not nullable:
                raise BadRow(f"{key} cannot be null")
            try:
                values[key] = None if value is None else parse(value)
            except ValueError as exc:
                raise BadRow(f"{key} {exc}") from exc
        return values

    return decode


def _check_names(row: dict[str, Any], keys: list[str]) -> None:
    # Only called when the names differ: say how, first column first.
    unknown = sorted(set(row) - set(keys))
    if unknown:
        raise BadRow(f"unknown column {unknown[0]!r}")
    missing = next(key for key in keys if key not in row)
    raise BadRow(f"missing column {missing!r}")


def decode_rows(table: Table, rows: Iterable[Any], where: str) -> Iterator[Row]:
    """``rows`` of ``table`` checked and typed by ``row_decoder``; a bad one
    is a DumpError naming ``where``, the table and the row's number."""
    decode = row_decoder(table)
    for number, row in enumerate(rows, 1):
        try:
            yield decode(row)
        except BadRow as exc:
            raise DumpError(
                f"{where}: table {table.name}, row {number}: {exc}"
            ) from exc
