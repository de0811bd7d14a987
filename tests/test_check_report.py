"""The quality report as a whole: any input, however malformed, gives one;
its counts, its dictionary and its printed form."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enews.publish.check import check_issue, format_report
from tests.helpers_check import (
    CHECKS,
    ITEM,
    KB,
    TEXT,
    padded,
    page,
)

# ------------------------------------------------------- malformed and report


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        "<!-- only a comment -->",
        "<html",
        "</html>",
        "<!DOCTYPE>",
        '<?xml version="1.0" encoding="utf-8"?><html><body>x</body></html>',
        "a\x00b<a href='x'>",
        "\ud800<img src=\udfff>",
        '<<<>>><a href="http://[::1">v6</a>',
        "<div>" * 3000 + "deep",
        "<a href=x><img><table><tr><td><p></a></td></b></i>",
        "\x0c\x1b\ufeff",
    ],
)
def test_malformed_html_gives_a_report_not_an_exception(html):
    report = check_issue(html, "\x00\ud800")
    assert tuple(c.name for c in report.checks) == CHECKS
    json.dumps(report.as_dict())
    assert format_report(report)


@settings(max_examples=150, deadline=None)
@given(
    html=st.text(alphabet=st.sampled_from(list("<>/=\"' abdhilmnoprstcfg:&;#!-\x00é"))),
    text=st.text(),
)
def test_any_input_gives_a_report(html, text):
    report = check_issue(html, text, placeholders=[text])
    assert len(report.checks) == len(CHECKS)


def test_report_ok_failures_warnings_and_as_dict():
    warned = check_issue(padded(page(), 95 * KB), TEXT)
    assert warned.ok
    assert [c.name for c in warned.warnings] == ["size"]
    assert warned.failures == ()
    failed = check_issue(page(ITEM + "<script></script>"), TEXT)
    assert not failed.ok
    data = json.loads(json.dumps(failed.as_dict()))
    assert data["ok"] is False
    assert data["counts"] == {"pass": 7, "warn": 0, "fail": 1}
    safety = next(c for c in data["checks"] if c["name"] == "safety")
    assert safety["status"] == "fail"
    assert safety["details"] == ["<script>"]
    with pytest.raises(KeyError):
        failed.get("spelling")


def test_format_report_one_aligned_line_per_check_and_a_summary():
    report = check_issue(padded(page(ITEM + '<a href="a.html">A</a>'), 95 * KB), TEXT)
    lines = format_report(report).splitlines()
    assert re.fullmatch(
        r"WARN size +95\.0 KB of HTML; remove about \d+ items to get under 90 KB",
        lines[0],
    )
    assert re.fullmatch(r"FAIL links +1 link is not absolute http\(s\), .*", lines[1])
    assert lines[2].strip() == 'href="a.html"'
    # Details start in the message column.
    assert len(lines[2]) - len(lines[2].lstrip()) == lines[1].index("1 link")
    assert lines[3].startswith("PASS item-links ")
    assert lines[4].startswith("PASS images ")
    assert lines[-1] == "1 failed, 1 warned, 6 passed"


def test_format_report_shows_ten_details_then_how_many_more():
    links = "".join(f'<a href="n{i}.html">{i}</a>' for i in range(13))
    lines = format_report(check_issue(page(ITEM + links), TEXT)).splitlines()
    start = lines.index(next(x for x in lines if x.startswith("FAIL links")))
    shown = lines[start + 1 : start + 12]
    assert [x.strip() for x in shown[:10]] == [f'href="n{i}.html"' for i in range(10)]
    assert shown[10].strip() == "... and 3 more"
    assert lines[start + 12].startswith("PASS item-links")
