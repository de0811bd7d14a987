"""JSON: a list of item objects, or ``{"items": [...]}``, read one item at a time.

The file is read in fixed-size decoded chunks (textio.decoded_chunks) into a
window that drops what is consumed, so memory holds about one item (at most
MAX_ITEM characters), not the file, and a file on one line streams like a
pretty-printed one. The standard library's decoder reads each item from the
window; line numbers are counted as the reader moves on, each newline once,
so every item and error keeps its line in linear time.

What the decoder accepts but the file may not hold is refused here.
The file (SourceError, FILE:LINE): nesting too deep for the decoder, an
integer of more than MAX_DIGITS digits. One record (reported with its line,
so --skip-invalid imports the rest): a field value that is not a string or
null (a number, NaN, Infinity, true, false, a list, an object), a string
with a lone surrogate (an escaped "\\ud800" without its pair: not text, and
no database takes it), a key given twice in an item.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from enews.collect.records import FIELDS, FORMAT_FIELD, IGNORED, RawRecord, SourceError
from enews.collect.textio import decoded_chunks

MAX_ITEM = 64 << 20  # characters one item may take before the file is refused
# No id or version is longer; and the smallest limit int() may be set to
# (sys.set_int_max_str_digits), so int() never refuses what passes here.
MAX_DIGITS = 640
KNOWN = (*FIELDS, FORMAT_FIELD)
_NOT_SPACE = re.compile(r"[^ \t\r\n]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# A decoding error this close to the end of the window may only mean that a
# token is cut short there ("tru", "1e", "\u12"): read more before refusing.
_TAIL = 16


class _Refused(Exception):
    """Raised from inside the decoder: a value the file may not hold."""


class _Repeated(dict[str, Any]):
    """An object in which ``key`` was given more than once."""

    key = ""


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) == len(pairs):
        return found
    repeated = _Repeated(found)
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            repeated.key = key
            break
        seen.add(key)
    return repeated


def _integer(digits: str) -> int:
    size = len(digits.lstrip("-"))
    if size > MAX_DIGITS:
        raise _Refused(f"an integer of {size} digits (at most {MAX_DIGITS})")
    return int(digits)


_DECODER = json.JSONDecoder(object_pairs_hook=_object, parse_int=_integer)


class _Buffer:
    """A window on the decoded text; ``line`` is the line of ``text[mark]``."""

    def __init__(self, stream: BinaryIO, source: str) -> None:
        self.chunks = decoded_chunks(stream, source)
        self.source = source
        self.text = ""
        self.pos = 0
        self.mark = 0
        self.line = 1
        self.eof = False

    def more(self, at_least: int = 1) -> bool:
        """Read at least ``at_least`` more characters (whole chunks), dropping
        the consumed text; False at the end of the file."""
        if self.eof:
            return False
        self.line_at(self.pos)  # the window will start at pos
        pieces = [self.text[self.pos :]]
        self.text = ""  # free the old window before the new one is joined
        added = 0
        while added < at_least:
            chunk = next(self.chunks, None)
            if chunk is None:
                self.eof = True
                break
            pieces.append(chunk)
            added += len(chunk)
        self.text = "".join(pieces)
        self.pos = self.mark = 0
        return added > 0

    def peek(self) -> str:
        """The next non-space character ("" at end of file), not consumed."""
        while True:
            found = _NOT_SPACE.search(self.text, self.pos)
            if found:
                self.pos = found.start()
                return found.group()
            self.pos = len(self.text)
            if not self.more():
                return ""

    def expect(self, char: str, what: str) -> None:
        found = self.peek()
        if found != char:
            shown = repr(found) if found else "the end of the file"
            raise self.error(f"expected {what}, found {shown}")
        self.pos += 1

    def value(self) -> Any:
        """Decode the next JSON value, reading more text until it is whole."""
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                if self.eof or not self._cut_short(exc):
                    raise self.error(f"malformed JSON: {exc.msg}", exc.pos) from None
                self._grow()
                continue
            except _Refused as exc:
                raise self.error(f"malformed JSON: {exc}") from None
            except RecursionError:
                raise self.error("malformed JSON: nested too deeply") from None
            if end < len(self.text) or self.eof:
                self.pos = end
                return value
            self._grow()  # a number ending the window may go on in the next chunk

    def _cut_short(self, exc: json.JSONDecodeError) -> bool:
        """Whether the error may come from the window ending, not the file."""
        return exc.msg.startswith("Unterminated string") or (
            exc.pos >= len(self.text) - _TAIL
        )

    def _grow(self) -> None:
        """Read more of a value the window ends in (then decode it again)."""
        held = len(self.text) - self.pos
        if held > MAX_ITEM:
            raise self.error(f"an item is larger than {MAX_ITEM >> 20} MB")
        # Double the window (re-decoding a big item from its start after
        # every small read would take quadratic time), but stop just past
        # MAX_ITEM, so the window never holds much more than that.
        self.more(at_least=min(held, MAX_ITEM + 1 - held))

    def error(self, problem: str, pos: int | None = None) -> SourceError:
        at = self.pos if pos is None else pos
        return SourceError(self.source, self.line_at(at), problem)

    def line_at(self, pos: int) -> int:
        """The line of ``text[pos]``, counted from the last position asked.

        The reader asks in order (only an error looks back, within its
        item), so each newline is counted once, however long the line.
        """
        if pos >= self.mark:
            self.line += self.text.count("\n", self.mark, pos)
        else:
            self.line -= self.text.count("\n", pos, self.mark)
        self.mark = pos
        return self.line


def read_json(
    stream: BinaryIO, *, source: str, warn: Callable[[str], None] = lambda _: None
) -> Iterator[RawRecord]:
    """Yield one record per item; unknown keys are reported once via ``warn``."""
    buf = _Buffer(stream, source)
    first = buf.peek()
    if first == "":
        raise SourceError(source, None, "the file is empty")
    reported: set[str] = set()
    if first == "[":
        yield from _array(buf, warn, reported)
    elif first == "{":
        yield from _wrapper(buf, warn, reported)
    else:
        raise buf.error('expected a list of items or {"items": [...]}')
    if buf.peek() != "":
        raise buf.error("unexpected text after the JSON document")


def _wrapper(
    buf: _Buffer, warn: Callable[[str], None], reported: set[str]
) -> Iterator[RawRecord]:
    buf.expect("{", "'{'")
    if buf.peek() == "}":
        buf.pos += 1
        return
    while True:
        if buf.peek() != '"':
            raise buf.error("expected a key in double quotes")
        key = buf.value()
        buf.expect(":", "':' after a key")
        if key == "items":
            yield from _array(buf, warn, reported)
        else:
            buf.value()  # other keys (a title, a version...) hold no items
        if buf.peek() != ",":
            buf.expect("}", "',' or '}'")
            return
        buf.pos += 1


def _array(
    buf: _Buffer, warn: Callable[[str], None], reported: set[str]
) -> Iterator[RawRecord]:
    buf.expect("[", "'['")
    if buf.peek() == "]":
        buf.pos += 1
        return
    while True:
        buf.peek()  # skip to the item, so its line is where it starts
        line = buf.line_at(buf.pos)
        yield _record(buf.value(), line, buf.source, warn, reported)
        if buf.peek() == "]":
            buf.pos += 1
            return
        buf.expect(",", "',' or ']' after an item")


def _record(
    value: Any, line: int, source: str, warn: Callable[[str], None], reported: set[str]
) -> RawRecord:
    if not isinstance(value, dict):
        return RawRecord(line, {}, problem="an item must be an object {...}")
    if isinstance(value, _Repeated):
        return RawRecord(line, {}, problem=f"duplicate key {value.key!r}")
    fields: dict[str, str] = {}
    for key, field_value in value.items():
        name = "image" if key == "image_url" else key
        if name not in KNOWN:
            if name not in reported and name not in IGNORED:
                reported.add(name)
                warn(f"{source}:{line}: unknown key {name!r} ignored")
            continue
        if name in fields:
            problem = "'image' and 'image_url' are one field (give only one)"
            return RawRecord(line, {}, problem=problem)
        problem = _not_text(field_value)
        if problem:
            return RawRecord(line, {}, problem=f"{name}: {problem}")
        fields[name] = field_value or ""
    return RawRecord(line, fields)


def _not_text(value: object) -> str:
    """Why a field's value is not text; "" for a string or null."""
    if value is None:
        return ""
    if isinstance(value, str):
        bad = None if value.isascii() else _SURROGATE.search(value)
        if bad is None:
            return ""
        return (
            f"a lone surrogate \\u{ord(bad.group()):04x} (half of an escaped "
            "pair) is not text"
        )
    if isinstance(value, bool):
        return f"must be text, not {json.dumps(value)}"
    if isinstance(value, int | float):
        return "must be text, not a number"
    return f"must be text, not {'an object' if isinstance(value, dict) else 'a list'}"
