"""Colour contrast of the bundled themes, light and dark (WCAG 2.x, 4.5:1)."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

import pytest

from enews.colours import contrast
from enews.config import PACKAGED_TEMPLATES, Brand, load_settings
from enews.publish.bundle_check import check_contrast, colour_pairs

THEMES = sorted(p.name for p in (PACKAGED_TEMPLATES / "themes").iterdir())


def theme_brand(tmp_path: Path, theme: str) -> Brand:
    (tmp_path / "enews.toml").write_text(f'theme = "{theme}"\n')
    return load_settings(tmp_path).brand


def test_contrast_formula_matches_known_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("theme", THEMES)
def test_every_text_colour_pair_of_a_theme_reaches_4_5_light_and_dark(theme, tmp_path):
    brand = theme_brand(tmp_path, theme)
    pairs = colour_pairs(brand)
    assert any(name.startswith("dark") for name in pairs)
    for name, (fg, bg) in pairs.items():
        assert contrast(fg, bg) >= 4.5, f"{theme}: {name} is {contrast(fg, bg):.2f}:1"
    assert check_contrast(brand).status == "pass"


def test_the_bold_theme_has_its_own_dark_links(tmp_path):
    default, bold = (theme_brand(tmp_path, t) for t in ("default", "bold"))
    assert bold.dark_primary != default.dark_primary  # not the default's blue


def test_the_default_theme_file_matches_the_built_in_defaults():
    data = tomllib.loads((PACKAGED_TEMPLATES / "themes/default/theme.toml").read_text())
    given = {f.name: getattr(Brand(), f.name) for f in dataclasses.fields(Brand)}
    assert data["brand"] == {k: v for k, v in given.items() if k in data["brand"]}
    assert set(given) - set(data["brand"]) == {"logo_url", "logo_width"}


def test_a_dark_colour_set_too_close_fails_the_check(tmp_path):
    (tmp_path / "enews.toml").write_text('[brand]\ndark_muted = "#3a4650"\n')
    check = check_contrast(load_settings(tmp_path).brand)
    assert check.status == "fail"
    assert any("dark dates and footer on surface" in d for d in check.details)


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
