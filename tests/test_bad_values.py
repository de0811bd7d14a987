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
        ({"title": "Hi [[enews:unsubscribe]]"}, "a token only the templates"),
        ({"url": "https://e.example/" + "a" * 2000}, "longer than 2000"),
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
        ('unsubscribe_mailto = "https://e.example/u"', "unsubscribe_mailto"),
        ('message_to = "not an address"', "message_to"),
        ('message_to = "a@b.org\\r\\nBcc: c@d.org"', "message_to"),
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


# -- line endings: LF, CR LF, and a CR alone (Excel's "CSV (Macintosh)") -------


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_csv_rows_end_at_any_line_ending(ending):
    import io

    from enews.collect.csv_source import read_csv

    text = ending.join(['title,date,summary', 'A,2020-10-01,"one' + ending + 'two"',
                        "B,2020-10-02,x", ""])  # fmt: skip
    found = list(read_csv(io.BytesIO(text.encode()), source="f.csv"))
    assert [(r.line, r.fields["title"]) for r in found] == [(2, "A"), (4, "B")]
    assert found[0].fields["summary"] == f"one{ending}two"


def test_a_crlf_cut_by_a_read_is_one_line_end(monkeypatch):
    import io

    from enews.collect import textio

    monkeypatch.setattr(textio, "CHUNK", 3)
    lines = list(textio.decoded_lines(io.BytesIO(b"ab\r\ncd\r\ref\nx\r"), "f"))
    assert lines == ["ab\r\n", "cd\r", "\r", "ef\n", "x\r"]


def test_a_byte_not_utf8_after_cr_lines_names_its_line():
    import io

    from enews.collect.csv_source import read_csv
    from enews.collect.records import SourceError

    with pytest.raises(SourceError, match=r"^f\.csv:3: not UTF-8 text \(byte 0xff\)"):
        list(read_csv(io.BytesIO(b"title,date\rA,2020-10-01\r\xff"), source="f.csv"))


# -- what the columns hold: PostgreSQL refuses longer text, SQLite does not ----


@pytest.mark.parametrize("field", ["url", "image_url"])
def test_a_link_longer_than_its_column_is_refused(session, field):
    from enews.compose.items import add_item, make_draft

    link = "https://e.org/" + "a" * 2000
    values = {"kind": "News", "title": "T", "date": "2020-10-01", "image_alt": "x"}
    with pytest.raises(ValidationError, match="is 2014 characters, at most 2000"):
        add_item(session, make_draft(**values, **{field: link}))


def test_a_link_as_long_as_its_column_is_stored(session):
    from enews.compose.items import add_item, make_draft

    link = "https://e.org/" + "a" * (2000 - len("https://e.org/"))
    values = {"kind": "News", "title": "T", "date": "2020-10-01", "url": link}
    add_item(session, make_draft(**values))
    session.flush()


@pytest.mark.parametrize("move", [False, True])
def test_a_section_longer_than_its_column_is_refused(session, move):
    from enews.compose.issues import add_to_issue, move_in_issue
    from tests.factories import make_issue, make_item

    item = make_item(session)
    make_issue(session, title="Empty", month="2020-01", slug="empty")
    issue = make_issue(session)
    with pytest.raises(ValidationError) as refused:
        if move:
            move_in_issue(session, issue.slug, item.id, position=1, section="S" * 41)
        else:
            add_to_issue(session, "empty", item.id, section="S" * 41)
    assert refused.value.field == "section"
    assert refused.value.problem == "is 41 characters, at most 40"


@pytest.mark.parametrize(
    ("header", "named"),
    [("kind,title,date,Title", "2 ('title') and 4 ('Title')"),
     ("title,date,url,link", "3 ('url') and 4 ('link')")],
)  # fmt: skip
def test_a_csv_field_in_two_columns_is_refused(header, named):
    """Before, the second column silently won: an empty "Title" column made
    every row's title "required"."""
    import io

    from enews.collect.csv_source import read_csv
    from enews.collect.records import SourceError

    data = f"{header}\nNews,A,2020-10-01,x\n".encode()
    with pytest.raises(SourceError) as refused:
        list(read_csv(io.BytesIO(data), source="f.csv"))
    assert str(refused.value).startswith(f"f.csv:1: columns {named} are both the ")
