"""Debian's chromium for the browser tests, driven by Playwright.

Never `playwright install` (it cannot download here); `make test` installs
the chromium package when it is missing. Without it the tests are skipped.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed"
)
# As root in a container: no sandbox; and nothing that phones home, which
# this machine's closed network would refuse, many times over.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def launch() -> Iterator[Any]:
    """A headless chromium for a module's tests (use in a fixture)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()
