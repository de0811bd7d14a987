"""JSON: a list of item objects, or ``{"items": [...]}``, read one item at a time.

The standard library's decoder reads each item from a sliding buffer, so
memory holds one item, not the file, and every item keeps its line number.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from enews.collect.records import FIELDS, FORMAT_FIELD, IGNORED, RawRecord, SourceError
from enews.collect.textio import decoded_lines

MAX_ITEM = 64 << 20  # characters one item may take before the file is refused
KNOWN = (*FIELDS, FORMAT_FIELD)
_DECODER = json.JSONDecoder()
_SPACE = " \t\r\n"


class _Buffer:
    """A window on the decoded text with the line number of its first char."""

    def __init__(self, stream: BinaryIO, source: str) -> None:
        self.lines = decoded_lines(stream, source)
        self.source = source
        self.text = ""
        self.pos = 0
        self.line = 1  # line of text[0]
        self.eof = False

    def more(self, at_least: int = 1 << 16) -> bool:
        """Read more text, dropping what is consumed; False at end of file."""
        if self.eof:
            return False
        self.line += self.text.count("\n", 0, self.pos)
        self.text = self.text[self.pos :]
        self.pos = 0
        chunk: list[str] = []
        size = 0
        for text in self.lines:
            chunk.append(text)
            size += len(text)
            if size > at_least:
                break
        else:
            self.eof = True
        self.text += "".join(chunk)
        return bool(chunk)

    def peek(self) -> str:
        """The next non-space character ("" at end of file), not consumed."""
        while True:
            while self.pos < len(self.text) and self.text[self.pos] in _SPACE:
                self.pos += 1
            if self.pos < len(self.text):
                return self.text[self.pos]
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
                if len(self.text) - self.pos > MAX_ITEM:
                    raise self.error("an item is larger than 64 MB") from exc
                # Double the window: re-decoding a big item from its start
                # after every small read would take quadratic time.
                if self.more(at_least=len(self.text) - self.pos):
                    continue
                raise self.error(f"malformed JSON: {exc.msg}", exc.pos) from exc
            self.pos = end
            return value

    def error(self, problem: str, pos: int | None = None) -> SourceError:
        at = self.pos if pos is None else pos
        return SourceError(self.source, self.line_at(at), problem)

    def line_at(self, pos: int) -> int:
        return self.line + self.text.count("\n", 0, pos)


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
    fields: dict[str, str] = {}
    for key, field_value in value.items():
        name = "image" if key == "image_url" else key
        if name not in KNOWN:
            if name not in reported and name not in IGNORED:
                reported.add(name)
                warn(f"{source}:{line}: unknown key {name!r} ignored")
            continue
        if isinstance(field_value, dict | list):
            kind = type(field_value).__name__
            return RawRecord(line, {}, problem=f"{name}: must be text, not a {kind}")
        fields[name] = "" if field_value is None else str(field_value)
    return RawRecord(line, fields)
