"""The .eml's quoted-printable bodies: valid, and decoding to the input
(with its line ends made CRLF)."""

from __future__ import annotations

import binascii
import datetime as dt
import email
import re
from email import policy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enews.publish.message import quoted_printable

# What an encoded line may hold: printable ASCII, tabs and =XX escapes.
_ENCODED_LINE = re.compile(rb"(?:[\t\x20-\x3c\x3e-\x7e]|=[0-9A-F]{2})*=?")


def check_encoding(data: bytes) -> None:
    encoded = quoted_printable(data)
    data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")  # line ends
    lines = encoded.split(b"\r\n")
    assert b"\n" not in encoded.replace(b"\r\n", b"")
    for line in lines:
        assert len(line) <= 76, line
        assert _ENCODED_LINE.fullmatch(line), line
        assert not line.endswith((b" ", b"\t")), line  # stripped in transit
        assert line != b".", lines  # alone on a line, a dot ends an SMTP message
    decoded = binascii.a2b_qp(encoded).replace(b"\r\n", b"\n")
    assert decoded == data
    # and as a mail client decodes it
    part = email.message_from_bytes(
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + encoded,
        policy=policy.default,
    )
    assert part.get_payload(decode=True).replace(b"\r\n", b"\n") == data


_PIECES = st.sampled_from(
    ["=", "==", "=3D", " ", "\t", "\n", " \n", "\t\n", "a", "é", "—", "·", "\r",
     "\x00", "\x7f", "<a href=\"x\">", "x" * 80, "=" * 30, "é" * 30]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=60))
def test_mostly_ascii_text_round_trips(pieces):
    check_encoding("".join(pieces).encode("utf-8"))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_any_text_round_trips(text):
    check_encoding(text.encode("utf-8"))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "trailing space ",
        ".\n.",  # a lone dot would end an SMTP message
        "a" * 76,  # fits exactly: no soft break
        "a" * 77,
        "a" * 75 + " \n",  # the escaped space must not make the line 78
        "=" * 25 + " \n",
        "a" * 74 + "\t\n",
        "x" * 150 + ".",  # a dot that a soft break would leave alone
        "é" * 200,  # all escapes: a soft break must not split one
        "=" * 200,
        "<p>" + "x=y " * 300 + "</p>\n",
        "Ελληνικά 中文 Русский " * 20,  # many distinct non-ASCII bytes
    ],
)
def test_edge_cases(text):
    check_encoding(text.encode("utf-8"))


def test_a_76_byte_line_is_left_whole_and_a_longer_one_soft_broken():
    assert quoted_printable(b"a" * 76) == b"a" * 76
    assert quoted_printable(b".\n.x") == b"=2E\r\n.x"
    assert quoted_printable(b"a" * 77) == b"a" * 75 + b"=\r\n" + b"aa"


def test_eml_has_no_bare_carriage_return():
    import datetime as dt

    from enews.config import Settings
    from enews.publish.message import make_eml

    eml = make_eml(
        html="<p>a\rb</p>",
        text="one\rtwo\r\nthree",
        subject="S",
        settings=Settings(),
        unsubscribe="https://e.org/u",
        date=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
        message_id="<m@e.org>",
    )
    assert eml.count(b"\r") == eml.count(b"\r\n")
    text = email.message_from_bytes(eml, policy=policy.default).get_payload()[0]
    assert text.get_content().splitlines() == ["one", "two", "three"]


# -- List-Unsubscribe and To (RFC 2369, RFC 8058) --------------------------------


@pytest.mark.parametrize(
    ("unsubscribe", "mailto", "listed", "post"),
    [
        ("https://e.example/u?id=1", None, "<https://e.example/u?id=1>", True),
        ("mailto:leave@e.example", None, "<mailto:leave@e.example>", False),
        (
            "https://e.example/u",
            "mailto:leave@e.example",
            "<https://e.example/u>, <mailto:leave@e.example>",
            True,
        ),
        ("*|UNSUB|*", "mailto:leave@e.example", "<mailto:leave@e.example>", False),
        ("*|UNSUB|*", None, None, False),  # the service writes its own
        ("http://e.example/u", None, "<http://e.example/u>", False),  # not https
    ],
)
def test_list_unsubscribe_holds_uris_and_post_needs_https(
    unsubscribe, mailto, listed, post
):
    from enews.config import Settings
    from enews.publish.message import make_eml

    eml = make_eml(
        html="<p>x</p>",
        text="x",
        subject="S",
        settings=Settings(unsubscribe_mailto=mailto),
        unsubscribe=unsubscribe,
        date=dt.datetime(2020, 10, 1, tzinfo=dt.UTC),
        message_id="<a@e.example>",
    )
    message = email.message_from_bytes(eml, policy=policy.default)
    assert message["List-Unsubscribe"] == listed
    assert (message["List-Unsubscribe-Post"] is not None) == post


@pytest.mark.parametrize(
    ("configured", "expected"),
    [(None, "news@example.org"), ("*|EMAIL|*", "*|EMAIL|*"), ("a@b.org", "a@b.org")],
)
def test_the_eml_has_a_to(configured, expected):
    from enews.config import Settings
    from enews.publish.message import make_eml

    eml = make_eml(
        html="<p>x</p>",
        text="x",
        subject="S",
        settings=Settings(message_to=configured),
        unsubscribe="*|UNSUB|*",
        date=dt.datetime(2020, 10, 1, tzinfo=dt.UTC),
        message_id="<a@e.example>",
    )
    assert email.message_from_bytes(eml, policy=policy.default)["To"] == expected
