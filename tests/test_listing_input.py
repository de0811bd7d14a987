"""read_listing on any input: bytes that are not UTF-8, empty files, big
files (read lazily and quickly), and whatever hypothesis makes up, which
gives records or a SourceError, never another exception."""

from __future__ import annotations

import inspect
import io
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enews.collect.listing import read_listing
from enews.collect.records import SourceError
from enews.collect.textio import CHUNK


def test_not_utf8_names_the_line():
    data = b"1. News\nTitle\n1 June 2021\n" + b"Caf\xe9 co-op\n"
    records = read_listing(io.BytesIO(data), source="paste.txt")
    with pytest.raises(SourceError) as caught:
        list(records)
    assert caught.value.line == 4
    assert caught.value.problem.startswith("not UTF-8 text (byte 0xe9)")
    assert str(caught.value).startswith("paste.txt:4: not UTF-8")


@pytest.mark.parametrize(
    "data",
    [
        b"1. News\nTitle\n1 June 2021\nCo\xc3",  # cut off inside "\xc3\xa9"
        b"1. News\nTitle\n1 June 2021\nCo\xe2\x80",
        b"1. News\nTitle\n1 June 2021\nCo\xc3\n",
    ],
)
def test_character_cut_off_names_the_line(data):
    with pytest.raises(SourceError) as caught:
        list(read_listing(io.BytesIO(data), source="paste.txt"))
    assert caught.value.line == 4
    assert caught.value.problem.startswith("not UTF-8 text")


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"  \r\n\n\t\n", b"&nbsp;"])
def test_empty_file(data):
    with pytest.raises(SourceError) as caught:
        list(read_listing(io.BytesIO(data), source="empty.txt"))
    assert (caught.value.line, caught.value.problem) == (None, "the file is empty")
    assert str(caught.value) == "empty.txt: the file is empty"


def many_blocks(count: int) -> bytes:
    block = (
        "{n}. News\n\n   Cooperative item {n}\n\n   27 November 2020\n\n   Text.\n\n"
    )
    return "".join(block.format(n=n % 100 + 1) for n in range(count)).encode()


class ReadCounter(io.BytesIO):
    """A stream that remembers how far it has been read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.furthest = 0

    def read(self, size: int | None = -1, /) -> bytes:
        chunk = super().read(size)
        self.furthest = max(self.furthest, self.tell())
        return chunk


def test_reads_lazily():
    stream = ReadCounter(many_blocks(20_000))
    assert len(stream.getvalue()) > 10 * CHUNK
    records = read_listing(stream, source="big.txt")
    assert inspect.isgenerator(records)
    assert stream.furthest == 0  # nothing read before the first record is asked for
    first = next(records)
    assert first.fields["title"] == "Cooperative item 1"
    assert stream.furthest <= CHUNK  # the first chunk, not the whole file


def test_twenty_thousand_blocks_quickly():
    data = many_blocks(20_000)
    start = time.perf_counter()
    records = list(read_listing(io.BytesIO(data), source="big.txt"))
    elapsed = time.perf_counter() - start
    assert len(records) == 20_000
    assert not any(r.problem for r in records)
    assert records[-1].line == 8 * 19_999 + 1
    assert elapsed < 1.0


LINES = st.sampled_from(
    [
        "",
        "  ",
        "1. News",
        "2.",
        "Partner Interview",
        "A title",
        "27 November 2020",
        "November 27, 2020",
        "Coopérative &amp; Zoë",
        "&#8217;",
        "&nbsp;",
        "\ufeff",
        "\r",
    ]
)


def check(data: bytes) -> None:
    try:
        for record in read_listing(io.BytesIO(data), source="any.txt"):
            assert record.line >= 1
            if not record.problem:
                assert {"kind", "title", "date"} <= record.fields.keys()
                assert all(record.fields[k] for k in ("kind", "title", "date"))
    except SourceError:
        pass


quick = settings(
    max_examples=150,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the checkout
    suppress_health_check=[HealthCheck.too_slow],
)


@quick
@given(st.text())
def test_any_text_gives_records_or_source_error(text):
    check(text.encode("utf-8", "surrogatepass"))


@quick
@given(st.lists(st.one_of(LINES, st.text(max_size=12)), max_size=30))
def test_any_listing_like_text_gives_records_or_source_error(lines):
    check("\n".join(lines).encode("utf-8", "surrogatepass"))


@quick
@given(st.binary())
def test_any_bytes_give_records_or_source_error(data):
    check(data)
