"""The render -> compile -> inline -> export pipeline, with the real mjml-python
and the real premailer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from enews.config import Settings
from enews.errors import CompileError, TemplateError
from enews.publish.build import build_from_view, build_issue, write_bundle
from enews.render.compiler import compile_mjml
from enews.render.inliner import inline_css
from enews.render.view import IssueView, ItemView, SectionView
from tests.factories import make_issue, make_item

MERGE_TAGS = [
    "*|UNSUB|*",  # Mailchimp
    "{{ UnsubscribeURL }}",  # listmonk
    "{{unsubscribe}}",  # Brevo
    "{{{unsubscribe}}}",  # SendGrid
    "%unsubscribe_url%",  # Mailgun
]


def a_view(**overrides: object) -> IssueView:
    item = ItemView(
        id=1,
        kind="News",
        title="Forum <script>alert(1)</script> & more",
        url="https://coop.example/a?x=1&y=2",
        date="29 October 2020",
        iso_date="2020-10-29",
        paragraphs=("First <b>para</b>.", "Second para."),
        image_url="https://coop.example/a.jpg",
        image_alt="Delegates in a hall",
    )
    values: dict[str, object] = {
        "slug": "2020-10",
        "title": "October issue",
        "period": "2020-10",
        "period_name": "October 2020",
        "subject": "October news",
        "preheader": "Forums, field notes and interviews",
        "intro": ("Hello readers.",),
        "featured": None,
        "sections": (SectionView("News", "News", (item,)),),
    }
    values.update(overrides)
    return IssueView(**values)  # type: ignore[arg-type]


def build(view: IssueView, settings: Settings | None = None, ws: Path | None = None):
    return build_from_view(view, settings=settings or Settings(), workspace=ws)


def test_item_text_is_escaped_not_interpreted():
    html = build(a_view()).html
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
    assert "First &lt;b&gt;para&lt;/b&gt;." in html
    assert 'href="https://coop.example/a?x=1&amp;y=2"' in html


def test_html_has_the_email_essentials():
    html = build(a_view()).html
    assert html.startswith("<!doctype html>\n<html")
    assert re.search(r'<html lang="en"', html)
    assert "<title>October news</title>" in html
    assert 'role="presentation"' in html
    assert 'name="color-scheme" content="light dark"' in html
    # the hidden preheader is first in the body and not white-on-white
    body = html.split("<body", 1)[1]
    preheader = re.search(r'<div style="display:none[^"]*">([^<]*)', body)
    assert preheader and preheader[1].startswith("Forums, field notes and interviews")
    assert "color:#ffffff" not in preheader[0]
    assert 'alt="Delegates in a hall"' in html
    assert 'width="552"' in html  # premailer must not rewrite image widths


def test_media_queries_survive_with_important():
    html = build(a_view()).html
    assert "@media only screen and (max-width: 480px)" in html
    assert "padding-left: 16px !important" in html
    assert "@media (prefers-color-scheme: dark)" in html


def test_marked_css_is_inlined_and_its_block_dropped():
    html = build(a_view(intro=("Hi.",))).html
    assert "enews:inline" not in html
    source = (
        '<!doctype html><html><head><style type="text/css">/* enews:inline */\n'
        ".summary a { color: #123456; }</style>"
        '<style type="text/css">.x { color: red; }</style></head>'
        '<body><div class="summary"><a href="https://e.org">x</a></div></body></html>'
    )
    out = inline_css(source)
    assert '<a href="https://e.org" style="color:#123456">' in out
    assert ".x { color: red; }" in out  # unmarked blocks stay verbatim
    assert "/* enews:inline */" not in out


@pytest.mark.parametrize("tag", MERGE_TAGS)
def test_merge_tags_in_href_survive_byte_for_byte(tag):
    settings = Settings(unsubscribe_url=tag)
    bundle = build(a_view(), settings)
    escaped = tag.replace("&", "&amp;").replace('"', "&#34;")
    assert f'href="{escaped}"' in bundle.html
    assert f"Unsubscribe: {tag}" in bundle.text


def test_non_ascii_urls_are_not_percent_encoded():
    html = inline_css('<html><body><a href="https://e.org/Zoë Ó">x</a></body></html>')
    assert 'href="https://e.org/Zoë Ó"' in html


def test_premailer_is_quiet(capfd):
    build(a_view())
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_items_without_url_or_summary_render_plainly():
    bare = ItemView(1, "News", "No link here", None, "1 October 2020", "2020-10-01",
                    (), None, None)  # fmt: skip
    bundle = build(a_view(sections=(SectionView("News", "News", (bare,)),)))
    assert re.search(r"<h3[^>]*>No link here</h3>", bundle.html)
    assert 'class="summary"' not in bundle.html
    assert "No link here\n1 October 2020\n" in bundle.text


def test_text_part_wraps_at_78_and_keeps_urls_whole():
    long_url = "https://coop.example/" + "very-long-path-segment/" * 6
    item = ItemView(1, "News", "T " * 60, long_url, "1 October 2020", "2020-10-01",
                    ("word " * 100,), None, None)  # fmt: skip
    text = build(a_view(sections=(SectionView("News", "News", (item,)),))).text
    assert long_url in text.splitlines()
    assert all(len(line) <= 78 for line in text.splitlines() if "://" not in line)


def test_workspace_template_overrides_one_file(tmp_path):
    (tmp_path / "templates" / "partials").mkdir(parents=True)
    (tmp_path / "templates" / "partials" / "footer.mjml.j2").write_text(
        "<mj-section><mj-column><mj-text>Custom footer</mj-text></mj-column>"
        "</mj-section>",
        encoding="utf-8",
    )
    html = build(a_view(), ws=tmp_path).html
    assert "Custom footer" in html
    assert "October issue" in html  # the rest still comes from the package


def test_template_syntax_error_names_file_and_line(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "issue.txt.j2").write_text("ok\n{% if %}\n")
    with pytest.raises(TemplateError, match=r"issue\.txt\.j2:2"):
        build(a_view(), ws=tmp_path)


def test_undefined_variable_is_an_error_not_blank(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "issue.txt.j2").write_text("{{ issue.nonexistent }}")
    with pytest.raises(TemplateError, match="nonexistent"):
        build(a_view(), ws=tmp_path)


def test_invalid_mjml_is_a_compile_error():
    with pytest.raises(CompileError, match="MJML"):
        compile_mjml("<mjml><mj-body><mj-section></mjml>")


def test_build_is_deterministic_and_export_is_atomic(session, workspace):
    make_item(session, title="Only item", date="2020-10-05")
    make_issue(session)
    first = build_issue(session, "2020-10", settings=Settings(), workspace=None)
    folder = write_bundle(first, workspace.issues_dir)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    again = build_issue(session, "2020-10", settings=Settings(), workspace=None)
    write_bundle(again, workspace.issues_dir)
    after = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert before == after
    # no temp files left
    assert sorted(after) == ["index.html", "index.txt", "manifest.json", "message.eml"]


def test_failed_build_leaves_previous_bundle(session, workspace):
    make_item(session, title="Only item", date="2020-10-05")
    make_issue(session)
    bundle = build_issue(session, "2020-10", settings=Settings(), workspace=None)
    folder = write_bundle(bundle, workspace.issues_dir)
    old = (folder / "index.html").read_bytes()
    (workspace.root / "templates" / "issue.mjml.j2").write_text("<mjml><mj-body>")
    with pytest.raises(CompileError):
        build_issue(session, "2020-10", settings=Settings(), workspace=workspace.root)
    assert (folder / "index.html").read_bytes() == old


def test_wrap_fills_greedily_and_never_breaks_a_word():
    from enews.render.templates import wrap

    url = "https://e.org/" + "x" * 90
    text = f"A co-op of   cooperative\tmembers,\nsee {url} for the long-form report."
    assert wrap(text, 30) == (
        "A co-op of cooperative\n"  # "members," would make 31
        "members, see\n"
        f"{url}\n"  # longer than the width, on a line of its own
        "for the long-form report."
    )
    assert wrap("four long-form", 10) == "four\nlong-form"  # not "four long-"
    assert wrap(text, 30, "  ").splitlines()[:2] == [
        "  A co-op of cooperative",
        "  members, see",
    ]
    assert wrap("four five!", 10) == "four five!"  # exactly the width fits
    assert wrap("four five!", 9) == "four\nfive!"


def test_wrap_collapses_spaces_and_handles_tiny_widths():
    from enews.render.templates import wrap

    assert wrap("") == wrap(" \n\t ") == ""
    assert wrap("one\xa0two  three") == "one two three"  # any whitespace is one space
    assert wrap("ab cd ef", 2, "  ") == "  ab\n  cd\n  ef"  # no room: a word per line
    assert wrap("fits one line", 78, "  ") == "  fits one line"  # indented too
    assert wrap("", 78, "  ") == ""  # nothing: not even the indent


def test_wrap_lines_fit_unless_a_word_cannot():
    import itertools
    import random

    from enews.render.templates import wrap

    rng = random.Random(7)
    words = ["a", "co-op", "cooperative", "members,", "é", "https://e.org/" + "x" * 90]
    for _ in range(300):
        chosen = [rng.choice(words) for _ in range(rng.randint(0, 60))]
        for indent in ("", "  "):
            lines = wrap(" ".join(chosen), 78, indent).splitlines()
            assert [w for line in lines for w in line.split()] == chosen
            for line in lines:
                assert line.startswith(indent)
                assert len(line) <= 78 or " " not in line.strip()
            for line, after in itertools.pairwise(lines):
                # greedy: the next line's first word would not have fitted
                assert len(line) + 1 + len(after.split()[0]) > 78


def test_logo_from_settings_replaces_the_name_line():
    from enews.config import Brand

    brand = Brand(logo_url="https://coop.example/logo.png", logo_width=140)
    html = build(a_view(), Settings(name="Co-op Weekly", brand=brand)).html
    logo = re.search(r'<img [^>]*src="https://coop.example/logo.png"[^>]*>', html)
    assert logo and 'alt="Co-op Weekly"' in logo[0] and 'width="140"' in logo[0]
    assert "Co-op Weekly</p>" not in html  # no text masthead beside the logo


def test_brand_colours_reach_the_html():
    from enews.config import Brand

    html = build(a_view(), Settings(brand=Brand(primary="#123456"))).html
    assert "#123456" in html
    assert "#1f5f8b" not in html


def test_cli_start_up_imports_no_heavy_modules():
    import subprocess
    import sys

    code = (
        "import sys, enews.cli; heavy = ('sqlalchemy', 'premailer', 'mjml', "
        "'jinja2', 'alembic', 'lxml'); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"  # keeps `enews --help` well under 0.2 s


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("October issue", "October issue, 2020"),
        ("October 2020 issue", "October 2020 issue"),
        ("Co-op News", "Co-op News: October 2020"),
    ],
)
def test_default_subject(title, expected):
    from enews.render.view import default_subject

    assert default_subject(title, "October 2020") == expected


def test_attribute_token_text_in_item_text_is_left_alone():
    item = ItemView(1, "News", 'enews-attr-0-x and href="enews-attr-0-x"',
                    "https://coop.example/a", "1 October 2020", "2020-10-01",
                    (), None, None)  # fmt: skip
    html = build(a_view(sections=(SectionView("News", "News", (item,)),))).html
    assert "enews-attr-0-x and href=&#34;enews-attr-0-x&#34;</a>" in html


RICH = (
    '<p>One <a href="https://coop.example/{{ x }}">link</a></p>'
    "<ul><li>a</li><li><strong>b</strong></li></ul><ol><li>c</li></ol>"
)


def rich_view():
    from markupsafe import Markup

    items = tuple(
        ItemView(
            n,
            "News",
            f"Rich {n}",
            None,
            "1 October 2020",
            "2020-10-01",
            (),
            None,
            None,
            summary_html=Markup(RICH),
        )
        for n in range(3)
    )
    return a_view(sections=(SectionView("News", "News", items),))


def styles_under_rich(html: str) -> list[tuple[str, str | None]]:
    from lxml import html as lxml_html  # type: ignore[import-untyped]

    doc = lxml_html.fromstring(html)
    return [(el.tag, el.get("style")) for el in doc.xpath("//div[@class='rich']//*")]


def test_rich_only_inlining_styles_what_whole_document_premailer_styles():
    """The fast path (premailer on the summaries alone) puts the same inline
    styles on the same elements as premailer on the whole email."""
    from enews.render.inliner import _inline_document
    from enews.render.templates import render_mjml, template_dirs

    settings = Settings()
    raw = compile_mjml(
        render_mjml(rich_view(), settings=settings, dirs=template_dirs(None))
    )
    fast, whole = inline_css(raw), _inline_document(raw)
    assert styles_under_rich(fast) == styles_under_rich(whole)
    assert ("a", "color:#1f5f8b; text-decoration:underline") in styles_under_rich(fast)
    assert len(styles_under_rich(fast)) == 3 * 8
    assert "{{ x }}" in fast  # merge tags in hrefs survive byte for byte
    assert "enews:inline" not in fast and ".rich p" not in fast


@pytest.mark.parametrize(
    ("css", "fast"),
    [
        (".rich p { margin: 0 } .rich a, .rich li { color: red }", True),
        ("/* note */ .rich ul { margin: 0 }", True),
        (".rich p { margin: 0 } h3 { color: red }", False),
        (".richer p { margin: 0 }", False),
        ("@media (max-width: 10px) { .rich p { margin: 0 } }", False),
        ("", False),
    ],
)
def test_only_rules_scoped_to_rich_take_the_fast_path(css, fast):
    from enews.render.inliner import _only_rich_rules

    assert _only_rich_rules(css) is fast


def test_a_template_with_rules_of_its_own_is_inlined_whole():
    html = (
        "<!doctype html><html><head><style>/* enews:inline */ h3 { color: red; }"
        '</style></head><body><h3>Title</h3><div class="rich"><p>x</p></div>'
        "</body></html>"
    )
    out = inline_css(html)
    assert '<h3 style="color:red">Title</h3>' in out
