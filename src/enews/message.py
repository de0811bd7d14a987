"""The .eml of a built issue: what a mailing service (or a test inbox) imports.

multipart/alternative with the text part first (clients show the last part
they support, so HTML wins where it can), UTF-8 throughout, and the
List-Unsubscribe headers carrying the service's merge tag.
"""

from __future__ import annotations

import datetime as dt
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from enews.config import Settings
from enews.errors import ConfigError, ValidationError

MAX_SUBJECT = 250  # folded headers allow more; inboxes show ~60, services cut ~150-250


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
    if len(subject) > MAX_SUBJECT or "\n" in subject or "\r" in subject:
        raise ValidationError(
            "subject", f"must be one line of at most {MAX_SUBJECT} characters"
        )
    message = EmailMessage(policy=policy.SMTP.clone(max_line_length=78))
    message["Subject"] = subject
    try:
        message["From"] = Address(settings.sender_name, addr_spec=settings.sender_email)
    except (ValueError, IndexError) as exc:
        raise ConfigError(
            f"sender_email: {settings.sender_email!r} is not an address"
        ) from exc
    message["Date"] = format_datetime(date.astimezone(dt.UTC))
    message["Message-ID"] = message_id
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text, charset="utf-8")
    # Quoted-printable keeps every line under SMTP's 998-octet limit; inlined
    # HTML comes as a few very long lines.
    message.add_alternative(
        html, subtype="html", charset="utf-8", cte="quoted-printable"
    )
    # A boundary from the message itself, not random: same issue, same bytes.
    message.set_boundary(f"enews-{message_id.strip('<>').split('@')[0]}")
    return message.as_bytes()
