"""The .eml of a built issue: what a mailing service (or a test inbox) imports.

multipart/alternative with the text part first (clients show the last part
they support, so HTML wins where it can), UTF-8 throughout, quoted-printable
bodies (every line under SMTP's 998 octets), a To: (a neutral address or
the service's tag), and List-Unsubscribe headers when there is a real URI
to give (see ``unsubscribe_headers``).

The message is assembled here (email.header for headers, email.charset's
quoted-printable body encoder for bodies) rather than with EmailMessage,
which writes quoted-printable lines of up to 78 characters (RFC 2045 allows
76). Tests parse it back with the email package.
"""

from __future__ import annotations

import datetime as dt
from email.charset import QP, Charset
from email.header import Header
from email.headerregistry import Address
from email.utils import format_datetime

from enews import limits
from enews.config import Settings
from enews.errors import ConfigError, ValidationError
from enews.urls import is_absolute_url, is_merge_tag

CRLF = b"\r\n"
# utf-8 bodies are base64 by default; this one writes quoted-printable.
_QUOTED_PRINTABLE = Charset("utf-8")
_QUOTED_PRINTABLE.body_encoding = QP


def make_eml(
    *,
    html: str,
    text: str,
    subject: str,
    settings: Settings,
    unsubscribe: str,
    date: dt.datetime,
    message_id: str,
) -> bytes:
    """The message as bytes with CRLF line ends, ready to be saved as .eml."""
    # The fields are checked against the same limit when they are set
    # (compose.issues); this guards views built by hand.
    if len(subject) > limits.SUBJECT or "\n" in subject or "\r" in subject:
        raise ValidationError(
            "subject", f"must be one line of at most {limits.SUBJECT} characters"
        )
    boundary = f"enews-{message_id.strip('<>').split('@')[0]}"
    headers = [
        _header("Subject", subject),
        b"From: " + _address(settings),
        _header("To", settings.message_to or settings.sender_email),
        b"Date: " + format_datetime(date.astimezone(dt.UTC)).encode(),
        b"Message-ID: " + message_id.encode("ascii"),
        *unsubscribe_headers(unsubscribe, settings.unsubscribe_mailto),
        b"MIME-Version: 1.0",
        f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"'.encode(),
    ]
    parts = [_part("plain", text), _part("html", html)]
    body = b"".join(b"--" + boundary.encode() + CRLF + part + CRLF for part in parts)
    return (
        CRLF.join(headers)
        + CRLF
        + CRLF
        + body
        + b"--"
        + boundary.encode()
        + b"--"
        + CRLF
    )


def unsubscribe_headers(unsubscribe: str, mailto: str | None) -> list[bytes]:
    """List-Unsubscribe with the URIs there are (an https link, a mailto:),
    and List-Unsubscribe-Post only beside an https one, as RFC 8058 wants.

    A merge tag is no URI: the mailing services enews has profiles for write
    their own List-Unsubscribe headers, so the .eml then carries none.
    """
    uris = [u for u in (unsubscribe, mailto) if u and _is_uri(u)]
    if not uris:
        return []
    headers = [_header("List-Unsubscribe", ", ".join(f"<{u}>" for u in uris))]
    if any(u.lower().startswith("https:") for u in uris):
        headers.append(b"List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    return headers


def _is_uri(value: str) -> bool:
    return is_absolute_url(value, ("http", "https", "mailto")) and not is_merge_tag(
        value
    )


def _header(name: str, value: str) -> bytes:
    # Header folds long values and RFC 2047-encodes non-ASCII (a Subject
    # with "Zoë"); plain ASCII stays readable.
    charset = "us-ascii" if value.isascii() else "utf-8"
    folded = Header(value, charset, maxlinelen=78, header_name=name).encode(
        linesep="\r\n"
    )
    return f"{name}: {folded}".encode("ascii")


def _address(settings: Settings) -> bytes:
    try:
        address = Address(settings.sender_name, addr_spec=settings.sender_email)
    except (ValueError, IndexError) as exc:
        raise ConfigError(
            f"sender_email: {settings.sender_email!r} is not an address"
        ) from exc
    name = address.display_name
    if name.isascii():
        return str(address).encode("ascii")
    encoded = Header(name, "utf-8").encode(linesep="\r\n")
    return f"{encoded} <{address.addr_spec}>".encode("ascii")


def _part(subtype: str, content: str) -> bytes:
    data = content.encode("utf-8")
    if not data.endswith((b"\n", b"\r")):
        data += b"\n"
    encoded = quoted_printable(data)
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"'.encode()
        + CRLF
        + b"Content-Transfer-Encoding: quoted-printable"
        + CRLF
        + CRLF
        + encoded
    )


def quoted_printable(data: bytes) -> bytes:
    """Text as quoted-printable with CRLF line ends (any CR, LF or CRLF in
    ``data`` is a line end: a bare CR is not allowed in SMTP bodies).

    The email package's encoder keeps lines to 76 characters with soft
    breaks and escapes spaces and tabs at a line's end (stripped in
    transit). Tests decode the result with binascii and with the email
    package.
    """
    if not data:
        return b""
    data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    lines = _QUOTED_PRINTABLE.body_encode(data).split("\n")
    # A "." alone on a line would end the SMTP message; the encoder keeps it
    # (binascii.b2a_qp escapes it, but writes 77- and 78-character lines
    # when a line's last character is a space or tab).
    escaped = ["=2E" if line == "." else line for line in lines]
    return "\r\n".join(escaped).encode("ascii")
