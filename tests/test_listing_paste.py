"""A listing as people really paste it (issue 12): the page's heading first,
numbers as "1.", "1)" or "1", a link on its own line; and `--dry-run`
naming the titles it would add, update or reject."""

from __future__ import annotations

import io
import json

import pytest

from enews.collect import detect_format
from enews.collect.listing import read_listing
from tests.helpers_cli import Run, ok

# Fixtures, found by pytest under these names (``as``: a deliberate re-export).
from tests.helpers_cli import initialised as initialised
from tests.helpers_cli import run as run
from tests.helpers_cli import ws as ws

PASTED = """\
News and events
The latest from the cooperative movement.

1) News
A regional forum opens in Nairobi
27 November 2020
https://coop.example/news/forum
Two days, 300 delegates.

2
ILO COOP 100 Interview
https://coop.example/interviews/lucia
Lucía Ramírez on a century of co-operatives
24 November 2020

3. Article
Housing cooperatives after the pandemic
4 November 2020
"""


def read(text: str) -> tuple[list[dict[str, str]], list[str]]:
    warnings: list[str] = []
    records = read_listing(
        io.BytesIO(text.encode()), source="paste.txt", warn=warnings.append
    )
    found = []
    for record in records:
        assert record.problem == "", record
        found.append(record.fields)
    return found, warnings


def test_a_pasted_page_with_its_heading_numbers_and_links():
    found, warnings = read(PASTED)
    assert warnings == [
        "paste.txt:1: skipped the text before the first numbered item "
        "('News and events'...)"
    ]
    assert found == [
        {
            "kind": "News",
            "title": "A regional forum opens in Nairobi",
            "date": "27 November 2020",
            "url": "https://coop.example/news/forum",
            "summary": "Two days, 300 delegates.",
        },
        {
            "kind": "ILO COOP 100 Interview",
            "url": "https://coop.example/interviews/lucia",  # before the title too
            "title": "Lucía Ramírez on a century of co-operatives",
            "date": "24 November 2020",
        },
        {
            "kind": "Article",
            "title": "Housing cooperatives after the pandemic",
            "date": "4 November 2020",
        },
    ]


@pytest.mark.parametrize("number", ["7.", "7)", "7", "  7 "])
def test_every_numbering_opens_a_block(number):
    found, warnings = read(f"{number}\nNews\nA title\n2 June 2021\n")
    assert found == [{"kind": "News", "title": "A title", "date": "2 June 2021"}]
    assert warnings == []


@pytest.mark.parametrize(
    "line", ["2020", "1.5 million members joined", "12 new co-ops", "7 News"]
)
def test_a_summary_line_starting_with_a_number_stays_text(line):
    found, _ = read(f"1. News\nA title\n2 June 2021\n{line}\n")
    assert found[0]["summary"] == line


def test_only_a_line_that_is_a_whole_address_is_the_link():
    found, _ = read(
        "1. News\nA title\n2 June 2021\nRead it at https://coop.example/a today.\n"
    )
    assert "url" not in found[0]


def test_dry_run_names_what_it_would_add_update_and_reject(
    run: Run, initialised, tmp_path
):
    paste = tmp_path / "paste.txt"
    paste.write_text(PASTED, encoding="utf-8")
    ok(run("import", str(paste), "--kind", "News"))
    changed = PASTED.replace("Two days, 300 delegates.", "Three days.")
    changed += "\n4. News\nA brand new story\n1 December 2020\n"
    changed += "\n5. News\nNo date for this one\n"
    paste.write_text(changed, encoding="utf-8")
    result = run("import", str(paste), "--dry-run")
    lines = result.stdout.splitlines()
    at = {line: n for n, line in enumerate(changed.splitlines(), start=1)}
    where = str(paste)
    assert f"would add ({where}:{at['4. News']}): A brand new story" in lines
    assert f"would reject ({where}:{at['5. News']}): No date for this one" in lines
    forum = "A regional forum opens in Nairobi"
    assert f"would update item 1 ({where}:{at['1) News']}): {forum}: summary" in lines
    assert lines[-1].endswith(
        "1 added, 1 updated, 2 unchanged, 1 invalid (dry run: nothing written)"
    )
    assert result.exit_code == 1  # an invalid record: not ready to import
    report = json.loads(run("import", str(paste), "--dry-run", "--json").stdout)
    assert [a["title"] for a in report["additions"]] == ["A brand new story"]
    assert [r["title"] for r in report["rejections"]] == ["No date for this one"]


@pytest.mark.parametrize(
    "head",
    [PASTED.encode(), b"2\nNews\nT\n1 June 2021\n", b"Our page\n\n1) News\nT\n"],
)
def test_a_pasted_listing_is_detected_after_its_heading(head):
    assert detect_format(head, name="paste") == "listing"


def test_a_csv_is_still_a_csv_when_a_field_holds_a_numbered_line():
    head = b'kind,title,date,summary\nNews,T,2021-06-01,"Two points:\n1. one\n"\n'
    assert detect_format(head, name="paste") == "csv"
