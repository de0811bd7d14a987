"""Helpers of the feed reader's tests (tests/test_feed*.py)."""

from __future__ import annotations

import io
from pathlib import Path

from enews.collect.feed import read_feed
from enews.collect.records import RawRecord

DATA = Path(__file__).parent / "data"
MEDIA = ' xmlns:media="http://search.yahoo.com/mrss/"'


def records(data: bytes | str, kind: str | None = None) -> list[RawRecord]:
    raw = data.encode() if isinstance(data, str) else data
    return list(read_feed(io.BytesIO(raw), source="feed.xml", kind=kind))


def fields_of(name: str, kind: str | None = None) -> list[dict[str, str]]:
    """The fields of each entry of tests/data/NAME, checking the numbering."""
    with (DATA / name).open("rb") as stream:
        found = list(read_feed(stream, source=name, kind=kind))
    assert [r.line for r in found] == list(range(1, len(found) + 1))
    assert all(r.problem == "" for r in found)
    return [r.fields for r in found]


def rss(items: str, namespaces: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"{namespaces}>'
        f"<channel><title>Co-op news</title>{items}</channel></rss>"
    )
