"""What every importer yields: raw records, before validation.

A parser reads one source format and yields ``RawRecord``s; it never
validates field values (importer.py does that, for all formats alike) and
never touches the database. Problems with the file itself (not UTF-8,
malformed CSV/JSON/XML, an empty file) raise ``SourceError`` with a line.
"""

from __future__ import annotations

from dataclasses import dataclass

from enews.errors import EnewsError

# Field names shared by every format, and by `enews item list --format csv|json`.
FIELDS = ("kind", "title", "date", "url", "summary", "image", "image_alt")
# Optional: how to read the summary ("text", "html" or "markdown"); guessed
# from the content when absent.
FORMAT_FIELD = "summary_format"
# Written by `enews item list --format csv|json` and ignored on import:
# ids belong to one database, and an import records its own source.
IGNORED = ("id", "source")


@dataclass(frozen=True)
class RawRecord:
    """One item as found in a source, with where it was found.

    ``fields`` holds only the fields the source has for this record: a key
    that is absent means "not given" (an existing item keeps its value); an
    empty string means "empty" (the value is cleared).
    """

    line: int  # 1-based line in the file where the record starts
    fields: dict[str, str]
    # A block the parser could not make sense of (reported with its line and
    # counted as invalid, without stopping the rest of the file).
    problem: str = ""


class SourceError(EnewsError):
    """The file cannot be read as the format at all."""

    def __init__(self, source: str, line: int | None, problem: str) -> None:
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {problem}")
        self.source = source
        self.line = line
        self.problem = problem
