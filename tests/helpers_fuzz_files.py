"""Strategies for the files of every importer (CSV, JSON, feeds, listings),
built from the nasty text of tests/helpers_fuzz.py and then sometimes
spoiled: a BOM, a cut, a stray byte, other line endings."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from xml.sax.saxutils import escape

from hypothesis import strategies as st

from tests.helpers_fuzz import BASE_ITEM, item_values

# --- the files of every importer -------------------------------------------

# The column each library field is called in an import file.
COLUMN = {"image_url": "image"}


def records(*, surrogates: bool = False) -> st.SearchStrategy[list[dict[str, str]]]:
    """One to three items as import records (field names of the files),
    each a valid one or one with some of its fields made nasty."""
    nasty = item_values(surrogates=surrogates)
    valid = st.builds(
        lambda n, day: BASE_ITEM | {"title": f"Item {n}", "date": f"2020-10-{day:02}"},
        st.integers(1, 99),
        st.integers(1, 28),
    )
    # Valid twice as often: one bad row refuses the whole file.
    item = st.one_of(valid, valid, nasty).map(
        lambda v: {COLUMN.get(k, k): v for k, v in v.items()}
    )
    return st.lists(item, min_size=1, max_size=3).map(_numbered)


def _numbered(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    # Valid rows of one file are different items, not duplicates of each other.
    return [
        row | {"title": f"Item {n}"}
        if row.get("title", "").startswith("Item ")
        else row
        for n, row in enumerate(rows, start=1)
    ]


def encode(value: str) -> bytes:
    # Lone surrogates become the bytes Python keeps them as: not UTF-8.
    return value.encode(
        "utf-8", "surrogateescape" if _escapes(value) else "surrogatepass"
    )


def _escapes(value: str) -> bool:
    try:
        value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return False
    return True


@st.composite
def spoiled(draw: st.DrawFn, data: bytes) -> bytes:
    """``data``, mostly as is, else with a BOM, a cut, or a stray byte in it."""
    # A fair coin (hypothesis's own choices lean to the spoiling branches, and
    # a file spoiled is refused before its values are even read).
    if draw(st.randoms(use_true_random=False)).random() < 0.7:
        return data
    how = draw(st.sampled_from(["bom", "cut", "byte", "crlf", "cr"]))
    if how == "bom":
        return b"\xef\xbb\xbf" + data
    if how == "crlf":
        return data.replace(b"\n", b"\r\n")
    if how == "cr":
        return data.replace(b"\n", b"\r")
    at = draw(st.integers(0, len(data)))
    if how == "cut":
        return data[:at]
    byte = draw(st.sampled_from([b"\x00", b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x1b"]))
    return data[:at] + byte + data[at:]


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    rows = draw(records())
    columns = sorted({key for row in rows for key in row})
    if draw(st.booleans()):
        columns = [
            *columns,
            draw(st.sampled_from(["id", "extra", "Title", "link", ""])),
        ]
    out = io.StringIO()
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    writer = csv.writer(out, lineterminator=ending)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column, "") for column in columns])
    return draw(spoiled(encode(out.getvalue())))


JSON_ODDITIES = [
    "[" * 100_000 + "]" * 100_000,
    '[{"title": "' + "1" * 5000 + '"}]',
    '[{"title": 1' + "0" * 5000 + "}]",
    '[{"title": NaN, "kind": "News", "date": "2020-10-01"}]',
    '[{"title": 1e999999, "kind": "News", "date": "2020-10-01"}]',
    '[{"title": true, "kind": "News", "date": "2020-10-01"}]',
    '[{"title": "\\ud800", "kind": "News", "date": "2020-10-01"}]',
    '[{"title": "a", "title": "b", "kind": "News", "date": "2020-10-01"}]',
    '{"items": [{"title": "x", "date": "2020-10-01", "kind": "News"}], "items": []}',
    '[{"title": "x", "date": "2020-10-01", "kind": "News"}] trailing',
    '[{"title": "x", "date": "2020-10-01", "kind": ["News"]}]',
    '{"items": {"title": "x"}}',
    '"just a string"',
]


@st.composite
def json_files(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(JSON_ODDITIES)).encode()
    rows: list[dict[str, object]] = list(draw(records()))
    if draw(st.booleans()):
        odd = st.one_of(st.none(), st.integers(), st.floats(), st.booleans())
        rows[0] = rows[0] | {
            draw(st.sampled_from(["title", "url", "summary"])): draw(odd)
        }
    document: object = rows if draw(st.booleans()) else {"items": rows, "v": 1}
    dumped = json.dumps(
        document,
        ensure_ascii=draw(st.booleans()),
        indent=draw(st.sampled_from([None, 2])),
    )
    return draw(spoiled(encode(dumped)))


RSS = """<?xml version="1.0" encoding="{encoding}"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>
<title>Feed</title><link>https://e.org/</link>
{items}</channel></rss>"""
ATOM = """<?xml version="1.0" encoding="{encoding}"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://e.org/base/">
<title>Feed</title><id>urn:x</id>
<updated>2020-10-01T00:00:00Z</updated>{items}</feed>"""


QUOTE = {'"': "&quot;"}


def _feed_text(value: str, how: str) -> str:
    if how == "cdata":
        return f"<![CDATA[{value}]]>"
    if how == "raw":
        return value
    return escape(value)


ENCODINGS = ["iso-8859-1", "windows-1252", "utf-16", "utf-32", "shift_jis", "bogus"]
IMAGE_WAYS = ["enclosure", "media", "thumbnail", "relative"]


def _feed_image(row: dict[str, str], atom: bool, way: str) -> str:
    """The row's image as a feed carries it (alt text in media:description)."""
    url = escape(row.get("image", ""), QUOTE)
    if not url:
        return ""
    if way == "relative":
        url = url.rpartition("/")[2] or url
    if atom:
        return f'<link rel="enclosure" type="image/png" href="{url}"/>'
    if way == "media":
        alt = escape(row.get("image_alt", ""))
        return (
            f'<media:content url="{url}" medium="image">'
            f"<media:description>{alt}</media:description></media:content>"
        )
    if way == "thumbnail":
        return f'<media:thumbnail url="{url}"/>'
    return f'<enclosure url="{url}" type="image/jpeg" length="1"/>'


@st.composite
def feed_files(draw: st.DrawFn) -> bytes:
    rows = draw(records())
    how = draw(st.sampled_from(["escaped", "escaped", "cdata", "raw"]))
    atom = draw(st.booleans())
    parts = []
    for row in rows:
        title = _feed_text(row.get("title", ""), how)
        summary = _feed_text(row.get("summary", ""), how)
        link = escape(row.get("url", "") or "")
        date = escape(row.get("date", ""))
        image = _feed_image(row, atom, draw(st.sampled_from(IMAGE_WAYS)))
        if atom:
            parts.append(
                f'<entry><title type="html">{title}</title><link href="{link}"/>'
                f"<id>{link or 'urn:e'}</id><updated>{date}</updated>"
                f'<summary type="html">{summary}</summary>'
                f'<category term="{escape(row.get("kind", ""), QUOTE)}"/>'
                f"{image}</entry>"
            )
        else:
            parts.append(
                f"<item><title>{title}</title><link>{link}</link>"
                f"<pubDate>{date}</pubDate><category>{escape(row.get('kind', ''))}"
                f"</category><description>{summary}</description>{image}</item>"
            )
    encoding = draw(st.sampled_from(["utf-8"] * 4 + ENCODINGS))
    document = (ATOM if atom else RSS).format(encoding=encoding, items="".join(parts))
    codec = draw(st.sampled_from(["utf-8", encoding, encoding]))
    try:
        data = document.encode(codec, "surrogatepass")
    except (LookupError, UnicodeEncodeError):
        data = encode(document)
    return draw(spoiled(data))


@st.composite
def listing_files(draw: st.DrawFn) -> bytes:
    rows = draw(records())
    blocks = []
    for number, row in enumerate(rows, start=1):
        head = f"{number}. {row.get('kind', '')}"
        if draw(st.booleans()):
            head = f"{number}.\n{row.get('kind', '')}"
        date = _written(row.get("date", ""))
        lines = [head, row.get("title", ""), date, row.get("summary", "")]
        blocks.append(draw(st.sampled_from(["\n", "\n\n"])).join(lines))
    return draw(spoiled(encode("\n\n".join(blocks))))


def _written(date: str) -> str:
    """``29 October 2020`` for ``2020-10-29``: a listing's dates are written."""
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        return date
    return f"{day.day} {day:%B} {day.year}"


FILES = {
    "csv": csv_files,
    "json": json_files,
    "feed": feed_files,
    "listing": listing_files,
}
