"""What a feed may look like on the way in: its encoding (declared by a
BOM, the bytes' width, the XML declaration or the server), its root and
where its entries are, and a server too slow to wait for.

`enews import` reads what feedparser reads, or stops with one line naming
the problem; it never stores mojibake.
"""

from __future__ import annotations

import io
import threading
import time

import pytest

from enews.collect import fetch
from enews.collect.feed import read_feed
from enews.collect.fetch import open_source
from enews.collect.records import SourceError
from tests.helpers_feed import DATA, fields_of
from tests.helpers_feed_input import (
    ROUTES,
    TITLES,
    WIDE,
    WIDE_TITLE,
    Answer,
    enews,
    feed_text,
    server,
    stored_titles,
    with_atom_prefix,
)

__all__ = ["enews", "server"]  # fixtures


def titles(data: bytes, content_type: str | None = None) -> list[str]:
    stream = io.BytesIO(data)
    found = read_feed(stream, source="feed.xml", content_type=content_type)
    return [r.fields["title"] for r in found]


def refusal(data: bytes, content_type: str | None = None) -> str:
    with pytest.raises(SourceError) as caught:
        titles(data, content_type)
    return str(caught.value)


# -- 16 and 32-bit encodings without a BOM: the bytes' own pattern ------------------


@pytest.mark.parametrize("encoding", WIDE)
@pytest.mark.parametrize("declared", [None, "UTF-16", "same"])
def test_utf16_and_utf32_without_a_bom(encoding, declared):
    label = encoding if declared == "same" else declared
    data = feed_text(WIDE_TITLE, label).encode(encoding)
    assert not data.startswith((b"\xff\xfe", b"\xfe\xff"))
    assert titles(data) == [WIDE_TITLE]


@pytest.mark.parametrize("encoding", ["utf-32", "utf-16"])
def test_utf32_and_utf16_with_a_bom(encoding):
    # The UTF-32-LE BOM starts with the UTF-16-LE one.
    assert titles(feed_text(WIDE_TITLE, None).encode(encoding)) == [WIDE_TITLE]


def test_ucs4_in_an_unusual_byte_order_is_refused():
    data = b"\0\0<\0" + b"\0\0?\0" * 4
    assert refusal(data) == "feed.xml:1: UCS-4 in an unusual byte order cannot be read"


# -- legacy encodings ---------------------------------------------------------------


@pytest.mark.parametrize("encoding", sorted(TITLES))
def test_declared_legacy_encodings_are_read(encoding):
    data = feed_text(TITLES[encoding], encoding).encode(encoding)
    assert titles(data) == [TITLES[encoding]]


@pytest.mark.parametrize("encoding", sorted(TITLES))
def test_undeclared_legacy_encodings_are_refused_not_guessed(encoding):
    data = feed_text(TITLES[encoding], None).encode(encoding)
    first = TITLES[encoding].encode(encoding)[0]
    assert refusal(data) == (
        f"feed.xml:4: not UTF-8 text (byte 0x{first:02x}); "
        "declare the encoding in the XML declaration"
    )


def test_the_brief_example_shift_jis_without_encoding():
    data = feed_text("お知らせ", None).encode("shift_jis")
    assert refusal(data) == (
        "feed.xml:4: not UTF-8 text (byte 0x82); "
        "declare the encoding in the XML declaration"
    )


def test_bytes_not_in_the_declared_encoding_are_refused():
    data = feed_text(TITLES["shift_jis"], "euc-jp").encode("shift_jis")
    assert refusal(data) == "feed.xml:4: not euc_jp text (byte 0x8b)"


def test_a_message_of_libxml2_stays_one_line():
    """libxml2 ends "Char 0x0 out of allowed range" with a line break."""
    data = feed_text("Forum", None).encode().replace(b"<rss", b"<r\x00ss", 1)
    message = refusal(data)
    assert "\n" not in message
    assert message.startswith("feed.xml:2: not a valid RSS or Atom feed: ")


def test_a_label_read_as_its_superset_only_when_needed():
    # Shift_JIS feeds often hold cp932's circled digits; the wave dash reads
    # differently in the two, so the label's own codec comes first.
    assert titles(feed_text("総会〜", "Shift_JIS").encode("shift_jis")) == ["総会〜"]
    assert titles(feed_text("総会①", "Shift_JIS").encode("cp932")) == ["総会①"]


def test_windows_1252_in_a_feed_without_a_declaration_is_refused():
    data = b'<rss version="2.0"><channel>\n<item><title>Caf\xe9</title></item>'
    data += b"</channel></rss>"
    assert refusal(data) == (
        "feed.xml:2: not UTF-8 text (byte 0xe9); "
        "declare the encoding in the XML declaration"
    )


# -- the server's charset -----------------------------------------------------------


@pytest.mark.parametrize("encoding", sorted(TITLES))
def test_the_servers_charset_is_read(server, encoding):
    ROUTES["/feed"] = Answer(
        feed_text(TITLES[encoding], None).encode(encoding),
        content_type=f'application/rss+xml; charset="{encoding}"',
    )
    with open_source(f"{server}/feed") as source:
        found = read_feed(
            source.stream, source=source.name, content_type=source.content_type
        )
        assert [r.fields["title"] for r in found] == [TITLES[encoding]]


@pytest.mark.parametrize(
    ("data", "content_type", "expected"),
    [  # HTTP and the declaration disagree: the one the bytes bear out
        (feed_text("Zoë", "utf-8").encode(), "text/xml; charset=iso-8859-1", "Zoë"),
        (feed_text("Zoë", "utf-8").encode("cp1252"), "text/xml; charset=latin1", "Zoë"),
        (feed_text("総会", "utf-8").encode("euc_jp"), "text/xml;charset=EUC-JP", "総会"),  # noqa: E501
        (feed_text("Zoe", "koi8-r").encode(), "text/xml; charset=utf-8", "Zoe"),
        # the server says UTF-16, but the bytes are not
        (feed_text("Zoë", None).encode(), "application/xml; charset=utf-16", "Zoë"),
    ],
)  # fmt: skip
def test_the_servers_charset_and_the_declaration(data, content_type, expected):
    assert titles(data, content_type) == [expected]


@pytest.mark.parametrize(
    ("data", "content_type", "message"),
    [
        (
            feed_text("Новости", "windows-1251").encode("koi8_r"),
            "text/xml; charset=KOI8-R",
            "feed.xml: the server says the encoding is koi8-r, the XML "
            "declaration cp1251, and the bytes could be either",
        ),
        (
            feed_text("x", None).encode(),
            "text/xml; charset=klingon",
            "feed.xml: unknown character encoding 'klingon' in the server's "
            "Content-Type",
        ),
    ],
)
def test_the_servers_charset_refused(data, content_type, message):
    assert refusal(data, content_type) == message


# -- the root, and entries where feedparser does not look -----------------------------


def test_a_root_in_a_foreign_namespace_is_named():
    data = b'<rss xmlns="http://example.org/x" version="2.0"><channel/></rss>'
    assert refusal(data) == (
        "feed.xml: not a valid RSS or Atom feed: the document is "
        "<{http://example.org/x}rss>, not RSS or Atom"
    )


def test_a_feed_root_without_the_atom_namespace_is_named():
    assert refusal(b"<feed><title>Co-op</title></feed>") == (
        "feed.xml: not a valid RSS or Atom feed: the document is <feed>, "
        "not RSS or Atom"
    )


def test_a_prefixed_atom_root_reads_like_the_default_namespace():
    prefixed = with_atom_prefix((DATA / "feed-atom.xml").read_bytes())
    assert b"<a:feed " in prefixed and b"<a:entry>" in prefixed
    assert b'<div xmlns="http://www.w3.org/1999/xhtml">' in prefixed
    found = [r.fields for r in read_feed(io.BytesIO(prefixed), source="x")]
    assert found == fields_of("feed-atom.xml")


def test_entries_in_a_foreign_namespace_are_refused_with_their_line():
    data = (
        b'<rss version="2.0"><channel><title>Co-op</title>\n'
        b'<x:item xmlns:x="http://example.org/x"><x:title>a</x:title></x:item>'
        b"</channel></rss>"
    )
    assert refusal(data) == (
        "feed.xml:2: <{http://example.org/x}item> inside an RSS <rss>; "
        "RSS items are <item>, in no namespace"
    )
    atom = data.replace(b"item", b"entry").replace(
        b'<rss version="2.0"><channel>', b'<feed xmlns="http://www.w3.org/2005/Atom">'
    )
    atom = atom.replace(b"</channel></rss>", b"</feed>")
    assert refusal(atom) == (
        "feed.xml:2: <{http://example.org/x}entry> inside an Atom <feed>; "
        "Atom entries are <entry>, in the namespace http://www.w3.org/2005/Atom"
    )


def test_an_rss_item_inside_an_atom_feed_is_read_as_feedparser_reads_it():
    data = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>Co-op</title>\n'
        b"<item><title>Hello</title><link>https://coop.example/1</link>"
        b"<pubDate>Mon, 07 Oct 2024 10:00:00 GMT</pubDate></item></feed>"
    )
    found = [r.fields for r in read_feed(io.BytesIO(data), source="feed.xml")]
    assert found == [
        {"title": "Hello", "url": "https://coop.example/1", "date": "2024-10-07"}
    ]


@pytest.mark.parametrize(
    "data",
    [
        b'<rss version="2.0"><channel><title>Co-op</title></channel></rss>',
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>Co-op</title></feed>',
    ],
)
def test_a_feed_with_no_entries_yet_has_no_records(data):
    assert titles(data) == []


# -- a server too slow to wait for ------------------------------------------------


@pytest.mark.parametrize("where", ["headers", "body"])
def test_a_trickling_server_meets_the_deadline(server, where):
    # A byte every 0.05 s: each read is quick (the timeout never fires) but
    # the whole answer would take 10 s or more.
    body = feed_text("Slow", None).encode()
    ROUTES["/slow"] = Answer(body, trickle=0.05, head_at_once=where == "body")
    url = f"{server}/slow"
    started = time.monotonic()
    with pytest.raises(SourceError) as caught:
        open_source(url, timeout=0.5, deadline=0.6)
    assert time.monotonic() - started < 1.2
    assert str(caught.value) == f"{url}: no complete answer within 0.6 s"
    # The download thread stops at the next byte, and closes what it opened.
    for _ in range(40):
        if not any(t.name == "enews-download" for t in threading.enumerate()):
            break
        time.sleep(0.05)
    assert not any(t.name == "enews-download" for t in threading.enumerate())


def test_a_quick_server_within_the_deadline(server):
    ROUTES["/feed"] = Answer(feed_text("Quick", None).encode())
    with open_source(f"{server}/feed", deadline=5) as source:
        assert titles(source.stream.read()) == ["Quick"]


# -- end to end: what `enews import` stores, or its one line ------------------------


def test_import_stores_each_encodings_title_as_written(enews, tmp_path):
    files = {}
    for n, encoding in enumerate(sorted(TITLES)):
        text = feed_text(TITLES[encoding], encoding, slug=f"legacy-{n}")
        files[f"{encoding}.xml"] = (text.encode(encoding), TITLES[encoding])
    for n, encoding in enumerate(WIDE):
        text = feed_text(WIDE_TITLE, None, slug=f"wide-{n}")
        files[f"{encoding}.xml"] = (text.encode(encoding), WIDE_TITLE)
    for name, (data, _) in files.items():
        (tmp_path / name).write_bytes(data)
        result = enews("import", str(tmp_path / name), "--kind", "News")
        assert result.exit_code == 0, result.output
    assert stored_titles(enews) == {name: title for name, (_, title) in files.items()}


def test_import_refuses_undeclared_shift_jis_in_one_line(enews, tmp_path):
    path = tmp_path / "feed.xml"
    path.write_bytes(feed_text(TITLES["shift_jis"], None).encode("shift_jis"))
    result = enews("import", str(path), "--kind", "News")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {path}:4: not UTF-8 text (byte 0x8b); "
        "declare the encoding in the XML declaration\n"
    )
    assert stored_titles(enews) == {}


def test_import_from_a_trickling_server_stores_nothing(enews, server, monkeypatch):
    monkeypatch.setattr(fetch, "DEADLINE", 0.5)
    ROUTES["/slow"] = Answer(feed_text("Slow", None).encode(), trickle=0.05)
    result = enews("import", f"{server}/slow", "--kind", "News")
    assert result.exit_code == 1
    assert result.stderr == (f"error: {server}/slow: no complete answer within 0.5 s\n")
    assert stored_titles(enews) == {}
