"""Refused input on the ``enews`` command line: one ``error:`` line, no
traceback, and nothing changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers_cli import (
    REPO,
    Run,
    add,
    data,
    item_count,
    ok,
    one_line_error,
)

# Fixtures, found by pytest under these names (``as``: a deliberate re-export).
from tests.helpers_cli import initialised as initialised
from tests.helpers_cli import october as october
from tests.helpers_cli import run as run
from tests.helpers_cli import ws as ws

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
    ok(run("build", "2020-10", "--force"))
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
    ok(run("build", "2020-10", "--force"))
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
