"""Colour contrast as WCAG 2.x measures it: the one formula enews uses.

The checks (``publish/check_send.py``) hold a theme's colour pairs to it;
the tests measure the built email in Chromium with the same numbers.
"""

from __future__ import annotations

AA_TEXT = 4.5  # WCAG AA for body text
AA_LARGE = 3.0  # 24px and over, or 18.66px bold


def luminance(colour: str) -> float:
    """Relative luminance of ``#rrggbb``."""

    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """The contrast ratio of two ``#rrggbb`` colours, 1 to 21."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
