"""Client support: what each email client family lacks of a built email.

``client_support(html, families)`` looks every feature the email uses
(``emailfeatures.email_features``) up in the caniemail snapshot shipped in
``enews/data/caniemail.json`` (``tools/refresh_caniemail.py`` writes it; MIT
licence in ``data/caniemail-LICENSE``) and returns a ``Check`` named
"clients": a warning for each feature that a family lacks ("n") and that
the email has no fallback for (``FALLBACKS``). Partial support ("a") and
unknown support are not warned about.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from enews.errors import EnewsError
from enews.publish.check import Check
from enews.publish.emailfeatures import Place, Uses, email_features

NAME = "clients"
# Beside the package's code, as config.py finds the templates (cheaper to
# import than importlib.resources, which the CLI does not load otherwise).
SNAPSHOT = Path(__file__).parent.parent / "data" / "caniemail.json"
# The families reported on when none are chosen: most of the inboxes a
# newsletter reaches. Every family of the snapshot may be chosen.
DEFAULT_FAMILIES = (
    "gmail",
    "outlook-windows",
    "outlook-com",
    "apple-mail",
    "yahoo",
    "samsung-email",
)
ANY = "*"


@dataclass(frozen=True)
class Fallback:
    """Why lacking a feature does no harm to this email.

    ``features``: caniemail slugs, or ``ANY``. ``places``: the places of use
    (see ``emailfeatures``) it covers; None covers every place. A feature is
    covered when each of its places is covered by one fallback or another.
    """

    features: tuple[str, ...]
    places: frozenset[Place] | None
    reason: str


DARK_MODE = (
    "css-at-media-prefers-color-scheme",
    "css-color-scheme",
    "css-function-light-dark",
    "html-meta-color-scheme",
)
FALLBACKS = (
    # The light design is what every client shows first; the dark palette
    # only replaces it where the client asks for dark mode.
    Fallback(DARK_MODE, None, "the light design is the default"),
    # MJML is mobile first: the inline styles already make a fluid, one
    # column layout (and Outlook for Windows gets its fixed-width tables in
    # conditional comments); @media (min-width) only widens the columns and
    # @media (max-width) only tightens paddings and headings.
    Fallback(("css-at-media",), None, "the inline styles give a fluid layout"),
    # The templates write the design inline (premailer inlines the rules of
    # rich text), so what is used only in <style> (selectors, @media rules,
    # MJML's client resets, Outlook.com's [data-ogsc] dark-mode hooks)
    # refines the inline design; a client that lacks it shows that design.
    Fallback((ANY,), frozenset({"style", "media"}), "only in <style>, over inline CSS"),
    # The preheader is hidden with display:none and with max-height:0,
    # max-width:0, overflow:hidden, opacity:0 and mso-hide:all (Outlook), so
    # a client that lacks one of them still hides it by another.
    Fallback((ANY,), frozenset({"hidden"}), "hidden in several ways at once"),
    # height:auto, word-spacing:normal...: a client that ignores the
    # property renders the value it was set to anyway.
    Fallback((ANY,), frozenset({"initial"}), "set to the value it has anyway"),
    # Outlook for Windows renders with Word and others drop the doctype;
    # MJML's table layout is built for quirks mode as well.
    Fallback(("html-doctype",), None, "MJML's tables render without it"),
    # MJML labels the whole message (role="article", aria-label = its
    # title) for screen readers; without the label the email reads the same.
    Fallback(
        ("html-aria-label",), None, "a screen-reader label; the text reads the same"
    ),
    # MJML's text cells break a string too long for the line; without it text
    # still wraps between words, and only such a string (a bare URL) runs wide.
    Fallback(("css-word-break",), None, "text still wraps between words"),
)


@dataclass(frozen=True)
class Lack:
    """One feature the email uses that some chosen families lack."""

    slug: str
    families: tuple[str, ...]
    fallback: tuple[str, ...]  # the reasons it does no harm; () when it does


def client_support(html: str, families: Sequence[str] | None = None) -> Check:
    """The "clients" check of a built email's HTML.

    ``families``: caniemail client families (``family_names()``); None means
    ``DEFAULT_FAMILIES``. An unknown name raises ``EnewsError``.
    """
    chosen = resolve_families(families)
    uses = email_features(html)
    slugs = used_features(uses)
    lacks = [lack for slug in slugs if (lack := _lack(slug, uses, chosen))]
    return _check(lacks, len(slugs), chosen)


def family_names() -> tuple[str, ...]:
    """Every family name ``--clients`` accepts, in the snapshot's order."""
    return tuple(snapshot()["families"])


def family_label(name: str) -> str:
    """A family as people call it: "outlook-windows" -> "Outlook Windows"."""
    return str(snapshot()["families"][name]["label"])


def resolve_families(families: Sequence[str] | None) -> tuple[str, ...]:
    """The chosen families, checked, without repeats, in the order given."""
    if families is None:
        return DEFAULT_FAMILIES
    names = tuple(dict.fromkeys(f.strip().lower() for f in families if f.strip()))
    valid = family_names()
    unknown = [name for name in names if name not in valid]
    if unknown or not names:
        what = f"unknown client family {unknown[0]!r}" if unknown else "no family"
        raise EnewsError(f"{what}; valid: {', '.join(valid)}", field="clients")
    return names


def used_features(uses: Uses) -> list[str]:
    """The caniemail slugs of the features used, sorted."""
    index = _index()
    return sorted({slug for name in uses for slug in index.get(name, ())})


@cache
def snapshot() -> dict[str, Any]:
    """The shipped caniemail snapshot, read once per process."""
    data: dict[str, Any] = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    return data


@cache
def _index() -> dict[str, tuple[str, ...]]:
    """Matcher ("property:display") -> the slugs of the features it uses."""
    index: dict[str, list[str]] = {}
    for slug, feature in snapshot()["features"].items():
        for name in feature["match"]:
            index.setdefault(name, []).append(slug)
    return {name: tuple(slugs) for name, slugs in index.items()}


def _lack(slug: str, uses: Uses, chosen: tuple[str, ...]) -> Lack | None:
    support = snapshot()["features"][slug]["support"]
    lacking = tuple(f for f in chosen if support.get(f) == "n")
    if not lacking:
        return None
    matches = snapshot()["features"][slug]["match"]
    places = frozenset().union(*(uses.get(m, frozenset()) for m in matches))
    return Lack(slug, lacking, _fallback(slug, places))


def _fallback(slug: str, places: frozenset[Place]) -> tuple[str, ...]:
    """The reasons that cover every place of use of a feature, or ()."""
    reasons: list[str] = []
    for place in sorted(places):
        reason = next(
            (
                f.reason
                for f in FALLBACKS
                if (slug in f.features or ANY in f.features)
                and (f.places is None or place in f.places)
            ),
            None,
        )
        if reason is None:
            return ()
        reasons.append(reason)
    return tuple(dict.fromkeys(reasons))


def _check(lacks: list[Lack], checked: int, chosen: tuple[str, ...]) -> Check:
    warned = [lack for lack in lacks if not lack.fallback]
    covered = [lack for lack in lacks if lack.fallback]
    details = [_warning(lack) for lack in warned]
    details += [_covered(lack) for lack in covered]
    of = f"{len(chosen)} client famil{'y' if len(chosen) == 1 else 'ies'}"
    if warned:
        reached = {family for lack in warned for family in lack.families}
        verb = "lacks" if len(warned) == 1 else "lack"
        message = (
            f"{_count(len(warned), 'feature')} {verb} support without a fallback"
            f" in {len(reached)} of {of}"
        )
        return Check(NAME, "warn", message, tuple(details))
    lacking = (
        f"{len(covered)} lack support in some, each with a fallback"
        if covered
        else "none lacks support"
    )
    message = f"{_count(checked, 'feature')} checked in {of}; {lacking}"
    return Check(NAME, "pass", message, tuple(details))


def _warning(lack: Lack) -> str:
    """'css-position: Gmail (no), Outlook Windows (no)'."""
    lacking = ", ".join(f"{family_label(f)} (no)" for f in lack.families)
    return f"{lack.slug}: {lacking}"


def _covered(lack: Lack) -> str:
    lacking = ", ".join(family_label(f) for f in lack.families)
    return f"{lack.slug}: not in {lacking}; fallback: {'; '.join(lack.fallback)}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
