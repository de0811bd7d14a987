"""``enews item`` and ``enews issue``, end to end with click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers_cli import (
    Run,
    add,
    data,
    item_count,
    ok,
    one_line_error,
    section_titles,
)

# Fixtures, found by pytest under these names (``as``: a deliberate re-export).
from tests.helpers_cli import initialised as initialised
from tests.helpers_cli import october as october
from tests.helpers_cli import run as run
from tests.helpers_cli import ws as ws

# ----------------------------------------------------------------------- items


@pytest.mark.parametrize("date", ["2020-10-29", "29 October 2020"])
def test_item_add_json_round_trips(run: Run, initialised: Path, date: str):
    fields = {
        "kind": "Interview",
        "title": "Interview: Zoë Ólafsdóttir on energy co-ops",
        "url": "https://coop.example/interviews/zoe",
        "summary": "First paragraph.\n\nSecond paragraph.",
        "image": "https://coop.example/img/zoe.jpg",
        "image_alt": "Zoë in front of a wind turbine",
    }
    added = data(run("item", "add", "--date", date, "--json", *_opts(fields)))
    assert isinstance(added["id"], int)
    assert added["date"] == "2020-10-29"
    assert {k: added[k] for k in fields} == fields
    assert data(run("item", "show", str(added["id"]), "--json")) == added


def _opts(fields: dict[str, str]) -> list[str]:
    return [arg for k, v in fields.items() for arg in (f"--{k.replace('_', '-')}", v)]


def test_item_add_plain_output(run: Run, initialised: Path):
    out = ok(
        run("item", "add", "--kind", "News", "--title", "Hi", "--date", "2020-10-01")
    ).stdout
    assert out == "added item 1: Hi\n"


def test_item_list_filters_and_order(run: Run, initialised: Path):
    a = add(run, title="Old news", date="2020-09-01", summary="About housing.")
    b = add(run, kind="Article", title="Housing article", date="2020-10-02")
    c = add(run, title="New news", date="2020-10-20")

    everything = data(run("item", "list", "--json"))
    assert [i["id"] for i in everything] == [c["id"], b["id"], a["id"]]  # newest 1st
    assert everything[0] == c

    october = data(run("item", "list", "--month", "2020-10", "--json"))
    assert [i["id"] for i in october] == [c["id"], b["id"]]
    news = data(run("item", "list", "--kind", "news", "--json"))
    assert [i["id"] for i in news] == [c["id"], a["id"]]
    # -q looks in titles and summaries, ignoring case
    housing = data(run("item", "list", "-q", "HOUSING", "--json"))
    assert [i["id"] for i in housing] == [b["id"], a["id"]]
    both = data(run("item", "list", "-q", "housing", "--kind", "News", "--json"))
    assert [i["id"] for i in both] == [a["id"]]
    assert len(data(run("item", "list", "--limit", "1", "--json"))) == 1

    table = ok(run("item", "list", "--month", "2020-10")).stdout.splitlines()
    assert len(table) == 2
    assert "New news" in table[0]
    assert "2020-10-20" in table[0]

    empty = ok(run("item", "list", "--month", "2021-01"))
    assert empty.stdout == ""
    assert "no items match" in empty.stderr
    assert data(run("item", "list", "--month", "2021-01", "--json")) == []


def test_item_list_pages_with_limit_and_after(run: Run, initialised: Path):
    for n in range(7):  # two items a day: the id breaks the tie
        add(run, title=f"Item {n}", date=f"2020-10-{n // 2 + 1:02}")
    everything = [i["id"] for i in data(run("item", "list", "--json"))]
    seen, after, pages = [], [], 0
    while True:
        page = ok(run("item", "list", "--limit", "3", "--json", *after))
        seen += [i["id"] for i in json.loads(page.stdout)]
        pages += 1
        if not page.stderr:
            break
        (hint,) = page.stderr.splitlines()
        assert hint.startswith("more items: --after ")
        after = hint.removeprefix("more items: ").split()
    assert pages == 3 and seen == everything
    one_line_error(run("item", "list", "--after", "soon"), "after", "page position")


def test_item_list_q_finds_non_ascii_capitals(run: Run, initialised: Path):
    item = add(run, title="Interview: Zoë Ólafsdóttir on energy co-ops")
    found = data(run("item", "list", "-q", "Ólafsdóttir", "--json"))
    assert [i["id"] for i in found] == [item["id"]]


def test_item_show(run: Run, initialised: Path):
    item = add(run, title="Forum opens", url="https://coop.example/forum")
    out = ok(run("item", "show", str(item["id"]))).stdout
    assert "title:     Forum opens" in out
    assert "url:       https://coop.example/forum" in out
    assert "image" not in out  # unset fields are not shown
    assert data(run("item", "show", str(item["id"]), "--json")) == item


def test_item_edit_changes_and_clears(run: Run, initialised: Path):
    item = add(
        run,
        title="Old title",
        summary="A summary.",
        url="https://coop.example/a",
        image="https://coop.example/a.jpg",
        image_alt="A photo",
    )
    item_id = str(item["id"])
    out = ok(run("item", "edit", item_id, "--title", "New title")).stdout
    assert "New title" in out
    ok(run("item", "edit", item_id, "--summary", ""))
    ok(run("item", "edit", item_id, "--image", "", "--image-alt", ""))
    shown = data(run("item", "show", item_id, "--json"))
    assert shown["title"] == "New title"
    assert shown["summary"] is None
    assert shown["image"] is None
    assert shown["image_alt"] is None
    # fields that were not given keep their value
    assert shown["url"] == "https://coop.example/a"
    assert shown["date"] == item["date"]
    assert shown["kind"] == "News"


def test_item_edit_date_in_written_form(run: Run, initialised: Path):
    item = add(run, title="Dated")
    ok(run("item", "edit", str(item["id"]), "--date", "1 Nov 2020"))
    assert data(run("item", "show", str(item["id"]), "--json"))["date"] == "2020-11-01"


def test_item_rm_removes_item_and_its_placements(run: Run, october: dict[str, int]):
    before = item_count(run)
    out = ok(run("item", "rm", str(october["news1"]))).stdout
    assert out == "removed 1 item(s)\n"
    assert item_count(run) == before - 1
    one_line_error(run("item", "show", str(october["news1"])), str(october["news1"]))
    issue = data(run("issue", "show", "2020-10", "--json"))
    ids = [i["id"] for s in issue["sections"] for i in s["items"]]
    assert october["news1"] not in ids
    assert len(ids) == 4


# ---------------------------------------------------------------------- issues


def test_issue_new_drafts_the_month(run: Run, october: dict[str, int]):
    issue = data(run("issue", "show", "2020-10", "--json"))
    assert issue["slug"] == "2020-10"  # the month by default
    assert issue["title"] == "October issue"
    assert issue["period"] == "2020-10"
    assert issue["status"] == "draft"
    assert issue["subject"] == "October issue, 2020"  # derived until set
    assert section_titles(issue) == [
        ("News", ["Awards open", "Forum opens"]),
        ("Article", ["Identity at 25", "Savings article"]),
        ("Interview", ["Coffee talk"]),
    ]
    assert [s["heading"] for s in issue["sections"]] == [
        "News",
        "Articles",
        "Interviews",
    ]
    assert not any(i["featured"] for s in issue["sections"] for i in s["items"])


def test_issue_new_plain_output_and_slug(run: Run, october: dict[str, int]):
    out = ok(
        run("issue", "new", "Extra", "--month", "2020-11", "--slug", "nov-extra")
    ).stdout
    assert "nov-extra" in out
    assert "1 item(s)" in out
    issue = data(run("issue", "show", "nov-extra", "--json"))
    assert issue["period"] == "2020-11"
    assert section_titles(issue) == [("News", ["November news"])]


def test_issue_new_other_kinds_follow_configured_ones(run: Run, initialised: Path):
    add(run, kind="Event", title="Assembly", date="2020-10-03")
    add(run, kind="Interview", title="Talk", date="2020-10-04")
    add(run, kind="Award", title="Prize", date="2020-10-05")
    add(run, title="Headline", date="2020-10-01")
    ok(run("issue", "new", "October issue", "--month", "2020-10"))
    issue = data(run("issue", "show", "2020-10", "--json"))
    assert [s["name"] for s in issue["sections"]] == [
        "News",
        "Interview",
        "Award",
        "Event",
    ]


def test_issue_add_remove_move(run: Run, october: dict[str, int]):
    ok(run("issue", "add", "2020-10", str(october["nov"])))
    issue = data(run("issue", "show", "2020-10", "--json"))
    assert section_titles(issue)[0] == (
        "News",
        ["Awards open", "Forum opens", "November news"],  # appended at the end
    )

    ok(run("issue", "move", "2020-10", str(october["nov"]), "--to", "1"))
    issue = data(run("issue", "show", "2020-10", "--json"))
    assert section_titles(issue)[0][1] == [
        "November news",
        "Awards open",
        "Forum opens",
    ]

    ok(
        run(
            "issue",
            "move",
            "2020-10",
            str(october["art1"]),
            "--to",
            "1",
            "--section",
            "Interview",
        )
    )
    issue = data(run("issue", "show", "2020-10", "--json"))
    assert dict(section_titles(issue))["Interview"] == [
        "Savings article",
        "Coffee talk",
    ]
    assert dict(section_titles(issue))["Article"] == ["Identity at 25"]

    out = ok(run("issue", "remove", "2020-10", str(october["news2"]))).stdout
    assert "removed" in out
    issue = data(run("issue", "show", "2020-10", "--json"))
    assert section_titles(issue)[0][1] == ["November news", "Forum opens"]
    # the item itself is kept
    assert (
        data(run("item", "show", str(october["news2"]), "--json"))["id"]
        == (october["news2"])
    )


def test_issue_set_fields_and_featured(run: Run, october: dict[str, int]):
    version = data(run("issue", "show", "2020-10", "--json"))["version"]
    ok(
        run(
            "issue",
            "set",
            "2020-10",
            "--subject",
            "Co-op news, October",
            "--preheader",
            "Forums and interviews",
            "--intro",
            "Two lines.\n\nOf intro.",
            "--featured",
            str(october["int1"]),
        )
    )
    issue = data(run("issue", "show", "2020-10", "--json"))
    assert issue["subject"] == "Co-op news, October"
    assert issue["preheader"] == "Forums and interviews"
    assert issue["intro"] == "Two lines.\n\nOf intro."
    assert issue["status"] == "draft"
    assert issue["version"] > version
    featured = [i["id"] for s in issue["sections"] for i in s["items"] if i["featured"]]
    assert featured == [october["int1"]]

    ok(run("issue", "set", "2020-10", "--featured", str(october["news1"])))
    issue = data(run("issue", "show", "2020-10", "--json"))
    featured = [i["id"] for s in issue["sections"] for i in s["items"] if i["featured"]]
    assert featured == [october["news1"]]  # one featured item at a time

    ok(run("issue", "set", "2020-10", "--no-featured", "--intro", ""))
    issue = data(run("issue", "show", "2020-10", "--json"))
    assert not any(i["featured"] for s in issue["sections"] for i in s["items"])
    assert issue["intro"] is None
    assert issue["subject"] == "Co-op news, October"  # untouched


def test_issue_show_plain(run: Run, october: dict[str, int]):
    ok(run("issue", "set", "2020-10", "--featured", str(october["int1"])))
    out = ok(run("issue", "show", "2020-10")).stdout
    assert out.startswith("October issue (2020-10, 2020-10, draft)")
    assert "Articles" in out
    assert "Coffee talk *featured*" in out
    assert out.index("Awards open") < out.index("Forum opens")


def test_issue_list(run: Run, october: dict[str, int]):
    ok(run("issue", "new", "September issue", "--month", "2020-09"))
    rows = data(run("issue", "list", "--json"))
    assert rows == [
        {
            "slug": "2020-10",
            "title": "October issue",
            "period": "2020-10",
            "status": "draft",
            "items": 5,
        },
        {
            "slug": "2020-09",
            "title": "September issue",
            "period": "2020-09",
            "status": "draft",
            "items": 1,
        },
    ]
    table = ok(run("issue", "list")).stdout.splitlines()
    assert table[0].startswith("2020-10")
    assert "October issue" in table[0]


def test_issue_list_empty(run: Run, initialised: Path):
    assert data(run("issue", "list", "--json")) == []
    assert "no issues yet" in ok(run("issue", "list")).stderr


def test_issue_delete_keeps_items(run: Run, october: dict[str, int]):
    before = data(run("item", "list", "--json"))
    aborted = run("issue", "delete", "2020-10", input="n\n")
    assert aborted.exit_code != 0
    assert data(run("issue", "list", "--json"))  # still there after "n"
    ok(run("issue", "delete", "2020-10", "--yes"))
    assert data(run("issue", "list", "--json")) == []
    assert data(run("item", "list", "--json")) == before
    one_line_error(run("issue", "delete", "2020-10", "--yes"), "2020-10")
