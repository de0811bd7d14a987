"""Refresh enews's snapshot of the caniemail data (a dev-time script).

    .venv/bin/python tools/refresh_caniemail.py [FEATURES_DIR] [--out DIR]

FEATURES_DIR is caniemail's ``_features`` folder: a git checkout of
hteumeuleu/caniemail (``.../caniemail/_features``) or the copy in
``../shared/data/caniemail`` (the default). The script writes
``src/enews/data/caniemail.json`` and copies caniemail's MIT licence to
``src/enews/data/caniemail-LICENSE`` (or both into ``--out DIR``).

The JSON holds, per feature slug: its title, category, what it matches in an
email (``"property:display"``, ``"element:style"``... read by
``enews.publish.emailfeatures``) and, per client family, the support of the
newest version caniemail tested: ``y``, ``n``, ``a`` (partial, with a short
note) or ``u``. Families missing from a feature are unknown.

The front matter is read by ``caniemail_frontmatter.py`` beside this script,
a small strict parser of the YAML subset the files use, so nothing new is
needed (PyYAML refuses most of the files anyway: they indent with tabs).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from caniemail_frontmatter import parse_front_matter  # beside this script

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "caniemail"
DEFAULT_OUT = REPO / "src" / "enews" / "data"
NOTE_LIMIT = 90  # characters of one partial-support note kept in the snapshot

# Client families, named by caniemail's client key (Outlook, which caniemail
# keeps as one client, is split: its Windows, web and Mac apps differ most).
# Each lists the (client, platform) pairs whose newest results it merges.
FAMILIES: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "gmail": (
        "Gmail",
        (("gmail", "desktop-webmail"), ("gmail", "ios"), ("gmail", "android")),
    ),
    "outlook-windows": ("Outlook Windows", (("outlook", "windows"),)),
    "outlook-com": ("Outlook.com", (("outlook", "outlook-com"),)),
    "outlook-macos": ("Outlook macOS", (("outlook", "macos"),)),
    "outlook-mobile": (
        "Outlook iOS/Android",
        (("outlook", "ios"), ("outlook", "android")),
    ),
    "windows-mail": ("Windows Mail", (("outlook", "windows-mail"),)),
    "apple-mail": ("Apple Mail", (("apple-mail", "macos"), ("apple-mail", "ios"))),
    "yahoo": (
        "Yahoo",
        (("yahoo", "desktop-webmail"), ("yahoo", "ios"), ("yahoo", "android")),
    ),
    "aol": ("AOL", (("aol", "desktop-webmail"), ("aol", "ios"), ("aol", "android"))),
    "samsung-email": ("Samsung Email", (("samsung-email", "android"),)),
    "thunderbird": (
        "Thunderbird",
        (("thunderbird", "macos"), ("thunderbird", "windows")),
    ),
    "protonmail": (
        "ProtonMail",
        (
            ("protonmail", "desktop-webmail"),
            ("protonmail", "ios"),
            ("protonmail", "android"),
        ),
    ),
    "fastmail": ("Fastmail", (("fastmail", "desktop-webmail"),)),
    "hey": ("HEY", (("hey", "desktop-webmail"),)),
    "gmx": ("GMX", (("gmx", "desktop-webmail"), ("gmx", "ios"), ("gmx", "android"))),
    "web-de": (
        "WEB.DE",
        (("web-de", "desktop-webmail"), ("web-de", "ios"), ("web-de", "android")),
    ),
    "mail-ru": ("Mail.ru", (("mail-ru", "desktop-webmail"),)),
}
PLATFORM_NAMES = {
    "desktop-webmail": "webmail",
    "mobile-webmail": "mobile webmail",
    "ios": "iOS",
    "android": "Android",
    "macos": "macOS",
    "windows": "Windows",
}

# What a feature matches, where its slug does not say it (see _matches):
# space-separated; "property:margin{,-top,-right}" stands for each ending.
SIDES = "{,-top,-right,-bottom,-left}"
MATCHES_TEXT: dict[str, str] = {
    "amp": "",  # a separate MIME part, not in the HTML
    "bimi": "",  # DNS and headers
    "css-nesting": "",  # the CSS parser cannot tell nested rules apart
    "css-animation": "property:animation{,-name,-duration,-timing-function,-delay,"
    "-iteration-count,-direction,-fill-mode,-play-state}",
    "css-at-media-device-pixel-ratio": "media:-webkit{,-min,-max}-device-pixel-ratio"
    " media:{,min-,max-}resolution",
    "css-at-media-hover": "media:hover media:any-hover",
    "css-background": "property:background",
    "css-block-inline-size": "property:block-size property:inline-size",
    "css-border": f"property:border{SIDES}"
    + "".join(
        f" property:border{side}-{part}"
        for side in ("", "-top", "-right", "-bottom", "-left")
        for part in ("width", "style", "color")
    ),
    "css-border-inline-block": "property:border-inline property:border-block",
    "css-border-inline-block-individual": "property:border-inline-{width,style,color}"
    " property:border-block-{width,style,color}",
    "css-border-inline-block-longhand": "property:border-inline-{start,end}"
    " property:border-block-{start,end}",
    "css-border-radius-logical": "property:border-start-{start,end}-radius"
    " property:border-end-{start,end}-radius",
    "css-border-radius": "property:border-radius"
    " property:border-{top,bottom}-{left,right}-radius",
    "css-column-layout-properties": "property:column-{fill,rule,rule-color,"
    "rule-style,rule-width,span,width} property:columns",
    "css-comments": "css:comments",
    "css-display-flex": "value:display:flex value:display:inline-flex",
    "css-display-grid": "value:display:grid value:display:inline-grid",
    "css-display-none": "value:display:none",
    "css-gap": "property:gap property:column-gap property:row-gap",
    "css-grid-template": "property:grid-template{,-columns,-rows,-areas}",
    "css-important": "css:important",
    "css-inert-attribute": "attribute:inert",
    "css-intrinsic-size": "keyword:fit-content keyword:min-content keyword:max-content",
    "css-left-right-top-bottom": "property:left property:right property:top"
    " property:bottom",
    "css-margin": f"property:margin{SIDES}",
    "css-margin-block-start-end": "property:margin-block-{start,end}",
    "css-margin-inline-block": "property:margin-inline property:margin-block",
    "css-margin-inline-start-end": "property:margin-inline-{start,end}",
    "css-modern-color": "function:lch function:oklch function:lab function:oklab",
    "css-outline": "property:outline{,-width,-style,-color}",
    "css-overflow": "property:overflow{,-x,-y}",
    "css-padding": f"property:padding{SIDES}",
    "css-padding-block-start-end": "property:padding-block-{start,end}",
    "css-padding-inline-block": "property:padding-inline property:padding-block",
    "css-padding-inline-start-end": "property:padding-inline-{start,end}",
    "css-pseudo-class-lang": "pseudo-class:lang",
    "css-scroll-snap": "property:scroll-snap-{type,align,stop}",
    "css-sytem-ui": "keyword:system-ui keyword:ui-{serif,sans-serif,rounded,monospace}",
    "css-text-emphasis": "property:text-emphasis{,-style,-color}",
    "css-transition": "property:transition{,-property,-duration,-timing-function,"
    "-delay}",
    "css-unit-calc": "function:calc",
    "css-unit-initial": "keyword:initial",
    "css-unit-percent": "unit:%",
    "css-variables": "css:variables",
    "html-anchor-links": "link:anchor",
    "html-button-reset": "element:button[type=reset]",
    "html-button-submit": "element:button[type=submit]",
    "html-comments": "html:comments",
    "html-doctype": "html:doctype",
    "html-h1-h6": "element:h{1,2,3,4,5,6}",
    "html-image-maps": "element:map attribute:usemap",
    "html-lists": "element:ul element:ol element:dl",
    "html-mailto-links": "link:mailto",
    "html-meta-color-scheme": "meta:color-scheme",
    "html-semantics": "element:{article,aside,details,figcaption,figure,footer,"
    "header,main,mark,nav,section,summary,time}",
    "html-srcset": "attribute:srcset attribute:sizes",
    "html-svg": "element:svg",
    "image-apng": "",  # a .png file says nothing of its frames
    "image-base64": "image:base64",
    "image-hdr": "",  # a colour space, not a file type
    "image-jpg": "image:jpg image:jpeg",
    "image-mp4": "image:mp4",
}


def _expand(text: str) -> list[str]:
    """'property:margin{,-top}' -> ['property:margin', 'property:margin-top']."""
    out: list[str] = []
    for word in text.split():
        found = re.search(r"\{([^}]*)\}", word)
        if found:
            head, tail = word[: found.start()], word[found.end() :]
            out += _expand(" ".join(head + part + tail for part in found[1].split(",")))
        else:
            out.append(word)
    return out


MATCHES = {slug: _expand(text) for slug, text in MATCHES_TEXT.items()}
ELEMENT_TITLE = re.compile(r'^<(\w+)(?: type="(\w+)")?>(?: element)?$')
ATTRIBUTE_TITLE = re.compile(r"^([\w-]+) attribute$")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    source: Path = args.source
    licence = _licence_of(source)
    snapshot = build_snapshot(source)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    (out / "caniemail.json").write_text(dump_snapshot(snapshot), encoding="utf-8")
    shutil.copyfile(licence, out / "caniemail-LICENSE")
    print(f"{len(snapshot['features'])} features -> {out / 'caniemail.json'}")


def build_snapshot(source: Path) -> dict[str, Any]:
    """The snapshot of every ``*.md`` feature file in ``source``."""
    files = sorted(source.glob("*.md"))
    if not files:
        raise SystemExit(f"{source}: no caniemail feature files (*.md)")
    features: dict[str, Any] = {}
    dates: list[str] = []
    for path in files:
        front = parse_front_matter(path)
        features[path.stem] = _feature(path.stem, front)
        dates.append(str(front.get("last_test_date") or ""))
    return {
        "source": "caniemail.com data (github.com/hteumeuleu/caniemail, _features)",
        "licence": "MIT, Rémi Parmentier; see caniemail-LICENSE",
        "commit": _git_commit(source),
        "snapshot_date": max(dates),  # the newest test in the data
        "generated_by": "tools/refresh_caniemail.py",
        "families": {
            key: {
                "label": label,
                "platforms": [f"{client} {platform}" for client, platform in pairs],
            }
            for key, (label, pairs) in FAMILIES.items()
        },
        "features": features,
    }


def dump_snapshot(snapshot: dict[str, Any]) -> str:
    """Compact JSON with one feature per line, so a refresh diffs well."""
    head = {k: v for k, v in snapshot.items() if k != "features"}
    text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))
    lines = [text[:-1] + ',"features":{']
    items = sorted(snapshot["features"].items())
    for n, (slug, feature) in enumerate(items):
        comma = "," if n < len(items) - 1 else ""
        body = json.dumps(feature, ensure_ascii=False, separators=(",", ":"))
        lines.append(f"{json.dumps(slug)}:{body}{comma}")
    lines.append("}}")
    return "\n".join(lines) + "\n"


def _licence_of(source: Path) -> Path:
    # A git checkout keeps the licence at the top, beside _features/.
    for folder in (source, source.parent):
        if (folder / "LICENSE").is_file():
            return folder / "LICENSE"
    raise SystemExit(f"{source}: caniemail's LICENSE not found (here or above)")


def _git_commit(source: Path) -> str | None:
    """The caniemail commit, when ``source`` is a checkout's ``_features``."""
    top = _git(source, "rev-parse", "--show-toplevel")
    if top is None or Path(top).resolve() != source.resolve().parent:
        return None  # a plain copy, or a folder inside some other repository
    return _git(source, "rev-parse", "HEAD")


def _git(folder: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), *args], capture_output=True, text=True
        )
    except OSError:  # no git
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _feature(slug: str, front: dict[str, Any]) -> dict[str, Any]:
    stats = front.get("stats")
    if not isinstance(stats, dict):
        raise SystemExit(f"{slug}: no stats mapping")
    notes = {str(k): str(v) for k, v in (front.get("notes_by_num") or {}).items()}
    support: dict[str, str] = {}
    family_notes: dict[str, str] = {}
    for family, (_, pairs) in FAMILIES.items():
        status, note = _family_support(stats, pairs, notes)
        if status != "u":
            support[family] = status
        if note:
            family_notes[family] = note
    feature: dict[str, Any] = {
        "title": str(front.get("title", slug)).strip(),
        "category": str(front.get("category", "")),
        "match": _matches(slug, str(front.get("title", ""))),
        "support": support,
    }
    if family_notes:
        feature["notes"] = family_notes
    return feature


def _family_support(
    stats: dict[str, Any],
    pairs: tuple[tuple[str, str], ...],
    notes: dict[str, str],
) -> tuple[str, str]:
    """One status for a family and its note: the newest result of each of
    its platforms, merged. Unknown platforms are left out; a mix is partial,
    and its note names the platforms without support. A "y" has no note."""
    found: dict[str, str] = {}
    for client, platform in pairs:
        versions = (stats.get(client) or {}).get(platform) or {}
        if versions:
            # caniemail lists versions oldest first; its site shows the last.
            found[platform] = str(list(versions.values())[-1]).strip()
    known = {p: s for p, s in found.items() if s[:1] != "u"}
    letters = {s[:1] for s in known.values()}
    if not letters:
        return "u", ""
    texts: list[str] = []
    if len(letters) > 1 and "n" in letters:
        lacking = [PLATFORM_NAMES.get(p, p) for p, s in known.items() if s[:1] == "n"]
        texts.append("not on " + ", ".join(lacking))
    for status in known.values():
        for num in re.findall(r"#(\d+)", status):
            text = _shorten(notes.get(num, ""))
            if text and text not in texts:
                texts.append(text)
    status = letters.pop() if len(letters) == 1 else "a"
    return status, "" if status == "y" else "; ".join(texts)


def _shorten(note: str) -> str:
    note = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", note)  # a Markdown link's text
    note = " ".join(note.replace("`", "").split()).rstrip(".")
    if len(note) <= NOTE_LIMIT:
        return note
    return note[: NOTE_LIMIT - 3].rsplit(" ", 1)[0].rstrip(",;:") + "..."


def _matches(slug: str, title: str) -> list[str]:
    """What of an email counts as using a feature, as ``kind:name`` strings."""
    if slug in MATCHES:
        return MATCHES[slug]
    kind, _, rest = slug.partition("-")
    title = title.strip()
    prefixes = (
        ("at-media-", "media:"),
        ("at-", "at-rule:"),
        ("pseudo-class-", "pseudo-class:"),
        ("pseudo-element-", "pseudo-element:"),
        ("selector-", "selector:"),
        ("function-", "function:"),
        ("unit-", "unit:"),
    )
    if kind == "css":
        for prefix, matcher in prefixes:
            if rest.startswith(prefix):
                return [matcher + rest.removeprefix(prefix)]
        if title.endswith("()"):
            return ["function:" + title[:-2]]
        return ["property:" + rest]  # css-max-width, css-color-scheme...
    if kind == "image":
        return ["image:" + rest]
    if kind == "html":
        element = ELEMENT_TITLE.match(title)
        if element and element[2]:
            return [f"element:{element[1]}[type={element[2]}]"]
        if element or title == rest:  # "<base>", "address"
            return ["element:" + (element[1] if element else rest)]
        attribute = ATTRIBUTE_TITLE.match(title)
        if attribute:
            return ["attribute:" + attribute[1]]
    raise SystemExit(f"{slug}: no rule says what it matches; add it to MATCHES")


if __name__ == "__main__":
    main(sys.argv[1:])
