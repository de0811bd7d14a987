"""What counts as a link enews may write into an email, and what is a merge tag.

The one home of both rules: item links and images, the enews.toml URLs, the
archive's base URL, the link check and the campaign tagging all ask here.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import SplitResult, urlsplit

from enews.errors import ValidationError

WEB = ("http", "https")

# Characters that could end an HTML attribute or hide in a header, or that no
# browser keeps as they are; a link holding one is refused, not repaired.
# C1 controls too: mjml-python writes U+0080 in an attribute as "\u{80}".
_NOT_IN_URL = re.compile(r"[\s\"<>\\`\x00-\x1f\x7f-\x9f]")

# What a link may not hold beyond ASCII: spaces, controls, invisible format
# characters (a bidi override can disguise a host), private-use and
# unassigned code points. Such a link is broken or deceptive; a browser's
# address bar copies it percent-encoded. (Accents and other marks are fine:
# an IRI, composed to NFC first.)
_NOT_IN_IRI = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Co", "Cn"})

# Merge tags of the common mailing services, and enews's own neutral tokens.
MERGE_TAG = re.compile(
    r"""
      \*\|[^|]+\|\*          # Mailchimp: *|UNSUB|*
    | \{\{\{[^{}]+\}\}\}     # Handlebars (SendGrid): {{{unsubscribe}}}
    | \{\{[^{}]+\}\}         # Go, Jinja, Liquid (listmonk, Brevo): {{ x }}
    | \[\[[^\[\]]+\]\]       # Mailjet [[UNSUB_LINK_EN]]; enews [[enews:unsubscribe]]
    | \{\$[^{}]+\}           # MailerLite: {$unsubscribe}
    | %(?![0-9A-Fa-f]{2}%)[A-Za-z_][\w.:-]*%  # Mailgun: %unsubscribe_url%, not %E2%
    | <%[^%]+%>              # SendGrid legacy: <%asm_group_unsubscribe_raw_url%>
    """,
    re.VERBOSE,
)
# A tag may hold spaces, but nothing that would end the attribute it sits in.
_NOT_IN_TAG = re.compile(r"[\"<>\x00-\x1f\x7f]")


def is_merge_tag(value: str) -> bool:
    """True when ``value`` holds a mailing service's merge tag somewhere."""
    return MERGE_TAG.search(value) is not None


def is_whole_merge_tag(value: str) -> bool:
    """True when all of ``value`` is one merge tag (an href such as ``*|UNSUB|*``)."""
    return MERGE_TAG.fullmatch(value) is not None


def is_tag_value(value: str) -> bool:
    """A setting that holds a merge tag (``{{ UnsubscribeURL }}``) and nothing
    that could end the attribute it is written into."""
    return is_merge_tag(value) and not _NOT_IN_TAG.search(value)


def split(value: str) -> SplitResult | None:
    """``urlsplit`` that says None for what it cannot read (``https://[::1/``)."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (reading it validates it: port 99999 raises)
    except ValueError:
        return None
    return parts


def is_absolute_url(value: str, schemes: tuple[str, ...] = WEB) -> bool:
    """An absolute URL of one of ``schemes`` (any case), safe in an attribute.

    Web URLs need a host; ``mailto:`` needs an address.
    """
    parts = split(value)
    if parts is None or parts.scheme not in schemes or _NOT_IN_URL.search(value):
        return False
    if unsafe_char(value):
        return False
    if parts.scheme in WEB:
        return bool(parts.hostname)
    return bool(parts.path)


def unsafe_char(value: str) -> str | None:
    """The first character of ``value`` a link must percent-encode, if any."""
    if value.isascii():
        return None
    return next((c for c in value if unicodedata.category(c) in _NOT_IN_IRI), None)


def check_url(value: str, field: str, schemes: tuple[str, ...] = WEB) -> str:
    """``value`` stripped (and NFC), or a ValidationError naming ``field``."""
    value = unicodedata.normalize("NFC", value.strip())
    char = unsafe_char(value)
    if char is not None:
        raise ValidationError(
            field,
            f"{value!r} holds U+{ord(char):04X}, which a link must percent-encode",
        )
    if not is_absolute_url(value, schemes):
        raise ValidationError(
            field, f"{value!r} is not an absolute {describe(schemes)} link"
        )
    return value


def describe(schemes: tuple[str, ...]) -> str:
    """``http(s)``, or ``http(s) or mailto:``: the schemes as people read them."""
    names = ["http(s)" if s == "http" else f"{s}:" for s in schemes if s != "https"]
    return " or ".join(names)
