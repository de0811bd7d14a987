"""A feed declared UTF-8 whose bytes are not: a few Windows-1252 characters
are read as such, but text in another encoding is refused, not mojibake."""

from __future__ import annotations

import io

import pytest

from enews.collect.feed import read_feed
from enews.collect.records import SourceError

FEED = (
    '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
    "<title>t</title><link>https://e.example/</link><description>d</description>"
    "\n<item><title>{title}</title><link>https://e.example/a</link></item>"
    "</channel></rss>"
)


def titles(data: bytes, content_type: str | None = None) -> list[str]:
    found = read_feed(io.BytesIO(data), source="f.xml", content_type=content_type)
    return [record.fields["title"] for record in found]


@pytest.mark.parametrize(
    "title",
    [
        "Zo\u00eb\u2019s caf\u00e9",
        "R\u00e9\u00e9lu \u00e0 la t\u00eate \u2013 \u201cenfin\u201d",
        "Gr\u00f6\u00dfe \u2026 na\u00efve",
    ],
)
def test_stray_windows_1252_characters_are_read_as_such(title):
    assert titles(FEED.format(title=title).encode("cp1252")) == [title]


@pytest.mark.parametrize(
    ("title", "encoding"),
    [
        ("総会のお知らせ", "shift_jis"),
        ("総会", "shift_jis"),
        ("合作社新闻", "gb2312"),
        ("협동조합 뉴스", "euc_kr"),
        ("Новости", "koi8_r"),
        ("総会のお知らせ", "euc_jp"),
    ],
)
def test_text_in_another_encoding_is_refused_naming_the_line(title, encoding):
    data = FEED.format(title=title).encode(encoding)
    with pytest.raises(SourceError) as caught:
        titles(data)
    assert caught.value.line == 3
    assert "not UTF-8" in str(caught.value) and "declare the encoding" in str(
        caught.value
    )
    # Declared truly, by the server or the document, the same bytes are read.
    assert titles(data, f"text/xml; charset={encoding}") == [title]
