"""The "clients" check: caniemail's data looked up for what an email uses."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from importlib.resources import files
from pathlib import Path

import pytest

from enews.errors import EnewsError
from enews.publish.clientsupport import (
    DEFAULT_FAMILIES,
    FALLBACKS,
    client_support,
    family_names,
)
from enews.publish.emailfeatures import email_features
from tests.conftest import REPO

# caniemail's whole _features folder, when this machine has it (beside the
# repository); a few of its files are kept in tests/data for every machine.
SHARED = next(
    (p for p in (REPO.parent / "shared" / "data" / "caniemail",
                 Path("/work/shared/data/caniemail")) if (p / "LICENSE").is_file()),
    None,
)  # fmt: skip
SAMPLE = REPO / "tests" / "data" / "caniemail"
DATA = files("enews").joinpath("data")

# Preheader hidden the way the templates hide it, and a dark palette.
HEAD = """<!doctype html><html lang="en"><head><title>T</title>
<meta name="color-scheme" content="light dark">
<style>@media (prefers-color-scheme: dark) { .card { background: #111 !important } }
.card:hover { color: red } [data-ogsc] .card { color: #eee }</style></head>"""
PREHEADER = (
    '<div style="display:none;max-height:0;max-width:0;overflow:hidden;'
    'mso-hide:all;opacity:0">Preview text</div>'
)


def _email(body: str) -> str:
    return f"{HEAD}<body>{PREHEADER}{body}</body></html>"


HAND_WRITTEN = _email(
    "<div class='card' style=\"background-image:url('https://example.com/bg.png');"
    'padding:12px">'
    '<p style="position:absolute;margin:0">Hello</p></div>'
)


def _lines(check, prefix):
    return [d for d in check.details if d.startswith(prefix + ":")]


@pytest.fixture(scope="module")
def demo_html(tmp_path_factory):
    from enews.compose.demo import load_demo
    from enews.publish.build import build_issue
    from enews.workspace import Workspace, init_workspace

    root = tmp_path_factory.mktemp("demo") / "ws"
    init_workspace(root)
    ws = Workspace(root)
    with ws.transaction() as session:
        load_demo(session)
        html = build_issue(session, "2020-10", settings=ws.settings, workspace=ws.root)
    ws.close()
    return html.html


def test_the_demo_issue_warns_only_for_what_has_no_fallback(demo_html):
    check = client_support(demo_html)
    assert check.name == "clients"
    warned = [d for d in check.details if "fallback:" not in d]
    assert warned == []
    assert check.status == "pass"
    assert check.message.endswith("each with a fallback")
    # Lacking, but covered: dark mode, @media, the preheader's ways of hiding.
    for slug, reason in (
        ("css-at-media-prefers-color-scheme", "the light design is the default"),
        ("html-meta-color-scheme", "the light design is the default"),
        ("css-at-media", "the inline styles give a fluid layout"),
        ("css-opacity", "hidden in several ways at once"),
        ("css-max-height", "hidden in several ways at once"),
        ("css-word-spacing", "set to the value it has anyway"),
        # MJML's word-break:break-word and the article's aria-label: Yahoo
        # drops both, harmlessly.
        ("css-word-break", "text still wraps between words"),
        ("html-aria-label", "a screen-reader label; the text reads the same"),
    ):
        (line,) = _lines(check, slug)
        assert line.endswith("fallback: " + reason), line


def test_the_check_is_fast_once_loaded(demo_html):
    client_support(demo_html)  # loads the snapshot and cssutils
    start = time.perf_counter()
    client_support(demo_html)
    assert time.perf_counter() - start < 0.1


def test_a_hand_written_email_is_warned_for_what_families_lack():
    check = client_support(HAND_WRITTEN)
    assert check.status == "warn"
    assert _lines(check, "css-background-image") == [
        "css-background-image: Outlook Windows (no)"
    ]
    assert _lines(check, "css-position") == [
        "css-position: Gmail (no), Outlook Windows (no)"
    ]
    assert check.message.startswith("2 features lack support without a fallback")
    assert check.message.endswith("in 2 of 6 client families")


def test_a_feature_with_a_fallback_is_not_warned():
    check = client_support(_email('<p style="margin:0">Hi</p>'))
    assert check.status == "pass", check.details
    assert re.fullmatch(
        r"\d+ features checked in 6 client families; "
        r"\d+ lack support in some, each with a fallback",
        check.message,
    )
    covered = {d.split(":")[0] for d in check.details}
    # dark mode (meta and @media), the preheader's opacity, <style>-only rules
    assert {
        "html-meta-color-scheme",
        "css-at-media-prefers-color-scheme",
        "css-opacity",
        "css-pseudo-class-hover",
        "css-selector-attribute",
    } <= covered
    assert all("fallback:" in d for d in check.details)


def test_the_same_feature_without_its_fallback_is_warned():
    # opacity outside the hidden preheader has no fallback in Outlook
    check = client_support(_email('<p style="opacity:0.8">Hi</p>'))
    assert _lines(check, "css-opacity") == ["css-opacity: Outlook Windows (no)"]
    # word-spacing:normal changes nothing where it is ignored; 2px does
    spaced = client_support(_email('<p style="word-spacing:2px">Hi</p>'))
    assert _lines(spaced, "css-word-spacing") == [
        "css-word-spacing: Outlook Windows (no)"
    ]
    normal = client_support(_email('<p style="word-spacing:normal">Hi</p>'))
    assert (
        "fallback: set to the value it has anyway"
        in _lines(normal, "css-word-spacing")[0]
    )
    # a preheader hidden only by display:none and opacity: nothing for Outlook
    bare = HEAD + '<body><div style="display:none;opacity:0">P</div></body></html>'
    assert _lines(client_support(bare), "css-opacity") == [
        "css-opacity: Outlook Windows (no)"
    ]


def test_families_limit_the_report():
    check = client_support(HAND_WRITTEN, ["gmail"])
    assert check.status == "warn"
    assert check.message.endswith("in 1 of 1 client family")
    assert _lines(check, "css-background-image") == []  # Gmail shows it
    assert _lines(check, "css-position") == ["css-position: Gmail (no)"]
    assert all("Outlook" not in d and "Yahoo" not in d for d in check.details)
    wider = client_support(HAND_WRITTEN, ["Outlook-Windows ", "windows-mail"])
    assert _lines(wider, "css-background-image") == [
        "css-background-image: Outlook Windows (no), Windows Mail (no)"
    ]


@pytest.mark.parametrize("families", [["gmail", "hotmail"], [], [" "]])
def test_an_unknown_family_is_refused_with_the_valid_names(families):
    with pytest.raises(EnewsError) as error:
        client_support(HAND_WRITTEN, families)
    message = str(error.value)
    assert "\n" not in message
    assert "valid: gmail, outlook-windows, outlook-com" in message
    if families:
        assert ("'hotmail'" in message) == ("hotmail" in families)


def test_every_default_family_is_a_valid_name():
    assert set(DEFAULT_FAMILIES) <= set(family_names())
    assert len(family_names()) >= 15


def test_email_features_names_what_is_used_and_where():
    html = _email(
        '<a href="mailto:a@example.com">m</a><a href="#top">t</a>'
        '<img src="https://example.com/a.webp" alt="" style="height:auto">'
        '<table align="center"><tr><td style="width:calc(100% - 2em)">x</td></tr>'
        "</table>"
    )
    html = html.replace(
        "</style>",
        "@font-face { font-family: X; src: url(x.woff) } "
        "td.pad > p + p { color: rgba(0,0,0,.5) }</style>",
    )
    found = email_features(html)
    expected = {
        "html:doctype": {"html"},
        "link:mailto": {"html"},
        "link:anchor": {"html"},
        "image:webp": {"html"},
        "attribute:align": {"html"},
        "meta:color-scheme": {"html"},
        "media:prefers-color-scheme": {"media"},
        "at-rule:media": {"style"},
        "at-rule:font-face": {"style"},
        "pseudo-class:hover": {"style"},
        "selector:attribute": {"style"},
        "selector:chaining": {"style"},
        "selector:child": {"style"},
        "selector:adjacent-sibling": {"style"},
        "function:rgba": {"style"},
        "function:calc": {"inline"},
        "unit:em": {"inline"},
        "value:display:none": {"hidden"},
        "property:mso-hide": {"hidden"},
        "property:height": {"initial"},  # height:auto, and no height attribute
    }
    for name, places in expected.items():
        assert found.get(name) == places, name


def test_an_import_is_named_but_never_fetched():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        html = HEAD.replace(
            "<style>", f"<style>@import url(http://127.0.0.1:{port}/a.css);"
        )
        found = email_features(html + "<body><p>x</p></body></html>")
        server.settimeout(0.2)
        with pytest.raises(TimeoutError):  # nobody connected
            server.accept()
    assert found["at-rule:import"] == {"style"}


def test_a_broken_email_still_gets_a_report():
    for html in ("", "<p style='color:'>", "<style>@media {{{ p { x</style>", "\x00"):
        assert client_support(html).name == "clients"


def test_the_snapshot_is_valid_and_carries_its_licence():
    data = json.loads(DATA.joinpath("caniemail.json").read_text(encoding="utf-8"))
    assert data["source"].startswith("caniemail")
    assert data["snapshot_date"] >= "2025-01-01"
    assert "caniemail-LICENSE" in data["licence"]
    families = data["families"]
    assert families["outlook-windows"]["platforms"] == ["outlook windows"]
    assert len(data["features"]) >= 300
    for slug, feature in data["features"].items():
        assert set(feature) <= {"title", "category", "match", "support", "notes"}
        assert feature["title"] and feature["category"], slug
        assert all(":" in m for m in feature["match"]), slug
        assert set(feature["support"]) <= set(families), slug
        assert set(feature["support"].values()) <= {"y", "n", "a"}, slug
    licence = DATA.joinpath("caniemail-LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License")
    assert "Rémi Parmentier" in licence


def test_every_fallback_names_real_features():
    slugs = set(json.loads(DATA.joinpath("caniemail.json").read_text())["features"])
    for fallback in FALLBACKS:
        assert set(fallback.features) - {"*"} <= slugs, fallback


@pytest.mark.skipif(SHARED is None, reason="caniemail's _features folder is not here")
def test_the_refresh_script_writes_the_shipped_snapshot(tmp_path):
    done = subprocess.run(
        [sys.executable, str(REPO / "tools" / "refresh_caniemail.py"), str(SHARED),
         "--out", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for name in ("caniemail.json", "caniemail-LICENSE"):
        assert (tmp_path / name).read_bytes() == DATA.joinpath(name).read_bytes()


def test_the_refresh_script_gives_the_shipped_entries_of_real_files(tmp_path):
    done = subprocess.run(
        [sys.executable, str(REPO / "tools" / "refresh_caniemail.py"), str(SAMPLE),
         "--out", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    made = json.loads((tmp_path / "caniemail.json").read_text())["features"]
    shipped = json.loads(DATA.joinpath("caniemail.json").read_text())["features"]
    assert set(made) == {"css-display", "css-word-break", "html-aria-label"}
    for slug, entry in made.items():
        assert entry == shipped[slug], slug


def test_the_refresh_script_stops_on_yaml_it_does_not_read(tmp_path):
    source = tmp_path / "features"
    source.mkdir()
    (source / "LICENSE").write_text("MIT License\n")
    (source / "css-x.md").write_text(
        '---\ntitle: "x"\ncategory: css\nstats:\n  - gmail\n---\n', encoding="utf-8"
    )
    done = subprocess.run(
        [sys.executable, str(REPO / "tools" / "refresh_caniemail.py"), str(source),
         "--out", str(tmp_path / "out")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "css-x.md:5" in done.stderr
    assert not (tmp_path / "out" / "caniemail.json").exists()
