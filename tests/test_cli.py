"""The ``enews`` command line, end to end with click's CliRunner.

Every test has its own workspace folder and db.sqlite (a real SQLite file);
builds run the real Jinja2 -> mjml-python -> premailer pipeline.
"""

from __future__ import annotations

import html
import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from enews.cli import cli
from enews.store.db import head_revision

REPO = Path(__file__).resolve().parent.parent
SAMPLE_ITEMS = json.loads(
    (REPO / "src/enews/data/sample_items.json").read_text(encoding="utf-8")
)

Run = Callable[..., Result]


# --------------------------------------------------------------------- helpers


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """The workspace folder of this test (not created: commands create it)."""
    return tmp_path / "ws"


@pytest.fixture
def run(ws: Path, database_url: str | None) -> Run:
    """Invoke ``enews -w WS ...`` in-process, blind to the caller's environment;
    on PostgreSQL runs, DATABASE_URL names this test's database."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(
            cli,
            ["-w", str(ws), *args],
            env={"DATABASE_URL": database_url, "ENEWS_WORKSPACE": None},
            input=input,
        )

    return invoke


@pytest.fixture
def initialised(run: Run, ws: Path) -> Path:
    ok(run("init"))
    return ws


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.output, result.exception)
    assert result.exception is None
    return result


def data(result: Result) -> Any:
    return json.loads(ok(result).stdout)


def one_line_error(result: Result, *mentions: str) -> str:
    """Assert the failure convention: non-zero exit, one 'error:' line, no traceback."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("error:"), line
    for word in mentions:
        assert word in line, f"{word!r} not in {line!r}"
    assert result.stdout == ""
    return line


def add(run: Run, **fields: str) -> dict[str, Any]:
    """``enews item add ... --json``; fields use option names (image_alt)."""
    values = {"kind": "News", "date": "2020-10-15"} | fields
    args = [f"--{k.replace('_', '-')}={v}" for k, v in values.items()]
    return data(run("item", "add", *args, "--json"))


def item_count(run: Run) -> int:
    return len(data(run("item", "list", "--json")))


def section_titles(issue: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(s["name"], [i["title"] for i in s["items"]]) for s in issue["sections"]]


@pytest.fixture
def october(run: Run, initialised: Path) -> dict[str, int]:
    """Items from September to November; the October ones drafted as 2020-10."""
    items = [
        ("sept", "News", "September news", "2020-09-30"),
        ("news1", "News", "Forum opens", "2020-10-05"),
        ("art1", "Article", "Savings article", "2020-10-02"),
        ("int1", "Interview", "Coffee talk", "2020-10-07"),
        ("news2", "News", "Awards open", "29 October 2020"),
        ("art2", "Article", "Identity at 25", "2020-10-29"),
        ("nov", "News", "November news", "2020-11-01"),
    ]
    ids = {
        key: add(run, kind=kind, title=title, date=date)["id"]
        for key, kind, title, date in items
    }
    ok(run("issue", "new", "October issue", "--month", "2020-10"))
    return ids


# ------------------------------------------------------------------ workspace


@pytest.mark.sqlite_only  # about db.sqlite itself
def test_init_creates_workspace_and_is_repeatable(run: Run, ws: Path):
    first = ok(run("init"))
    for name in ("enews.toml", "templates", "issues", "db.sqlite"):
        assert (ws / name).exists(), name
    assert (ws / "templates").is_dir()
    assert (ws / "issues").is_dir()
    assert "created" in first.stdout
    with sqlite3.connect(ws / "db.sqlite") as conn:
        (version,) = conn.execute("select version_num from alembic_version").fetchone()
    assert version == head_revision()

    (ws / "enews.toml").write_text('name = "My News"\n', encoding="utf-8")
    second = ok(run("init"))
    assert "created" not in second.stdout
    assert "workspace ready" in second.stdout
    # init never overwrites what the user changed
    assert (ws / "enews.toml").read_text(encoding="utf-8") == 'name = "My News"\n'


def test_db_current_prints_head_after_init(run: Run, initialised: Path):
    head = head_revision()
    out = ok(run("db", "current")).stdout
    assert out.startswith(f"{head} (head {head})")
    assert "up to date" in out


@pytest.mark.sqlite_only  # about db.sqlite itself
def test_schema_is_created_on_first_use(run: Run, ws: Path):
    ws.mkdir()
    add(run, title="First")
    assert (ws / "db.sqlite").is_file()
    assert [i["title"] for i in data(run("item", "list", "--json"))] == ["First"]


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
            "--status",
            "ready",
            "--featured",
            str(october["int1"]),
        )
    )
    issue = data(run("issue", "show", "2020-10", "--json"))
    assert issue["subject"] == "Co-op news, October"
    assert issue["preheader"] == "Forums and interviews"
    assert issue["intro"] == "Two lines.\n\nOf intro."
    assert issue["status"] == "ready"
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


# ---------------------------------------------------------------- build & demo


def test_build_writes_index_files_byte_identically(
    run: Run, ws: Path, october: dict[str, int]
):
    first = ok(run("build", "2020-10"))
    index = (ws / "issues" / "2020-10" / "index.html").resolve()
    assert first.stdout.strip().splitlines()[-1] == str(index)
    assert Path(first.stdout.strip().splitlines()[-1]).is_absolute()
    text = index.with_name("index.txt")
    assert index.is_file()
    assert text.is_file()
    page = html.unescape(index.read_text(encoding="utf-8"))
    for title in ("Awards open", "Forum opens", "Coffee talk", "Identity at 25"):
        assert title in page
        assert title in text.read_text(encoding="utf-8")
    assert "November news" not in page
    assert "5 items" in first.stderr

    before = {p.name: p.read_bytes() for p in (index, text)}
    second = ok(run("build", "2020-10"))
    assert second.stdout == first.stdout
    assert {p.name: p.read_bytes() for p in (index, text)} == before


def test_build_follows_issue_changes(run: Run, ws: Path, october: dict[str, int]):
    ok(run("issue", "set", "2020-10", "--intro", "Hello from the editors."))
    ok(run("issue", "remove", "2020-10", str(october["int1"])))
    ok(run("build", "2020-10"))
    page = html.unescape(
        (ws / "issues" / "2020-10" / "index.html").read_text(encoding="utf-8")
    )
    assert "Hello from the editors." in page
    assert "Coffee talk" not in page


def test_build_out_folder(run: Run, ws: Path, tmp_path: Path, october):
    out = tmp_path / "export"
    result = ok(run("build", "2020-10", "--out", str(out)))
    index = out / "2020-10" / "index.html"
    assert result.stdout.strip().splitlines()[-1] == str(index.resolve())
    assert index.is_file()
    assert not (ws / "issues" / "2020-10").exists()


def test_demo_builds_sample_issue_once(run: Run, ws: Path):
    first = ok(run("demo"))
    index = Path(first.stdout.strip().splitlines()[-1])
    assert index.is_absolute()
    assert index == (ws / "issues" / "2020-10" / "index.html").resolve()
    page = html.unescape(index.read_text(encoding="utf-8"))
    october = [r for r in SAMPLE_ITEMS if r["date"].startswith("2020-10")]
    november = [r for r in SAMPLE_ITEMS if r["date"].startswith("2020-11")]
    assert october
    assert november
    for record in october:
        assert record["title"] in page, record["title"]
    assert "Zoë Ólafsdóttir" in page
    assert not any(r["title"] in page for r in november)
    assert item_count(run) == len(SAMPLE_ITEMS) == 30
    html_bytes = index.read_bytes()

    second = ok(run("demo"))
    assert second.stdout == first.stdout
    assert item_count(run) == 30
    issues = data(run("issue", "list", "--json"))
    assert [i["slug"] for i in issues] == ["2020-10"]
    assert issues[0]["items"] == len(october)
    assert index.read_bytes() == html_bytes


# ------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "args",
    [
        ["build", "nope"],
        ["issue", "show", "nope"],
        ["issue", "show", "nope", "--json"],
        ["issue", "set", "nope", "--subject", "x"],
        ["issue", "add", "nope", "1"],
    ],
    ids=" ".join,
)
def test_unknown_slug(run: Run, ws: Path, october: dict[str, int], args: list[str]):
    before = data(run("issue", "show", "2020-10", "--json"))
    one_line_error(run(*args), "nope")
    assert not (ws / "issues" / "nope").exists()
    assert data(run("issue", "show", "2020-10", "--json")) == before
    assert [i["slug"] for i in data(run("issue", "list", "--json"))] == ["2020-10"]


@pytest.mark.parametrize(
    "args",
    [
        ["item", "show", "99"],
        ["item", "show", "99", "--json"],
        ["item", "edit", "99", "--title", "x"],
        ["item", "rm", "99"],
        ["issue", "add", "2020-10", "99"],
        ["issue", "remove", "2020-10", "99"],
        ["issue", "move", "2020-10", "99", "--to", "1"],
    ],
    ids=" ".join,
)
def test_missing_item_id(run: Run, october: dict[str, int], args: list[str]):
    before = data(run("issue", "show", "2020-10", "--json"))
    items = data(run("item", "list", "--json"))
    one_line_error(run(*args), "99")
    assert data(run("item", "list", "--json")) == items
    assert data(run("issue", "show", "2020-10", "--json")) == before


def test_item_rm_is_all_or_nothing(run: Run, october: dict[str, int]):
    before = item_count(run)
    one_line_error(run("item", "rm", str(october["news1"]), "99"), "99")
    assert item_count(run) == before
    ok(run("item", "show", str(october["news1"])))


@pytest.mark.parametrize("date", ["31 February 2020", "yesterday", "2020-13-01", ""])
def test_item_add_bad_date(run: Run, initialised: Path, date: str):
    add(run, title="Existing")
    result = run("item", "add", "--kind", "News", "--title", "New", "--date", date)
    line = one_line_error(result, "date")
    assert line.startswith("error: date:")
    assert item_count(run) == 1


def test_item_edit_bad_date_changes_nothing(run: Run, initialised: Path):
    item = add(run, title="Dated", date="2020-10-01")
    one_line_error(run("item", "edit", str(item["id"]), "--date", "yesterday"), "date")
    assert data(run("item", "show", str(item["id"]), "--json")) == item


@pytest.mark.parametrize(
    "args",
    [
        ["item", "list", "--month", "2020-13"],
        ["issue", "new", "Bad", "--month", "2020-13"],
        ["issue", "new", "Bad", "--month", "October"],
    ],
    ids=" ".join,
)
def test_bad_month(run: Run, ws: Path, initialised: Path, args: list[str]):
    one_line_error(run(*args), "month")
    assert data(run("issue", "list", "--json")) == []
    assert list((ws / "issues").iterdir()) == []


@pytest.mark.parametrize("option", ["--url", "--image"])
def test_item_add_bad_url(run: Run, initialised: Path, option: str):
    add(run, title="Existing")
    result = run(
        "item",
        "add",
        *("--kind", "News", "--title", "Bad", "--date", "2020-10-01"),
        *(option, "javascript:alert(1)", "--image-alt", "alt"),
    )
    one_line_error(result, option.lstrip("-"), "javascript:alert(1)")
    assert item_count(run) == 1


def test_item_add_image_needs_alt(run: Run, initialised: Path):
    result = run(
        "item",
        "add",
        *("--kind", "News", "--title", "Pic", "--date", "2020-10-01"),
        *("--image", "https://coop.example/a.jpg"),
    )
    one_line_error(result, "image_alt")
    assert item_count(run) == 0


def test_item_add_duplicate_url(run: Run, initialised: Path):
    first = add(run, title="First", url="https://coop.example/same")
    result = run(
        "item",
        "add",
        *("--kind", "News", "--title", "Second", "--date", "2020-10-02"),
        *("--url", "https://coop.example/same"),
    )
    one_line_error(result, "url", "https://coop.example/same", str(first["id"]))
    assert data(run("item", "list", "--json")) == [first]


def test_item_edit_duplicate_url(run: Run, initialised: Path):
    first = add(run, title="First", url="https://coop.example/one")
    second = add(run, title="Second", url="https://coop.example/two")
    result = run("item", "edit", str(second["id"]), "--url", first["url"])
    one_line_error(result, "url", first["url"])
    assert data(run("item", "show", str(second["id"]), "--json")) == second


def test_issue_new_duplicate_slug(run: Run, october: dict[str, int]):
    one_line_error(run("issue", "new", "Again", "--month", "2020-10"), "2020-10")
    rows = data(run("issue", "list", "--json"))
    assert [(r["slug"], r["title"]) for r in rows] == [("2020-10", "October issue")]


def test_issue_new_bad_slug(run: Run, initialised: Path):
    result = run("issue", "new", "X", "--month", "2020-10", "--slug", "Bad Slug")
    one_line_error(result, "slug")
    assert data(run("issue", "list", "--json")) == []


def test_issue_move_bad_position(run: Run, october: dict[str, int]):
    before = data(run("issue", "show", "2020-10", "--json"))
    result = run("issue", "move", "2020-10", str(october["news1"]), "--to", "9")
    one_line_error(result, "position")
    assert data(run("issue", "show", "2020-10", "--json")) == before


def test_issue_set_featured_item_not_in_issue(run: Run, october: dict[str, int]):
    before = data(run("issue", "show", "2020-10", "--json"))
    result = run("issue", "set", "2020-10", "--subject", "Changed", "--featured", "99")
    one_line_error(result, "99")
    assert data(run("issue", "show", "2020-10", "--json")) == before


def test_template_syntax_error_names_file_and_line(
    run: Run, ws: Path, october: dict[str, int]
):
    template = ws / "templates" / "issue.mjml.j2"
    template.write_text("<mjml>\n{% if %}\n</mjml>\n", encoding="utf-8")
    line = one_line_error(run("build", "2020-10"), "issue.mjml.j2:2")
    assert str(template.resolve()) in line
    assert not (ws / "issues" / "2020-10").exists()


def test_template_with_invalid_mjml(run: Run, ws: Path, october: dict[str, int]):
    (ws / "templates" / "issue.mjml.j2").write_text(
        "<mjml><mj-body><mj-section></mjml>", encoding="utf-8"
    )
    one_line_error(run("build", "2020-10"), "MJML")
    assert not (ws / "issues" / "2020-10").exists()


def test_broken_template_keeps_previous_export(
    run: Run, ws: Path, october: dict[str, int]
):
    # A workspace copy of the packaged template, edited after a good build.
    template = ws / "templates" / "issue.mjml.j2"
    template.write_text(
        (REPO / "templates" / "issue.mjml.j2").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    ok(run("build", "2020-10"))
    index = ws / "issues" / "2020-10" / "index.html"
    before = index.read_bytes()
    template.write_text("<mjml><mj-body><mj-section></mjml>", encoding="utf-8")
    one_line_error(run("build", "2020-10"), "MJML")
    assert index.read_bytes() == before
    names = sorted(p.name for p in index.parent.iterdir())
    assert names == ["index.html", "index.txt", "manifest.json", "message.eml"]


def test_template_added_after_a_build_is_used(
    run: Run, ws: Path, october: dict[str, int]
):
    ok(run("build", "2020-10"))
    (ws / "templates" / "issue.mjml.j2").write_text(
        "<mjml><mj-body><mj-section><mj-column><mj-text>Workspace override"
        "</mj-text></mj-column></mj-section></mj-body></mjml>\n",
        encoding="utf-8",
    )
    refused = run("build", "2020-10")  # no unsubscribe link, no preheader
    assert refused.exit_code == 1 and "2 check(s) failed" in refused.stderr
    ok(run("build", "2020-10", "--force"))
    page = (ws / "issues" / "2020-10" / "index.html").read_text(encoding="utf-8")
    assert "Workspace override" in page


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('newsletter_name = "Co-op"\n', "newsletter_name"),
        ('[brand]\nprimary_colour = "#000000"\n', "brand.primary_colour"),
        ('[sections]\norder = ["News"]\nsort = "date"\n', "sections.sort"),
    ],
    ids=["top", "brand", "sections"],
)
def test_unknown_config_key(
    run: Run, ws: Path, october: dict[str, int], toml: str, key: str
):
    (ws / "enews.toml").write_text(toml, encoding="utf-8")
    one_line_error(run("build", "2020-10"), "enews.toml", key)
    assert not (ws / "issues" / "2020-10").exists()


def test_bad_config_value(run: Run, ws: Path, october: dict[str, int]):
    (ws / "enews.toml").write_text('[brand]\nprimary = "blue"\n', encoding="utf-8")
    one_line_error(run("build", "2020-10"), "brand.primary")


def test_database_url_that_cannot_be_used(run: Run, initialised: Path):
    one_line_error(run("--db", "nonsense://", "item", "list"), "nonsense://")


# ----------------------------------------------------------- database versions


def old_database(path: Path, revision: str | None) -> str:
    """A SQLite file with some table and (optionally) a stamped revision."""
    with sqlite3.connect(path) as conn:
        conn.execute("create table notes (id integer primary key, body text)")
        conn.execute("insert into notes (body) values ('keep me')")
        if revision is not None:
            conn.execute(
                "create table alembic_version (version_num varchar(32) primary key)"
            )
            conn.execute("insert into alembic_version values (?)", (revision,))
    conn.close()
    return f"sqlite:///{path}"


def tables(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("select name from sqlite_master where type='table'")
        names = sorted(name for (name,) in rows)
    conn.close()
    return names


@pytest.mark.parametrize("revision", ["0000", None], ids=["stamped", "unstamped"])
@pytest.mark.parametrize(
    "args",
    [
        ["item", "list"],
        ["item", "add", "--kind", "News", "--title", "T", "--date", "2020-10-01"],
        ["issue", "list", "--json"],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_database_behind_is_refused(
    run: Run, tmp_path: Path, revision: str | None, args: list[str]
):
    path = tmp_path / "old.sqlite"
    url = old_database(path, revision)
    before = tables(path)
    one_line_error(run("--db", url, *args), "enews db upgrade")
    assert tables(path) == before  # never migrated behind the user's back


def test_db_current_on_database_behind(run: Run, tmp_path: Path):
    url = old_database(tmp_path / "old.sqlite", "0000")
    out = ok(run("--db", url, "db", "current")).stdout
    assert out.startswith(f"0000 (head {head_revision()})")
    assert "enews db upgrade" in out


def test_db_upgrade_brings_unstamped_database_to_head(run: Run, tmp_path: Path):
    path = tmp_path / "old.sqlite"
    url = old_database(path, None)
    out = ok(run("--db", url, "db", "upgrade")).stdout
    assert head_revision() in out
    assert "items" in tables(path)
    assert "notes" in tables(path)
    add_args = ["--kind", "News", "--title", "T", "--date", "2020-10-01"]
    ok(run("--db", url, "item", "add", *add_args))
    assert ok(run("--db", url, "db", "upgrade")).stdout.startswith("already at")


@pytest.mark.parametrize("args", [["db", "upgrade"], ["init"]], ids=" ".join)
def test_db_upgrade_unknown_revision(run: Run, tmp_path: Path, args: list[str]):
    path = tmp_path / "old.sqlite"
    url = old_database(path, "0000")
    one_line_error(run("--db", url, *args), "0000")


# ------------------------------------------------------------------ entry point


def test_python_m_enews_help():
    result = subprocess.run(
        [sys.executable, "-m", "enews", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout
    for name in ("init", "demo", "item", "issue", "build", "db"):
        assert name in result.stdout
    assert result.stderr == ""


def test_version(run: Run):
    out = ok(run("--version")).stdout
    assert "version" in out


def test_issue_delete_keeps_items(run: Run, october: dict[str, int]):
    before = data(run("item", "list", "--json"))
    aborted = run("issue", "delete", "2020-10", input="n\n")
    assert aborted.exit_code != 0
    assert data(run("issue", "list", "--json"))  # still there after "n"
    ok(run("issue", "delete", "2020-10", "--yes"))
    assert data(run("issue", "list", "--json")) == []
    assert data(run("item", "list", "--json")) == before
    one_line_error(run("issue", "delete", "2020-10", "--yes"), "2020-10")
