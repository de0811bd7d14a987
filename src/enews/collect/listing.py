"""Items from text copied off an organisation's news web page.

Such a page lists items as numbered blocks::

    1. News
       A regional forum on cooperative finance is held in Nairobi
       27 November 2020
       The two-day forum brought together ...

The number may be "1.", "1)" or "1" alone, and the kind may be on its own
line ("1." then "News"); blank lines between the lines are optional, and
the summary (any number of paragraphs) is optional. A line that is only a
web address is the item's link, wherever it is in the block. What comes
before the first block (the page's heading, an intro) is skipped with a
warning. Nothing but its shape tells the date line from the
title and the summary, so it is recognised by shape alone; its value is
checked later by the importer, as for every other format.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import BinaryIO

from enews.collect.records import RawRecord, SourceError
from enews.collect.textio import decoded_lines
from enews.dates import is_written_date

# "12.", "12)", "12" alone, or "12. News" / "12) News". At most three digits,
# so that a wrapped summary line starting with a year ("2020. The year ...")
# does not open a block; a space or the end must follow the dot, so that
# "1.5 million members ..." does not either.
_NUMBER = re.compile(r"([0-9]{1,3})(?:[.)](?:\s+(.*))?)?", re.DOTALL)
# A line that is nothing but a web address: the item's link.
_LINK_LINE = re.compile(r"https?://\S+", re.IGNORECASE)

# Everything str.strip() removes (all of it is below U+3001), plus the
# zero-width characters web pages use for layout, which copy along unseen: a
# line holding only those is blank to the reader, so it is blank here too.
_EDGES = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
_EDGES += "\u200b\u200c\u200d\u2060\ufeff"


class _Want(Enum):
    """What the next non-blank line of a block should be."""

    KIND = "kind"
    TITLE = "title"
    DATE = "date"
    SUMMARY = "summary"


# Why a block that ended early is unusable, by what it was still waiting for.
_ENDED_EARLY = {
    _Want.KIND: "no kind, title or date after the number",
    _Want.TITLE: "no title or date after the kind",
    _Want.DATE: "no date line after the title",
}


@dataclass
class _Block:
    """The one block being read: all the memory the parser holds."""

    line: int
    fields: dict[str, str] = field(default_factory=dict)
    want: _Want = _Want.KIND
    problem: str = ""
    stray: int = 0  # first line between the title and the date, if any
    paragraphs: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # of the current paragraph

    def add(self, line: int, text: str) -> None:
        """Take one cleaned line ("" for a blank one)."""
        if not text:
            self._end_paragraph()
        elif _LINK_LINE.fullmatch(text):
            self.fields.setdefault("url", text)  # the first one: the story's
        elif self.want is _Want.SUMMARY:
            self.lines.append(text)
        elif is_written_date(text):
            self._take_date(line, text)
        elif self.want is _Want.KIND:
            self.fields["kind"] = text
            self.want = _Want.TITLE
        elif self.want is _Want.TITLE:
            self.fields["title"] = text
            self.want = _Want.DATE
        elif not self.stray:
            # Not kept: if a date follows, the block is reported as a problem;
            # if none does, these lines were a summary with no date before it.
            self.stray = line

    def _take_date(self, line: int, text: str) -> None:
        if self.want is _Want.KIND:
            self.problem = f"no kind or title before the date on line {line}"
        elif self.want is _Want.TITLE:
            self.problem = f"no title: the date on line {line} follows the kind"
        elif self.stray:
            self.problem = (
                f"unexpected text on line {self.stray}, between the title and "
                f"the date on line {line} (a title must fit on one line)"
            )
        self.fields["date"] = text
        self.want = _Want.SUMMARY

    def _end_paragraph(self) -> None:
        if self.lines:
            self.paragraphs.append(" ".join(self.lines))
            self.lines = []

    def finish(self) -> RawRecord:
        self._end_paragraph()
        if self.paragraphs:
            self.fields["summary"] = "\n\n".join(self.paragraphs)
        problem = self.problem or _ENDED_EARLY.get(self.want, "")
        return RawRecord(self.line, self.fields, problem)


def _clean(raw: str) -> str:
    # Entities first: "&nbsp;" alone on a line is a blank line.
    return html.unescape(raw).strip(_EDGES)


def read_listing(
    stream: BinaryIO,
    *,
    source: str,
    warn: Callable[[str], None] = lambda _: None,
) -> Iterator[RawRecord]:
    """Yield one RawRecord per numbered block, reading line by line.

    ``line`` is the line of the block's number. Text before the first block
    (a heading copied with the list) is skipped with one ``warn``. Raises
    SourceError (only) when the file is not UTF-8, is empty, or has no
    numbered block at all.
    """
    block: _Block | None = None
    preamble = 0  # first non-blank line before any block
    heading = ""
    for line, raw in enumerate(decoded_lines(stream, source), start=1):
        text = _clean(raw)
        number = _NUMBER.fullmatch(text)
        if number:
            if block is not None:
                yield block.finish()
            elif preamble:
                warn(
                    f"{source}:{preamble}: skipped the text before the first "
                    f"numbered item ({heading!r}...)"
                )
            block = _Block(line)
            block.add(line, (number[2] or "").strip(_EDGES))  # already unescaped
        elif block is not None:
            block.add(line, text)
        elif text and not preamble:
            preamble, heading = line, text[:60]
    if block is not None:
        yield block.finish()
    elif preamble:
        raise SourceError(
            source,
            1,
            "no numbered items found (expected '1. News', then the title "
            "and the date, each on its own line)",
        )
    else:
        raise SourceError(source, None, "the file is empty")
