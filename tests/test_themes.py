"""Themes: a folder of brand defaults and replacement templates."""

from __future__ import annotations

import pytest

from enews.config import ConfigError, load_settings
from enews.publish.build import build_issue
from tests.factories import make_issue, make_item


def configure(workspace, toml: str):
    (workspace.root / "enews.toml").write_text(toml, encoding="utf-8")
    return load_settings(workspace.root)


def build(session, workspace, settings):
    make_item(session, title="Forum opens", date="2020-10-05")
    make_issue(session)
    return build_issue(session, "2020-10", settings=settings, workspace=workspace.root)


def test_bold_theme_brings_its_colours_font_and_header(session, workspace):
    settings = configure(workspace, 'theme = "bold"\n')
    assert settings.brand.primary == "#14532d"
    assert settings.font_family.startswith("Georgia")
    html = build(session, workspace, settings).html
    assert "background-color:#14532d" in html
    assert "font-size:30px" in html  # the theme's own header partial
    assert "Forum opens" in html  # the rest comes from the base templates


def test_enews_toml_brand_wins_over_the_theme(session, workspace):
    settings = configure(workspace, 'theme = "bold"\n[brand]\nprimary = "#123456"\n')
    assert settings.brand.primary == "#123456"
    assert settings.brand.accent == "#fef3c7"  # the rest from the theme


def test_workspace_theme_missing_a_colour_is_named(workspace):
    folder = workspace.root / "templates" / "themes" / "mine"
    folder.mkdir(parents=True)
    (folder / "theme.toml").write_text('[brand]\nprimary = "#000000"\n')
    with pytest.raises(ConfigError, match=r"no brand\.accent colour"):
        configure(workspace, 'theme = "mine"\n')


def test_unknown_theme_is_named(workspace):
    with pytest.raises(ConfigError, match="no theme 'nosuch'"):
        configure(workspace, 'theme = "nosuch"\n')


def test_workspace_file_beats_the_packaged_theme(session, workspace):
    settings = configure(workspace, 'theme = "bold"\n')
    partials = workspace.root / "templates" / "partials"
    partials.mkdir(parents=True)
    (partials / "header.mjml.j2").write_text(
        "<mj-section><mj-column><mj-text>Our own header</mj-text>"
        "</mj-column></mj-section>"
    )
    html = build(session, workspace, settings).html
    assert "Our own header" in html and "font-size:30px" not in html


def test_a_new_workspace_takes_its_theme_colours_and_font(tmp_path):
    # enews init writes the brand colours and font commented out, so that
    # choosing a theme in enews.toml shows that theme.
    from enews.config import load_settings
    from enews.workspace import init_workspace

    init_workspace(tmp_path / "ws")
    toml = tmp_path / "ws" / "enews.toml"
    default = load_settings(tmp_path / "ws")
    toml.write_text(toml.read_text().replace('theme = "default"', 'theme = "bold"'))
    bold = load_settings(tmp_path / "ws")
    assert (bold.brand.primary, bold.font_family.split(",")[0]) == (
        "#14532d",
        "Georgia",
    )
    assert default.brand.primary == "#1f5f8b" and default.theme == "default"
