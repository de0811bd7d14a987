"""Dates as editors write them: parse_date, parse_month, month_bounds, display."""

from __future__ import annotations

import datetime as dt

import pytest

from enews.dates import long_date, month_bounds, month_name, parse_date, parse_month
from enews.errors import ValidationError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-10-29", dt.date(2020, 10, 29)),
        ("2020-1-5", dt.date(2020, 1, 5)),
        ("  2020-10-29\n", dt.date(2020, 10, 29)),
        ("29 October 2020", dt.date(2020, 10, 29)),
        ("29 october 2020", dt.date(2020, 10, 29)),
        ("29 OCTOBER 2020", dt.date(2020, 10, 29)),
        ("29 Oct 2020", dt.date(2020, 10, 29)),
        ("29 Oct. 2020", dt.date(2020, 10, 29)),
        ("1 Jan 2021", dt.date(2021, 1, 1)),
        ("5 December 2019", dt.date(2019, 12, 5)),
        ("29 Feb 2020", dt.date(2020, 2, 29)),  # leap year
    ],
)
def test_parse_date_accepts_iso_and_written_forms(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "31 February 2020",
        "2020-02-31",
        "2021-02-29",  # not a leap year
        "29 Feb 2021",
        "2020-13-01",
        "2020-00-10",
        "2020-04-31",
        "32 October 2020",
        "0 October 2020",
    ],
)
def test_impossible_dates_name_the_field(text):
    with pytest.raises(ValidationError) as info:
        parse_date(text, field="published")
    assert info.value.field == "published"
    assert str(info.value).startswith("published: ")
    assert "not a valid date" in info.value.problem


def test_field_defaults_to_date():
    with pytest.raises(ValidationError) as info:
        parse_date("31 February 2020")
    assert info.value.field == "date"


@pytest.mark.parametrize(
    "text",
    ["", "   ", "yesterday", "October 29 2020 x", "29/10/2020", "20-10-29", "2020-10"],
)
def test_garbage_text_is_rejected_with_an_example(text):
    with pytest.raises(ValidationError) as info:
        parse_date(text)
    assert info.value.field == "date"
    assert "2020-10-29" in info.value.problem


def test_unknown_month_name_is_reported():
    with pytest.raises(ValidationError) as info:
        parse_date("29 Octember 2020")
    assert info.value.field == "date"
    assert "Octember" in info.value.problem


@pytest.mark.parametrize(
    ("text", "expected"), [("2020-10", "2020-10"), (" 2021-01 ", "2021-01")]
)
def test_parse_month_accepts_and_normalises(text, expected):
    assert parse_month(text) == expected


@pytest.mark.parametrize(
    "text", ["2020-13", "2020-00", "2020-1", "October", "2020-10-01", "", "10-2020"]
)
def test_parse_month_rejects(text):
    with pytest.raises(ValidationError) as info:
        parse_month(text)
    assert info.value.field == "month"
    assert "2020-10" in info.value.problem


def test_parse_month_names_the_given_field():
    with pytest.raises(ValidationError) as info:
        parse_month("2020-13", field="period")
    assert info.value.field == "period"


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        ("2020-10", dt.date(2020, 10, 1), dt.date(2020, 11, 1)),
        ("2020-11", dt.date(2020, 11, 1), dt.date(2020, 12, 1)),
        ("2020-12", dt.date(2020, 12, 1), dt.date(2021, 1, 1)),
        ("2021-01", dt.date(2021, 1, 1), dt.date(2021, 2, 1)),
        ("2020-02", dt.date(2020, 2, 1), dt.date(2020, 3, 1)),
    ],
)
def test_month_bounds(period, start, end):
    assert month_bounds(period) == (start, end)


def test_month_bounds_rejects_a_bad_period():
    with pytest.raises(ValidationError):
        month_bounds("2020-13")


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (dt.date(2020, 10, 29), "29 October 2020"),
        (dt.date(2020, 1, 5), "5 January 2020"),  # no zero padding
        (dt.date(2021, 12, 31), "31 December 2021"),
    ],
)
def test_long_date_round_trips(day, text):
    assert long_date(day) == text
    assert parse_date(text) == day


@pytest.mark.parametrize(
    ("period", "text"),
    [
        ("2020-10", "October 2020"),
        ("2021-01", "January 2021"),
        ("2020-12", "December 2020"),
    ],
)
def test_month_name(period, text):
    assert month_name(period) == text


@pytest.mark.parametrize(
    "text",
    ["29th October 2020", "October 29, 2020", "Oct. 29, 2020", "29 Oct. 2020"],
)
def test_news_page_date_forms(text):
    assert parse_date(text) == dt.date(2020, 10, 29)
