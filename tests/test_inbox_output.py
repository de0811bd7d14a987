"""The built email as inboxes read it: Outlook-safe item cells, heading
order, title before date, a linked title told apart without colour, the
reading direction, the intro's Markdown and the dark-mode hooks.

Each test builds the real demo issue (Jinja2 -> mjml-python -> premailer).
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from lxml import html as lxml_html

from enews.compose.demo import load_demo
from enews.compose.issues import set_fields
from enews.publish.build import Bundle, build_issue
from enews.workspace import Workspace, init_workspace


def build_demo(tmp_path: Path, toml: str = "", **fields: str) -> Bundle:
    """The demo issue built with ``toml`` as enews.toml (and issue fields)."""
    root = tmp_path / "ws"
    init_workspace(root)
    (root / "enews.toml").write_text(toml, encoding="utf-8")
    ws = Workspace(root)
    try:
        with ws.transaction() as session:
            load_demo(session)
            if fields:
                set_fields(session, "2020-10", **fields)
            return build_issue(
                session, "2020-10", settings=ws.settings, workspace=ws.root
            )
    finally:
        ws.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    return build_demo(tmp_path_factory.mktemp("demo"))


def doc_of(bundle: Bundle):
    return lxml_html.document_fromstring(bundle.html.encode())


def items(doc) -> list:
    return [e for e in doc.iter() if "item" in (e.get("class") or "").split()]


# -- Outlook desktop ------------------------------------------------------------


def test_item_spacing_and_separators_are_on_table_cells(demo):
    cells = items(doc_of(demo))
    assert len(cells) == len(demo.view.items) - 1  # the featured one has its own
    assert {cell.tag for cell in cells} == {"td"}
    for cell in cells:
        assert "padding:" in cell.get("style")
    assert sum("border-bottom:" in c.get("style") for c in cells) == len(cells) - len(
        demo.view.sections
    )  # a rule between items, none after a section's last


def test_no_div_or_paragraph_of_an_item_carries_padding_or_a_border(demo):
    for cell in items(doc_of(demo)):
        for inner in cell.iter("div", "p"):
            style = inner.get("style") or ""
            assert "padding" not in style and "border" not in style, style


# -- structure a screen reader hears -------------------------------------------


def test_headings_go_down_one_level_at_a_time(demo):
    levels = [int(h.tag[1]) for h in doc_of(demo).iter("h1", "h2", "h3", "h4")]
    assert levels[0] == 1 and 3 in levels
    jumps = [b for a, b in itertools.pairwise(levels) if b > a + 1]
    assert jumps == [], levels


def test_each_title_comes_before_its_date(demo):
    doc = doc_of(demo)
    titles = [*doc.find_class("lead"), *(next(c.iter("h3")) for c in items(doc))]
    assert len(titles) == len(demo.view.items)
    for title in titles:
        following = title.getnext()
        assert following is not None and "meta" in following.get("class"), (
            title.text_content()
        )


# -- links told apart without colour -------------------------------------------


def test_linked_titles_are_underlined_by_default(demo):
    doc = doc_of(demo)
    linked = [a for h in doc.iter("h2", "h3") for a in h.iter("a")]
    assert len(linked) == sum(1 for i in demo.view.items if i.url) > 0
    for a in linked:
        assert "text-decoration:underline" in a.get("style")
    assert "Read more" not in demo.html


def test_read_more_links_when_the_setting_names_one(tmp_path):
    bundle = build_demo(tmp_path, 'read_more = "Continue reading"\n')
    doc = doc_of(bundle)
    more = [a for a in doc.iter("a") if a.text_content() == "Continue reading"]
    linked = [i for i in bundle.view.items if i.url]
    assert [a.get("href") for a in more] == [i.url for i in linked]
    for a in more:
        assert "text-decoration:underline" in a.get("style")
    for heading in doc.iter("h2", "h3"):
        for a in heading.iter("a"):
            assert "text-decoration:none" in a.get("style")


# -- direction --------------------------------------------------------------------


def test_an_rtl_language_turns_the_whole_email_right_to_left(tmp_path):
    bundle = build_demo(tmp_path, 'language = "ar"\n')
    doc = doc_of(bundle)
    assert doc.get("dir") == "rtl" and doc.get("lang") == "ar"
    assert "direction:ltr" not in bundle.html
    assert "text-align:left" not in bundle.html
    assert bundle.html.count("direction:rtl") > 5
    assert bundle.html.count("text-align:right") > 5


def test_a_left_to_right_build_says_so(demo):
    assert doc_of(demo).get("dir") == "ltr"
    assert "direction:rtl" not in demo.html


@pytest.mark.parametrize(
    ("language", "direction"),
    [("he", "rtl"), ("fa-IR", "rtl"), ("ur", "rtl"), ("ku-Arab", "rtl"),
     ("ku", "ltr"), ("en-GB", "ltr"), ("fr", "ltr")],
)  # fmt: skip
def test_direction_follows_the_language(language, direction):
    from enews.config import Settings

    assert Settings(language=language).direction == direction


def test_item_text_saying_text_align_left_is_left_alone(tmp_path):
    bundle = build_demo(
        tmp_path, 'language = "he"\n', intro="Use text-align:left for code."
    )
    assert "Use text-align:left for code." in bundle.html


# -- the intro is Markdown ------------------------------------------------------


def test_the_intro_takes_markdown_like_summaries(tmp_path):
    intro = (
        "We met **twelve** cooperatives.\n\nRead [the report](https://coop.example/r)"
        " or [this](javascript:alert(1)). <b>raw</b>"
    )
    bundle = build_demo(tmp_path, intro=intro)
    body = bundle.html
    assert "<strong>twelve</strong>" in body
    assert '<a href="https://coop.example/r"' in body
    assert "**" not in body and "](https" not in body
    # markdown-it leaves a javascript: link as the words it was; no link.
    hrefs = [a.get("href") or "" for a in doc_of(bundle).iter("a")]
    assert not [h for h in hrefs if "javascript" in h.lower()]
    assert "<b>raw</b>" not in body and "&lt;b&gt;raw&lt;/b&gt;" in body
    assert "the report <https://coop.example/r>" in bundle.text
    assert "**" not in bundle.text


def test_a_plain_intro_stays_plain_paragraphs(tmp_path):
    bundle = build_demo(tmp_path, intro="One line.\n\nTwo & three.")
    assert bundle.view.intro_html is None
    assert bundle.view.intro == ("One line.", "Two & three.")
    assert "Two &amp; three." in bundle.html


# -- dark mode --------------------------------------------------------------------


def test_dark_rules_for_apple_mail_and_outlook_com_with_the_theme_colours(tmp_path):
    bundle = build_demo(tmp_path, 'theme = "bold"\n')
    css = "".join(doc_of(bundle).xpath("//style/text()"))
    brand = bundle_brand(tmp_path)
    assert re.search(r":root\s*\{\s*color-scheme:\s*light dark", css)
    dark_block = css[css.index("prefers-color-scheme: dark") :]
    for hook in ("[data-ogsc] .card a", "[data-ogsb] .card"):
        assert hook in css
    assert f"color: {brand.dark_primary} !important" in dark_block
    assert "#8cc8f0" not in css  # the default theme's blue
    assert ".card .meta" in css  # dates keep their muted colour


def test_the_footer_is_a_card_that_dark_mode_darkens(demo):
    doc = doc_of(demo)
    foot = doc.find_class("foot")[0]
    section = next(a for a in foot.iterancestors() if "card" in (a.get("class") or ""))
    assert "footer" in section.get("class")


def bundle_brand(tmp_path: Path):
    from enews.config import load_settings

    return load_settings(tmp_path / "ws").brand


def test_an_import_in_the_inlined_block_is_refused_not_fetched(tmp_path):
    import socket

    from enews.config import PACKAGED_TEMPLATES
    from enews.errors import TemplateError

    # A server that takes the connection and never answers: fetching the
    # @import would hang the build.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/theme.css"
        css = (PACKAGED_TEMPLATES / "partials/styles.mjml.j2").read_text()
        css = css.replace(
            "/* enews:inline */", f"/* enews:inline */\n@import url({url});"
        )
        partials = tmp_path / "ws/templates/partials"
        partials.mkdir(parents=True)
        (partials / "styles.mjml.j2").write_text(css)
        with pytest.raises(TemplateError, match="@import"):
            build_demo(tmp_path)
