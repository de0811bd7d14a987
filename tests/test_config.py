"""Settings from enews.toml: defaults, a full file, and every kind of bad value."""

from __future__ import annotations

import re

import pytest

from enews.config import Brand, Settings, load_settings, settings_from_dict
from enews.errors import ConfigError

FULL_TOML = """\
name = "Weekly Bee"
organisation = "Bee Keepers Co-op"
postal_address = "2 Hive Lane, 3000 Leuven, Belgium"
sender_name = "The Bee"
sender_email = "bee@example.net"
base_url = "https://bee.example.net"
language = "nl"
font_family = "Georgia, serif"
unsubscribe_url = "*|UNSUB|*"

[sections]
order = ["Interview", "News"]
headings = { Interview = "Conversations", Podcast = "Listen" }

[brand]
primary = "#112233"
accent = "#AABBCC"
text = "#000000"
muted = "#555555"
background = "#ffffff"
logo_url = "https://bee.example.net/logo.png"
logo_width = 200
"""


def write_config(tmp_path, text):
    path = tmp_path / "enews.toml"
    path.write_text(text, encoding="utf-8")
    return path


def config_error(tmp_path, text) -> str:
    write_config(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path)
    return str(info.value)


def test_defaults_when_file_absent(tmp_path):
    settings = load_settings(tmp_path)
    assert settings == Settings()
    assert settings.name == "Co-op News"
    assert settings.section_order == ("News", "Article", "Interview")
    assert settings.base_url is None
    assert settings.brand == Brand()
    assert settings.brand.primary == "#1f5f8b"
    assert settings.brand.logo_width == 120


def test_the_generated_default_config_equals_the_defaults(workspace):
    # init_workspace writes a commented enews.toml; it must mean "all defaults".
    assert (workspace.root / "enews.toml").exists()
    assert load_settings(workspace.root) == Settings()


def test_full_file_is_read(tmp_path):
    write_config(tmp_path, FULL_TOML)
    settings = load_settings(tmp_path)
    assert settings.name == "Weekly Bee"
    assert settings.organisation == "Bee Keepers Co-op"
    assert settings.postal_address == "2 Hive Lane, 3000 Leuven, Belgium"
    assert settings.sender_name == "The Bee"
    assert settings.sender_email == "bee@example.net"
    assert settings.base_url == "https://bee.example.net"
    assert settings.language == "nl"
    assert settings.font_family == "Georgia, serif"
    assert settings.unsubscribe_url == "*|UNSUB|*"
    assert settings.section_order == ("Interview", "News")
    assert settings.brand == Brand(
        primary="#112233",
        accent="#AABBCC",
        text="#000000",
        muted="#555555",
        background="#ffffff",
        logo_url="https://bee.example.net/logo.png",
        logo_width=200,
    )


def test_partial_file_keeps_other_defaults(tmp_path):
    write_config(tmp_path, 'name = "Only Name"\n[brand]\nprimary = "#000000"\n')
    settings = load_settings(tmp_path)
    assert settings.name == "Only Name"
    assert settings.sender_email == Settings().sender_email
    assert settings.section_order == Settings().section_order
    assert settings.brand.primary == "#000000"
    assert settings.brand.accent == Brand().accent


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('nmae = "typo"\n', "unknown key nmae"),
        ('section_order = ["News"]\n', "unknown key section_order"),
        ("[brand]\ncolour = '#000000'\n", "unknown key brand.colour"),
        ("[sections]\nordre = ['News']\n", "unknown key sections.ordre"),
    ],
)
def test_unknown_key_is_named(tmp_path, text, key):
    message = config_error(tmp_path, text)
    assert key in message
    assert str(tmp_path / "enews.toml") in message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("primary", "blue"),
        ("accent", "#12345"),
        ("text", "#fff"),  # short form is not accepted
        ("muted", "#gggggg"),
        ("background", "1f5f8b"),
    ],
)
def test_bad_colour_names_brand_field(tmp_path, field, value):
    message = config_error(tmp_path, f'[brand]\n{field} = "{value}"\n')
    assert f"brand.{field} must be a colour" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name = 3\n", "name must be str"),
        ("language = true\n", "language must be str"),
        ("[brand]\nlogo_width = '120'\n", "brand.logo_width must be int"),
        ("[brand]\nlogo_width = true\n", "brand.logo_width must be int"),
        ("[brand]\nprimary = 1\n", "brand.primary must be"),
        ("[brand]\nlogo_url = 5\n", "brand.logo_url must be str"),
        ('brand = "red"\n', "[brand] must be a table"),
        ("sections = 1\n", "[sections] must be a table"),
        ("[sections]\norder = 'News'\n", "sections.order must be a list"),
        ("[sections]\norder = ['News', 1]\n", "sections.order must be a list"),
        ("[sections]\nheadings = { News = 1 }\n", "sections.headings must map"),
        ("[sections]\nheadings = ['News']\n", "sections.headings must map"),
    ],
)
def test_wrong_type_is_named(tmp_path, text, expected):
    assert expected in config_error(tmp_path, text)


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('base_url = "example.org/news"', "base_url"),
        ('base_url = "ftp://example.org/"', "base_url"),
        ('base_url = "https://"', "base_url"),
        ('base_url = "mailto:news@example.org"', "base_url"),
        ('unsubscribe_url = "javascript:alert(1)"', "unsubscribe_url"),
        ('unsubscribe_url = "/leave"', "unsubscribe_url"),
        ("unsubscribe_url = 'https://e.org/\" onclick=\"x'", "unsubscribe_url"),
        ('unsubscribe_url = "https://e.org/a b"', "unsubscribe_url"),
        ("unsubscribe_url = '{{ unsub \"x\" }}'", "unsubscribe_url"),  # a tag with "
    ],
)
def test_urls_written_into_every_email_are_checked(tmp_path, line, key):
    message = config_error(tmp_path, line + "\n")
    assert f"{key} must be an absolute http(s)" in message


def test_good_urls_are_accepted(tmp_path):
    (tmp_path / "enews.toml").write_text(
        'base_url = "https://example.org/news"\n'
        'unsubscribe_url = "mailto:news@example.org?subject=Unsubscribe"\n'
    )
    settings = load_settings(tmp_path)
    assert settings.base_url == "https://example.org/news"
    assert settings.unsubscribe_url.startswith("mailto:")


def test_broken_toml_names_the_path(tmp_path):
    message = config_error(tmp_path, 'name = "unterminated\n')
    assert message.startswith(f"{tmp_path / 'enews.toml'}: ")


def test_non_utf8_file_is_a_config_error(tmp_path):
    path = tmp_path / "enews.toml"
    path.write_bytes(b'name = "caf\xe9"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path)
    assert str(path) in str(info.value)


def test_settings_from_dict_names_its_source():
    with pytest.raises(ConfigError, match=r"^custom\.toml: unknown key nope$"):
        settings_from_dict({"nope": 1}, source="custom.toml")


def test_section_rank_configured_first_then_a_to_z_case_insensitive():
    kinds = ["Podcast", "zine", "Interview", "event", "News", "Article", "Blog"]
    ordered = sorted(kinds, key=Settings().section_rank)
    assert ordered == [
        "News",
        "Article",
        "Interview",
        "Blog",
        "event",
        "Podcast",
        "zine",
    ]


def test_section_rank_follows_configured_order(tmp_path):
    write_config(tmp_path, FULL_TOML)
    settings = load_settings(tmp_path)
    ordered = sorted(
        ["News", "Article", "Interview", "Podcast"], key=settings.section_rank
    )
    assert ordered == ["Interview", "News", "Article", "Podcast"]


def test_empty_section_order_sorts_everything_a_to_z():
    settings = settings_from_dict({"sections": {"order": []}})
    assert sorted(["News", "article", "Interview"], key=settings.section_rank) == [
        "article",
        "Interview",
        "News",
    ]


def test_heading_for_defaults():
    settings = Settings()
    assert settings.heading_for("Article") == "Articles"
    assert settings.heading_for("Interview") == "Interviews"
    assert settings.heading_for("News") == "News"
    assert settings.heading_for("Podcast") == "Podcast"  # unknown kind: itself


def test_heading_for_overrides_merge_with_defaults(tmp_path):
    write_config(tmp_path, FULL_TOML)
    settings = load_settings(tmp_path)
    assert settings.heading_for("Interview") == "Conversations"
    assert settings.heading_for("Podcast") == "Listen"
    assert settings.heading_for("Article") == "Articles"  # default kept
    assert settings.heading_for("News") == "News"


def test_default_headings_are_not_shared_between_settings():
    first = Settings()
    first.headings["Article"] = "Changed"
    assert Settings().heading_for("Article") == "Articles"


ALIASES = """
[sections.aliases]
"ILO COOP 100 Interview" = "Interview"
interview = "Interviews"
"press release" = "News"
"Q&A" = "Interview"
"""


@pytest.mark.parametrize(
    ("kind", "section"),
    [
        ("ILO COOP 100 Interview", "Interview"),  # the exact name
        ("ilo coop 100 interview", "Interview"),  # case ignored
        ("Partner Interview", "Interview"),  # a keyword, by its heading
        ("INTERVIEW", "Interview"),
        ("Press release", "News"),
        ("Joint press release", "News"),
        ("Q&A", "Interview"),
        ("Interviewer notes", "Interviewer notes"),  # whole words only
        ("Podcast", "Podcast"),  # no alias: its own section, as before
        ("News", "News"),
    ],
)
def test_section_aliases_map_free_text_kinds_to_a_section(tmp_path, kind, section):
    write_config(tmp_path, ALIASES)
    assert load_settings(tmp_path).section_for(kind) == section


def test_the_longest_keyword_wins():
    settings = settings_from_dict(
        {
            "sections": {
                "aliases": {"interview": "Interview", "video interview": "Video"}
            }
        }
    )
    assert settings.section_for("Our video interview") == "Video"
    assert settings.section_for("Our interview") == "Interview"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[sections]\naliases = ['News']\n", "sections.aliases must map kinds"),
        ("[sections.aliases]\nx = 1\n", "sections.aliases must map kinds"),
        ('[sections.aliases]\n" " = "News"\n', "sections.aliases keys and sections"),
        ('[sections.aliases]\nx = "a\\u0001"\n', "sections.aliases.x: holds a control"),
    ],
)
def test_bad_section_aliases_name_the_key(tmp_path, text, message):
    write_config(tmp_path, text)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings(tmp_path)
