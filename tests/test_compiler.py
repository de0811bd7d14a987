"""render/compiler.py: what mjml-python would garble in an attribute reaches
the HTML unchanged (as a character reference), and CSS stays as it is."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html  # type: ignore[import-untyped]

from enews.render.compiler import compile_mjml

DOC = (
    "<mjml><mj-head><mj-title>{text}</mj-title><mj-style>p {{ color: #123456 }}"
    "</mj-style></mj-head><mj-body><mj-section><mj-column>"
    '<mj-image src="https://e.example/a.jpg" alt="{text}"/>'
    '<mj-text><p title="{text}">{text}</p></mj-text>'
    "</mj-column></mj-section></mj-body></mjml>"
)


@pytest.mark.parametrize(
    "text",
    [
        "Cafe\u0301",  # an accent as macOS writes it (NFD)
        "\u2764\ufe0f and a\u200db",  # a variation selector, a zero-width joiner
        "\u0928\u092e\u0938\u094d\u0924\u0947",  # Hindi: combining vowel signs
        "a\\b",  # a backslash
        "x\u00a0y\u2003z",  # spaces other than the ASCII one
        "Zoë Ødegaard 総会",  # plain letters: left as they are
    ],
)
def test_attributes_and_text_keep_every_character(text):
    page = lxml_html.document_fromstring(compile_mjml(DOC.format(text=text)).encode())
    assert [img.get("alt") for img in page.iter("img")] == [text]
    assert page.find(".//p[@title]").get("title") == text
    assert page.find(".//p[@title]").text_content() == text
    assert page.find(".//title").text_content() == text


def test_style_blocks_are_left_alone():
    html = compile_mjml(DOC.format(text="x"))
    assert "color: #123456" in html
