"""The whole report on a bundle (``check_bundle``): the checks of its HTML
and text (``publish/check.py``), then what it is sent with: that it has
items, that the theme's colours read in light and dark mode, its
unsubscribe headers, settings still at ``enews init``'s examples, and what
each client family supports of it (``publish/clientsupport.py``).

The CLI's ``enews check``, the workspace's report and ``handoff.review``
all call ``check_bundle``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from email.parser import BytesHeaderParser
from typing import Any

from enews.colours import AA_TEXT, contrast
from enews.config import Brand, Settings
from enews.profiles import get_profile
from enews.publish.check import Check, Report, check_issue, count_items, parse_html
from enews.publish.check import placeholders as merge_placeholders

WHITE = "#ffffff"
# enews.toml keys enews init writes with example values (Settings' defaults).
EXAMPLE_KEYS = ("organisation", "postal_address", "sender_email")


def check_bundle(
    html: str,
    text: str,
    settings: Settings,
    manifest: Mapping[str, Any] | None = None,
    *,
    eml: bytes | None = None,
    clients: Sequence[str] | None = None,
    support: bool = True,
) -> Report:
    """Every check of a bundle: ``check_issue`` with the workspace's merge
    tags and the stored images the manifest lists, then the checks above.
    ``clients``: the client families to report on (None: the usual ones);
    ``support=False`` leaves that check out (it only ever warns, and loads
    cssutils: ``handoff.review`` before each build has no use for it)."""
    images = (manifest or {}).get("images", [])
    report = check_issue(
        html, text, placeholders=merge_placeholders(settings), images=images
    )
    more: tuple[Check, ...] = (
        check_items(manifest, count_items(parse_html(html))),
        check_contrast(settings.brand),
        check_unsubscribe_headers(eml, settings),
        check_settings(settings),
    )
    if support:
        from enews.publish.clientsupport import client_support

        more += (client_support(html, clients),)
    return Report(checks=report.checks + more)


def check_items(manifest: Mapping[str, Any] | None, counted: int) -> Check:
    """An issue without items must not go out (the build refuses it too)."""
    listed = (manifest or {}).get("items")
    count = len(listed) if isinstance(listed, list) else counted
    if count == 0:
        return Check("items", "fail", "the issue has no items; add some first")
    return Check("items", "pass", f"{count} item{'' if count == 1 else 's'}")


def colour_pairs(brand: Brand) -> dict[str, tuple[str, str]]:
    """Every text colour the templates put on each background, by mode."""
    light = {
        "text on white": (brand.text, WHITE),
        "links and headings on white": (brand.primary, WHITE),
        "dates and footer on white": (brand.muted, WHITE),
        "featured text on accent": (brand.text, brand.accent),
        "featured date on accent": (brand.muted, brand.accent),
        "featured link on accent": (brand.primary, brand.accent),
        "header text on primary": (WHITE, brand.primary),
    }
    dark = {
        "dark text on surface": (brand.dark_text, brand.dark_surface),
        "dark links on surface": (brand.dark_primary, brand.dark_surface),
        "dark dates and footer on surface": (brand.dark_muted, brand.dark_surface),
        "dark featured text on accent": (brand.dark_text, brand.dark_accent),
        "dark featured link on accent": (brand.dark_primary, brand.dark_accent),
        "dark featured date on accent": (brand.dark_muted, brand.dark_accent),
    }
    return light | dark


def check_contrast(brand: Brand) -> Check:
    """Each pair at WCAG AA (4.5:1), light and dark: a brand colour set in
    enews.toml can break what the theme got right."""
    low = tuple(
        f"{name}: {fg} on {bg} is {ratio:.2f}:1"
        for name, (fg, bg) in colour_pairs(brand).items()
        if (ratio := contrast(fg, bg)) < AA_TEXT
    )
    if low:
        message = f"{len(low)} colour pair(s) under 4.5:1 (fix [brand] in enews.toml)"
        return Check("contrast", "fail", message, low)
    return Check(
        "contrast", "pass", "every text colour at 4.5:1 or more, light and dark"
    )


def check_unsubscribe_headers(eml: bytes | None, settings: Settings) -> Check:
    """List-Unsubscribe holds URIs only; its Post header (one-click, RFC
    8058) only beside an https URI."""
    if eml is None:
        return Check("unsubscribe-header", "pass", "no .eml to check")
    headers = BytesHeaderParser().parsebytes(eml)
    value, post = headers.get("List-Unsubscribe"), headers.get("List-Unsubscribe-Post")
    uris = [u.strip().strip("<>") for u in str(value or "").split(",") if u.strip()]
    if post and not any(u.lower().startswith("https://") for u in uris):
        why = "List-Unsubscribe-Post without an https List-Unsubscribe URI (RFC 8058)"
        return Check("unsubscribe-header", "fail", why)
    if value:
        return Check("unsubscribe-header", "pass", f"List-Unsubscribe: {value}")
    if settings.profile != "generic":
        name = get_profile(settings.profile).name
        return Check(
            "unsubscribe-header",
            "pass",
            f"none in the .eml: {name} writes its own List-Unsubscribe headers",
        )
    return Check(
        "unsubscribe-header",
        "warn",
        "no List-Unsubscribe header: Gmail and Yahoo want one-click unsubscribe "
        "from bulk senders; set unsubscribe_url (https) unless your service adds it",
    )


def check_settings(settings: Settings) -> Check:
    """Settings still at the examples ``enews init`` wrote: the footer would
    name someone else's organisation and address."""
    defaults = Settings()
    left = tuple(
        f"{key} = {getattr(settings, key)!r}"
        for key in EXAMPLE_KEYS
        if getattr(settings, key) == getattr(defaults, key)
    )
    if left:
        message = f"{len(left)} setting(s) still at enews init's examples (enews.toml)"
        return Check("settings", "warn", message, left)
    return Check("settings", "pass", "organisation, postal address and sender set")
