"""`enews item add --from-url` end to end, against a site on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers_cli import Run, data, item_count, ok, one_line_error

# Fixtures, found by pytest under these names (``as``: a deliberate re-export).
from tests.helpers_cli import initialised as initialised
from tests.helpers_cli import run as run
from tests.helpers_cli import ws as ws
from tests.helpers_unfurl import Site
from tests.helpers_unfurl import site as site


def test_cli_from_url_fills_the_item(run: Run, initialised: Path, site: Site):
    link = f"{site.origin}/stories/jsonld.html"
    result = run("item", "add", "--from-url", link, "--json")
    added = data(result)
    assert not result.stderr  # no warning
    assert {k: v for k, v in added.items() if k != "id"} == {
        "kind": "News",
        "title": "A regional forum opens in Nairobi",
        "date": "2020-10-29",
        "url": link,
        "summary": "Two days, 300 delegates & one question.",
        "summary_format": "text",
        "image": f"{site.origin}/media/forum/hall.jpg",
        "image_alt": "Delegates in the main hall",
        "source": link,
    }


def test_cli_options_win(run: Run, initialised: Path, site: Site):
    link = f"{site.origin}/stories/og.html"
    options = ["--kind", "Interview", "--title", "Mine", "--date", "2021-01-05"]
    added = data(
        run("item", "add", "--from-url", link, *options, "--summary", "Own", "--json")
    )
    mine = ("Interview", "Mine", "2021-01-05", "Own")
    assert (added["kind"], added["title"], added["date"], added["summary"]) == mine
    assert added["url"] == f"{site.origin}/news/mill-lane"  # og:url, same site
    assert added["image_alt"] == "Drawing of the Mill Lane terraces"


def test_cli_warns_when_the_title_is_the_alt_text(
    run: Run, initialised: Path, site: Site
):
    result = run("item", "add", "--from-url", f"{site.origin}/blog/microdata.html")
    ok(result)
    assert result.stderr == (
        "warning: image_alt: the page gives none, so it is the title (--image-alt)\n"
    )
    assert result.stdout.startswith("added item 1: What we learnt")


@pytest.mark.parametrize(
    ("link", "options", "mentions"),
    [
        ("/stories/description.html", ["--kind", "News"], ["date:", "pass --date"]),
        ("/stories/og.html", [], ["kind:", "pass --kind"]),
        ("/stories/jsonld.html", ["--date", "31 February 2020"], ["date:"]),
        ("/stories/missing.html", ["--kind", "News"], ["HTTP 404"]),
        ("ftp://news.example/x", [], ["from_url:", "http(s)"]),
        ("tests/data/unfurl/og.html", [], ["from_url:", "http(s)"]),
    ],
)
def test_cli_one_line_error_and_nothing_stored(
    run: Run, initialised: Path, site: Site, link, options, mentions
):
    link = site.origin + link if link.startswith("/") else link
    one_line_error(run("item", "add", "--from-url", link, *options), *mentions)
    assert item_count(run) == 0


def test_cli_without_from_url_kind_title_and_date_stay_required(
    run: Run, initialised: Path
):
    # Passes before and after the wiring: --from-url must not loosen item add.
    result = run("item", "add", "--title", "T", "--date", "2020-10-01")
    assert result.exit_code == 2
    assert "Missing option '--kind'" in result.stderr
