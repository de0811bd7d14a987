"""Colour contrast of the bundled themes, light and dark (WCAG 2.x, 4.5:1)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from enews.config import PACKAGED_TEMPLATES

THEMES = sorted(p.name for p in (PACKAGED_TEMPLATES / "themes").iterdir())
DARK_CSS = (PACKAGED_TEMPLATES / "partials" / "styles.mjml.j2").read_text()


def luminance(colour: str) -> float:
    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_formula_matches_known_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("theme", THEMES)
def test_every_text_colour_pair_of_a_theme_reaches_4_5(theme):
    brand = tomllib.loads(
        (Path(PACKAGED_TEMPLATES) / "themes" / theme / "theme.toml").read_text()
    )["brand"]
    pairs = {
        "text on white": (brand["text"], "#ffffff"),
        "links and headings on white": (brand["primary"], "#ffffff"),
        "dates and footer on white": (brand["muted"], "#ffffff"),
        "footer on the page background": (brand["muted"], brand["background"]),
        "featured text on accent": (brand["text"], brand["accent"]),
        "featured date on accent": (brand["muted"], brand["accent"]),
        "links on accent": (brand["primary"], brand["accent"]),
        "header text on primary": ("#ffffff", brand["primary"]),
        "hidden preheader (text colour) on page": (brand["text"], brand["background"]),
        "item rule is decoration, text on it": (brand["text"], "#ffffff"),
    }
    for name, (fg, bg) in pairs.items():
        assert contrast(fg, bg) >= 4.5, f"{theme}: {name} is {contrast(fg, bg):.2f}:1"


def test_dark_palette_keeps_contrast():
    dark = dict(
        re.findall(
            r"\.(card|featured|page)[^{]*\{ background: (#[0-9a-f]{6})", DARK_CSS
        )
    )
    text = re.search(r"\.card div[^{]*\{ color: (#[0-9a-f]{6})", DARK_CSS)[1]
    link = re.search(r"\.card a[^{]*\{ color: (#[0-9a-f]{6})", DARK_CSS)[1]
    muted = re.search(r"\.meta[^{]*\{ color: (#[0-9a-f]{6})", DARK_CSS)[1]
    for bg in dark.values():
        for fg in (text, link, muted):
            assert contrast(fg, bg) >= 4.5, f"{fg} on {bg}: {contrast(fg, bg):.2f}:1"


# -- sizes and meta tags, in the real build of the demo issue ---------------------

_FONT_SIZE = re.compile(r"font-size:\s*(\d+(?:\.\d+)?)px")


def _built_demo(tmp_path: Path) -> str:
    from enews.compose.demo import load_demo
    from enews.publish.build import build_issue
    from enews.workspace import Workspace, init_workspace

    init_workspace(tmp_path / "ws")
    ws = Workspace(tmp_path / "ws")
    with ws.transaction() as session:
        load_demo(session)
        html = build_issue(
            session, "2020-10", settings=ws.settings, workspace=ws.root
        ).html
    ws.close()
    return html


def _size_of(element) -> float | None:
    """The font size a text is shown at: the nearest style that sets one."""
    for node in (element, *element.iterancestors()):
        found = _FONT_SIZE.search(node.get("style") or "")
        if found:
            return float(found[1])
    return None


def _hidden(element) -> bool:
    return any(
        "display:none" in (n.get("style") or "")
        for n in (element, *element.iterancestors())
    )


def test_every_visible_text_is_at_least_14px(tmp_path):
    from lxml import html as lxml_html

    page = lxml_html.document_fromstring(_built_demo(tmp_path).encode())
    small = [
        (element.tag, " ".join(element.text_content().split())[:40], size)
        for element in page.body.iter()
        if isinstance(element.tag, str)
        and (element.text or "").strip()
        and not _hidden(element)
        and (size := _size_of(element)) is not None
        and size < 14
    ]
    assert small == []


def test_apple_mail_and_ios_are_told_not_to_reformat(tmp_path):
    html = _built_demo(tmp_path)
    assert '<meta name="x-apple-disable-message-reformatting"' in html
    assert re.search(
        r'<meta name="format-detection" content="telephone=no[^"]*date=no', html
    )
