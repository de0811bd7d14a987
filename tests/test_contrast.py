"""Contrast of every visible text run of the demo issue, measured in real
Chromium on computed colours (tests/contrast.py): each bundled theme, in
light mode, in dark mode (the email's prefers-color-scheme block) and in a
client's forced dark (web/preview.forced_dark), footer included.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from enews.config import PACKAGED_TEMPLATES
from enews.web.preview import forced_dark
from tests.chromium import launch, needs_chromium
from tests.contrast import describe, low_contrast_runs, measure

pytestmark = needs_chromium
THEMES = sorted(p.name for p in (PACKAGED_TEMPLATES / "themes").iterdir())
MODES = ("light", "dark", "forced-dark")
FOOTER = ("Co-op News Service", "Unsubscribe")  # the demo workspace's footer


@pytest.fixture(scope="module")
def browser():
    yield from launch()


def _built_demo(root: Path, theme: str) -> str:
    """The demo issue as `enews build` writes it, in a workspace on ``theme``."""
    from enews.compose.demo import load_demo
    from enews.publish.build import build_issue
    from enews.workspace import Workspace, init_workspace

    init_workspace(root)
    toml = root / "enews.toml"
    text = toml.read_text()
    assert 'theme = "default"' in text
    toml.write_text(text.replace('theme = "default"', f'theme = "{theme}"', 1))
    ws = Workspace(root)
    try:
        with ws.transaction() as session:
            load_demo(session)
            return build_issue(
                session, "2020-10", settings=ws.settings, workspace=ws.root
            ).html
    finally:
        ws.close()


@pytest.fixture(scope="module")
def emails(tmp_path_factory) -> dict[str, Path]:
    """Each theme's built demo issue as a file, and its forced-dark twin."""
    files = {}
    for theme in THEMES:
        folder = tmp_path_factory.mktemp(f"contrast-{theme}")
        html = _built_demo(folder / "ws", theme)
        (folder / "index.html").write_text(html)
        (folder / "forced-dark.html").write_text(forced_dark(html))
        files[theme] = folder
    return files


def open_email(browser, folder: Path, mode: str):
    name = "forced-dark.html" if mode == "forced-dark" else "index.html"
    # Forced dark happens on a device in dark mode; the email's own dark
    # block must not apply even then.
    scheme = "light" if mode == "light" else "dark"
    page = browser.new_page(viewport={"width": 700, "height": 900}, color_scheme=scheme)
    # Closed network: image requests would only wait to fail.
    page.route("http*://**", lambda route: route.abort())
    page.goto((folder / name).as_uri())
    return page


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("theme", THEMES)
def test_every_visible_text_run_has_enough_contrast(browser, emails, theme, mode):
    page = open_email(browser, emails[theme], mode)
    try:
        runs = measure(page)
        low = low_contrast_runs(page)
    finally:
        page.close()
    shown = " ".join(run["text"] for run in runs)
    assert len(runs) > 30, runs  # the whole issue was measured ...
    assert all(part in shown for part in FOOTER), shown[-400:]  # ... footer too
    assert "forums, field notes" not in shown  # the hidden preheader is not
    assert not low, f"{theme}, {mode}: {len(low)} of {len(runs)} runs too low\n" + (
        describe(low)
    )


SELF_TEST = """<!doctype html><html><body style="margin:0;background:#fff">
<p id="grey" style="color:#999999">Grey on white</p>
<p style="color:#767676">Just enough</p>
<p style="color:#949494;font-size:24px">Large grey</p>
<p style="color:#949494;font-size:19px;font-weight:bold">Large bold grey</p>
<p style="color:#949494;font-size:19px">Not quite large</p>
<div style="background:#1b242b"><p style="color:#33414c">Dark on dark</p></div>
<div style="background:rgba(0,0,0,0.5)"><p style="color:#7f7f7f">Half shade</p></div>
<p style="color:#000;background:#000;display:none">Not displayed</p>
<p style="color:#eee;visibility:hidden">Hidden</p>
<div style="opacity:0"><p style="color:#eee">Transparent</p></div>
<div style="max-height:0;overflow:hidden"><p style="color:#eee">Clipped</p></div>
<p style="color:#eee;font-size:0">Zero size</p>
</body></html>"""


def test_the_measure_reports_low_runs_and_skips_hidden_ones(browser):
    page = browser.new_page()
    try:
        page.set_content(SELF_TEST)
        runs = {run["text"]: run for run in measure(page)}
        low = {run["text"]: run for run in low_contrast_runs(page)}
    finally:
        page.close()
    assert set(runs) == {
        "Grey on white", "Just enough", "Large grey", "Large bold grey",
        "Not quite large", "Dark on dark", "Half shade",
    }  # fmt: skip
    assert set(low) == {
        "Grey on white",
        "Not quite large",
        "Dark on dark",
        "Half shade",
    }
    grey = low["Grey on white"]
    assert grey["ratio"] == pytest.approx(2.85, abs=0.01)
    assert (grey["color"], grey["background"]) == (
        "rgb(153, 153, 153)",
        "rgb(255, 255, 255)",
    )
    assert grey["font_size"] == 16 and grey["threshold"] == 4.5
    assert runs["Just enough"]["ratio"] == pytest.approx(4.54, abs=0.01)
    assert runs["Large grey"]["large"] and runs["Large bold grey"]["large"]
    assert runs["Large grey"]["threshold"] == 3.0
    assert not runs["Not quite large"]["large"]
    # Half-transparent black over white is mid grey, like the text on it.
    assert low["Half shade"]["background"] == "rgb(128, 128, 128)"
    assert low["Half shade"]["ratio"] < 1.1


def test_a_page_without_any_background_is_measured_on_white(browser):
    page = browser.new_page()
    try:
        page.set_content('<p style="color:#999">No background set</p>')
        (run,) = low_contrast_runs(page)
    finally:
        page.close()
    assert run["background"] == "rgb(255, 255, 255)"
    assert run["ratio"] == pytest.approx(2.85, abs=0.01)
