"""CSV: a header row naming the fields, one item per row."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from typing import BinaryIO

from enews.collect.records import FIELDS, FORMAT_FIELD, IGNORED, RawRecord, SourceError
from enews.collect.textio import decoded_lines

FIELD_LIMIT = 1 << 20  # one field over 1 MB is a broken file, not a summary
ALIASES = {"link": "url", "image_url": "image", "published_on": "date"}
KNOWN = (*FIELDS, FORMAT_FIELD)


def read_csv(
    stream: BinaryIO, *, source: str, warn: Callable[[str], None] = lambda _: None
) -> Iterator[RawRecord]:
    """Yield one record per data row; unknown columns are reported via ``warn``."""
    csv.field_size_limit(FIELD_LIMIT)
    # strict: a quote left open to the end of the file is an error, not a
    # giant last field swallowing every row after it.
    reader = csv.reader(decoded_lines(stream, source), strict=True)
    header = _header(reader, source, warn)
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise SourceError(source, start, f"malformed CSV: {exc}") from exc
        if any(cell.strip() for cell in row):
            yield _record(header, row, start)
        start = reader.line_num + 1


def _header(
    reader: Iterator[list[str]], source: str, warn: Callable[[str], None]
) -> list[str | None]:
    try:
        row = next(reader)
    except StopIteration:
        raise SourceError(source, None, "the file is empty") from None
    except csv.Error as exc:
        raise SourceError(source, 1, f"malformed CSV: {exc}") from exc
    names = [ALIASES.get(key, key) for key in (_key(cell) for cell in row)]
    _no_column_twice(names, row, source)
    missing = [name for name in ("title", "date") if name not in names]
    if missing:
        raise SourceError(
            source, 1, f"the header has no {' or '.join(missing)} column "
            f"(expected columns: {', '.join(FIELDS)})"
        )  # fmt: skip
    unknown = [name for name in names if name and name not in (*KNOWN, *IGNORED)]
    for name in unknown:
        warn(f"{source}:1: unknown column {name!r} ignored")
    return [name if name in KNOWN else None for name in names]


def _no_column_twice(names: list[str], row: list[str], source: str) -> None:
    """Two columns for one field ("title" and "Title", "url" and "link")
    would leave one of them silently unread."""
    first: dict[str, int] = {}
    for number, name in enumerate(names, start=1):
        if name not in KNOWN:
            continue
        if name in first:
            was = first[name]
            raise SourceError(
                source, 1, f"columns {was} ({row[was - 1].strip()!r}) and {number} "
                f"({row[number - 1].strip()!r}) are both the {name} field"
            )  # fmt: skip
        first[name] = number


def _key(cell: str) -> str:
    return "_".join(cell.strip().lower().replace("-", " ").split())


def _record(header: list[str | None], row: list[str], line: int) -> RawRecord:
    if len(row) > len(header):
        return RawRecord(
            line, {}, problem=f"{len(row)} fields, but the header has {len(header)}"
        )
    fields = {
        name: value
        for name, value in zip(header, row, strict=False)
        if name is not None
    }
    return RawRecord(line, fields)
