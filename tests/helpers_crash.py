"""Two bundles of one issue, and how to tell which one a folder holds whole,
for the crash tests of builds (tests/test_crash*.py)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from enews.compose.issues import set_fields
from enews.publish.build import Bundle, build_issue
from tests.factories import make_issue, make_item

SLUG = "2020-10"
posix_only = pytest.mark.skipif(os.name != "posix", reason="signals and fork")


def two_bundles(workspace, items: int = 80) -> tuple[Bundle, Bundle]:
    """Bundle A of an issue, then B after a change: what ``enews build``
    writes before and after, computed here."""
    with workspace.transaction() as session:
        for n in range(items):  # a real issue's size: ~150 KB of files
            make_item(session, date=dt.date(2020, 10, n % 28 + 1))
        make_issue(session)
        set_fields(session, SLUG, intro="The first intro.")
    with workspace.transaction() as session:
        first = build(session, workspace)
        set_fields(session, SLUG, intro="A second intro: the next build differs.")
    with workspace.transaction() as session:
        second = build(session, workspace)
    assert first.files() != second.files()
    return first, second


def build(session, workspace) -> Bundle:
    return build_issue(
        session, SLUG, settings=workspace.settings, workspace=workspace.root
    )


def bundle_state(folder: Path, expected: dict[str, Bundle]) -> str:
    """Which bundle ``folder`` holds whole ("A" or "B"), or "missing".

    Anything else (a mix, a short file, a temp file, a missing file) fails.
    """
    if not folder.exists():
        return "missing"
    found = {path.name: path.read_bytes() for path in folder.iterdir()}
    for label, bundle in expected.items():
        if found == bundle.files():
            return label
    raise AssertionError(f"{folder} holds no whole bundle: {describe(found, expected)}")


def describe(found: dict[str, bytes], expected: dict[str, Bundle]) -> str:
    parts = []
    for name, data in sorted(found.items()):
        like = [k for k, b in expected.items() if b.files().get(name) == data]
        parts.append(f"{name} ({len(data)} bytes, {'='.join(like) or 'neither'})")
    return ", ".join(parts)


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))
