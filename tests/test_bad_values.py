"""Values at the edges: dates outside 1900-2199, ids beyond any row, and
enews.toml values that would reach every email. Each is one line naming
its field or key, never a traceback, and nothing is stored.
"""

from __future__ import annotations

import datetime as dt

import pytest

from enews.config import load_settings
from enews.dates import parse_date, parse_month
from enews.errors import ConfigError, ValidationError
from enews.store.dumprows import BadRow, row_decoder
from enews.store.models import Item
from tests.helpers_cli import Run, add, initialised, item_count, one_line_error, run, ws

__all__ = ["initialised", "run", "ws"]

HUGE_IDS = ["99999999999999999999", str(2**63), str(2**31)]


@pytest.mark.parametrize(
    "text", ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01"]
)
def test_dates_outside_1900_to_2199_are_refused(text):
    with pytest.raises(ValidationError, match="outside the years 1900 to 2199"):
        parse_date(text)


@pytest.mark.parametrize("text", ["1900-01-01", "2199-12-31", "29 October 2020"])
def test_dates_inside_the_span_are_read(text):
    assert 1900 <= parse_date(text).year <= 2199


@pytest.mark.parametrize("text", ["9999-12", "0000-01", "1899-12", "2200-01"])
def test_months_outside_the_span_are_refused(text):
    with pytest.raises(ValidationError) as refused:
        parse_month(text)
    assert refused.value.field == "month"


def test_cli_refuses_an_item_dated_9999(run: Run, initialised):
    result = run(
        "item", "add", "--kind", "News", "--title", "x", "--date", "9999-12-31"
    )
    one_line_error(result, "date:", "9999-12-31")
    assert item_count(run) == 0


@pytest.mark.parametrize("month", ["9999-12", "0000-01"])
def test_cli_months_at_the_edges_are_one_line(run: Run, initialised, month):
    one_line_error(run("issue", "new", "T", "--month", month), "month:")
    one_line_error(run("item", "list", "--month", month), "month:")


@pytest.mark.parametrize("number", HUGE_IDS)
@pytest.mark.parametrize("command", [["show"], ["rm"], ["edit", "--title=x"]])
def test_ids_beyond_any_row_are_not_found(run: Run, initialised, number, command):
    add(run, title="Kept")
    args = [command[0], number, *command[1:]]
    one_line_error(run("item", *args), f"no item with id {number}")
    assert item_count(run) == 1


def test_a_page_position_with_a_huge_id_is_one_line(run: Run, initialised):
    result = run("item", "list", "--after", f"2020-10-01.{2**70}")
    one_line_error(result, "after:")


def test_db_load_refuses_what_the_entry_points_refuse():
    decode = row_decoder(Item.__table__)
    good = {c.key: None for c in Item.__table__.columns}
    good |= {"id": 1, "kind": "News", "title": "t", "title_key": "t"}
    good |= {"published_on": "2020-10-01", "summary_format": "text"}
    good |= {"created_at": "2020-10-01T00:00:00", "updated_at": "2020-10-01T00:00:00"}
    assert decode(good)["published_on"] == dt.date(2020, 10, 1)
    for change, problem in [
        ({"published_on": "9999-12-31"}, "outside the years"),
        ({"title": "a\x00b"}, "U\\+0000"),
        ({"id": 2**63}, "out of range"),
    ]:
        with pytest.raises(BadRow, match=problem):
            decode(good | change)


def config_error(tmp_path, text: str, *, prefix: bytes = b"") -> str:
    (tmp_path / "enews.toml").write_bytes(prefix + text.encode("utf-8"))
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path)
    return str(info.value)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[brand]\nlogo_url = "javascript:alert(1)"', "brand.logo_url"),
        ('[brand]\nlogo_url = "/logo.png"', "brand.logo_url"),
        ('[brand]\nlogo_url = "https://x.org/a\\"onerror=\\"b.png"', "brand.logo_url"),
        ("[brand]\nlogo_width = 0", "brand.logo_width"),
        ("[brand]\nlogo_width = -5", "brand.logo_width"),
        ('font_family = "x;background-image:url(javascript:alert(1))"', "font_family"),
        ('font_family = "Arial\\" onload=\\"x"', "font_family"),
        ('sender_name = "News\\r\\nBcc: all@example.org"', "sender_name must be one"),
        ('sender_email = "a@b.org\\r\\nBcc: c@d.org"', "sender_email"),
        ('sender_email = "not an address"', "sender_email"),
        ('name = "Co\\u0001op"', "name: holds a control character"),
        ('[sections]\nheadings = { News = "N\\u0000" }', "sections"),
        ("a = " + "[" * 5000 + "]" * 5000, "nested too deeply"),
    ],
)
def test_enews_toml_values_name_their_own_key(tmp_path, text, named):
    assert named in config_error(tmp_path, text)


def test_a_font_stack_with_quoted_names_is_accepted(tmp_path):
    (tmp_path / "enews.toml").write_text(
        "font_family = \"'Open Sans', Helvetica, sans-serif\"\n", encoding="utf-8"
    )
    assert load_settings(tmp_path).font_family.startswith("'Open Sans'")


def test_a_utf8_bom_as_notepad_writes_is_accepted(tmp_path):
    (tmp_path / "enews.toml").write_bytes(b'\xef\xbb\xbfname = "Zo\xc3\xab News"\n')
    assert load_settings(tmp_path).name == "Zoë News"


def test_c1_controls_in_enews_toml_become_their_characters(tmp_path):
    (tmp_path / "enews.toml").write_text('greeting = "Hi\\u0085"\n', encoding="utf-8")
    assert load_settings(tmp_path).greeting == "Hi\u2026"
