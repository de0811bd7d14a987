"""Reading a source's bytes as text: UTF-8 (with or without BOM), or a clear error."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from typing import BinaryIO

from enews.collect.records import SourceError

CHUNK = 1 << 16
# A line ends at LF, CR LF or a CR alone (old Mac files, and "CSV
# (Macintosh)" as Excel still saves it), and at nothing else: U+2028 and
# friends inside a CSV field stay where they are.
_LINE_END = re.compile(r"\r\n?|\n")


def count_lines(text: str) -> int:
    """How many line ends ``text`` holds (see _LINE_END)."""
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def decoded_chunks(stream: BinaryIO, source: str) -> Iterator[str]:
    """Yield the text as read, in pieces of at most CHUNK characters.

    Streams in constant memory, however long a line; a BOM is dropped.
    Bytes that are not UTF-8 raise SourceError naming the line: guessing
    another encoding silently turns "Zoë" into "ZoÃ«".
    """
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    line = 1  # of the first character not yet decoded
    after_cr = False  # the last piece ended with CR: an LF first ends no line
    while True:
        chunk = stream.read(CHUNK)
        try:
            text = decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            raise _not_utf8(exc, source, line, after_cr) from exc
        if text:  # a short read may end inside a character
            line += count_lines(text) - (after_cr and text[0] == "\n")
            after_cr = text[-1] == "\r"
            yield text
        if not chunk:
            return


def decoded_lines(stream: BinaryIO, source: str) -> Iterator[str]:
    """Yield text lines, each with its ending as it is ("\\n", "\\r\\n", "\\r").

    Decoded as decoded_chunks does; only LF, CR LF and CR end a line.
    """
    pending: list[str] = []  # pieces of the unfinished line: joined once, at its end
    held = ""  # a CR ending a piece: the next one may start with its LF
    for piece in decoded_chunks(stream, source):
        text = held + piece
        held = "\r" if text.endswith("\r") else ""
        if held:
            text = text[:-1]
        start = 0
        for end in _LINE_END.finditer(text):
            yield "".join(pending) + text[start : end.end()]
            pending = []
            start = end.end()
        if start < len(text):
            pending.append(text[start:])
    if pending or held:
        yield "".join(pending) + held


def _not_utf8(
    exc: UnicodeDecodeError, source: str, line: int, after_cr: bool
) -> SourceError:
    # exc.object is the decoder's buffer (bytes held over from the last read
    # + this chunk), which is what exc.start counts in.
    data = bytes(exc.object)
    bad = line + count_lines(data[: exc.start].decode("latin-1"))
    bad -= after_cr and data[:1] == b"\n"  # the CR before it was counted
    byte = f" (byte 0x{data[exc.start]:02x})" if exc.start < len(data) else ""
    return SourceError(
        source, bad, f"not UTF-8 text{byte}; save the file as UTF-8 and import it again"
    )
