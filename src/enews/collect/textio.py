"""Reading a source's bytes as text: UTF-8 (with or without BOM), or a clear error."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import BinaryIO

from enews.collect.records import SourceError

CHUNK = 1 << 16


def decoded_chunks(stream: BinaryIO, source: str) -> Iterator[str]:
    """Yield the text as read, in pieces of at most CHUNK characters.

    Streams in constant memory, however long a line; a BOM is dropped.
    Bytes that are not UTF-8 raise SourceError naming the line: guessing
    another encoding silently turns "Zoë" into "ZoÃ«".
    """
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    line = 1  # of the first character not yet decoded
    while True:
        chunk = stream.read(CHUNK)
        try:
            text = decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            raise _not_utf8(exc, source, line) from exc
        if text:  # a short read may end inside a character
            line += text.count("\n")
            yield text
        if not chunk:
            return


def decoded_lines(stream: BinaryIO, source: str) -> Iterator[str]:
    """Yield text lines, each with its "\\n" (a CRLF ending stays "\\r\\n").

    Decoded as decoded_chunks does. Only "\\n" ends a line, so U+2028 and
    friends inside a CSV field stay where they are.
    """
    pending: list[str] = []  # pieces of the unfinished line: joined once, at its end
    for text in decoded_chunks(stream, source):
        parts = text.split("\n")
        if len(parts) > 1:
            yield "".join(pending) + parts[0] + "\n"
            for part in parts[1:-1]:
                yield part + "\n"
            pending = []
        if parts[-1]:
            pending.append(parts[-1])
    if pending:
        yield "".join(pending)


def _not_utf8(exc: UnicodeDecodeError, source: str, line: int) -> SourceError:
    # exc.object is the decoder's buffer (bytes held over from the last read
    # + this chunk), which is what exc.start counts in.
    data = bytes(exc.object)
    bad = line + data[: exc.start].count(b"\n")
    byte = f" (byte 0x{data[exc.start]:02x})" if exc.start < len(data) else ""
    return SourceError(
        source, bad, f"not UTF-8 text{byte}; save the file as UTF-8 and import it again"
    )
