"""`enews import` end to end: real files, a local HTTP server, a real SQLite file."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import pytest

from tests.helpers_cli import enews as enews  # a fixture: re-exported
from tests.helpers_cli import items
from tests.localhttp import serving

DATA = Path(__file__).parent / "data"


@pytest.fixture
def server() -> Iterator[str]:
    """tests/data over HTTP on 127.0.0.1, on a free port, for this test only."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):  # no access log on the test's stderr
            pass

    with serving(functools.partial(Quiet, directory=str(DATA))) as url:
        yield url


def test_import_twice_reports_then_changes_nothing(enews):
    first = enews("import", str(DATA / "items.csv"))
    assert first.exit_code == 0, first.output
    assert first.stdout.strip().endswith("4 added, 0 updated, 0 unchanged, 0 invalid")
    assert "warning: " in first.stderr and "unknown column 'notes'" in first.stderr
    before = items(enews)
    again = enews("import", str(DATA / "items.csv"))
    assert again.stdout.strip().endswith("0 added, 0 updated, 4 unchanged, 0 invalid")
    assert items(enews) == before


def test_dry_run_and_json_report(enews):
    result = enews("import", str(DATA / "items.json"), "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["added"], report["committed"], report["format"]) == (
        2,
        False,
        "json",
    )
    assert items(enews) == []


def test_bad_records_import_nothing_and_name_file_line_field(enews):
    result = enews("import", str(DATA / "items-bad.csv"))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert (
        f"{DATA / 'items-bad.csv'}:3: date: '31 February 2020' is not a valid date"
        in lines[0]
    )
    assert lines[-1].startswith("error: 5 invalid record(s); nothing was imported")
    assert "Traceback" not in result.output
    assert items(enews) == []
    skipped = enews("import", str(DATA / "items-bad.csv"), "--skip-invalid")
    assert skipped.exit_code == 0
    assert [i["title"] for i in items(enews)] == ["Good row"]


def test_listing_import_keeps_free_text_kinds(enews):
    result = enews("import", str(DATA / "listing.txt"))
    assert result.exit_code == 0, result.output
    kinds = {i["kind"] for i in items(enews)}
    assert "Partner Interview" in kinds


def test_feed_import_from_a_url_sanitizes_content(enews, server):
    without_kind = enews("import", f"{server}/feed-atom.xml")
    assert without_kind.exit_code == 1  # some entries have no category
    assert f"{server}/feed-atom.xml:entry 4: kind: is required" in without_kind.stderr
    result = enews("import", f"{server}/feed-atom.xml", "--kind", "News")
    assert result.exit_code == 0, result.output
    stored = items(enews)
    assert stored and all(i["source"].endswith("/feed-atom.xml") for i in stored)
    for item in stored:
        assert "<script" not in (item["summary"] or "")
        assert "onclick" not in (item["summary"] or "")
    again = enews("import", f"{server}/feed-atom.xml", "--kind", "News").stdout
    assert again.strip().endswith(
        f"0 added, 0 updated, {len(stored)} unchanged, 0 invalid"
    )


def test_url_errors_are_one_line(enews, server):
    result = enews("import", f"{server}/missing.xml")
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("error: ") and "404" in result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"hello, world\nno idea\n", "cannot tell the format"),
        (b"kind,title,date\nNews,Caf\xe9,2020-10-01\n", ":2: not UTF-8"),
        (b'[{"title": "x",}]', ":1: malformed JSON"),
        (b"<rss><channel><item><title>x</title></channel>", "not a valid RSS or Atom"),
        (b"title,date\n" + b"x" * (2 << 20) + b",2020-10-01\n", ":2: malformed CSV"),
    ],
)
def test_unreadable_files_are_one_line_and_import_nothing(
    enews, tmp_path, content, message
):
    path = tmp_path / "upload"
    path.write_bytes(content)
    result = enews("import", str(path))
    assert result.exit_code == 1, result.output
    assert len(result.stderr.splitlines()) == 1 and message in result.stderr
    assert items(enews) == []


def test_exported_csv_and_json_import_back_unchanged(enews, tmp_path):
    enews("import", str(DATA / "items.csv"))
    enews("import", str(DATA / "listing.txt"))
    for fmt in ("csv", "json"):
        exported = tmp_path / f"all.{fmt}"
        exported.write_text(enews("item", "list", "--format", fmt).stdout)
        result = enews("import", str(exported))
        assert result.exit_code == 0, result.output
        assert " 0 added, 0 updated, " in result.stdout
        assert result.stdout.strip().endswith("unchanged, 0 invalid")


# -- the server's charset reaches the feed reader ------------------------------------

CHARSET_FEED = (
    "<rss version='2.0'><channel><title>t</title><link>https://coop.example/</link>"
    "<description>d</description><item><title>{title}</title>"
    "<link>https://coop.example/{slug}</link><category>News</category>"
    "<pubDate>Fri, 09 Oct 2020 10:00:00 GMT</pubDate></item></channel></rss>"
)


@pytest.fixture
def typed_server() -> Iterator[tuple[str, dict[str, tuple[str, bytes]]]]:
    """Serves ``routes[path] = (content type, body)`` on 127.0.0.1."""
    from http.server import BaseHTTPRequestHandler

    routes: dict[str, tuple[str, bytes]] = {}

    class Typed(BaseHTTPRequestHandler):
        def do_GET(self):
            content_type, body = routes[self.path]
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    with serving(Typed) as url:
        yield url, routes


@pytest.mark.parametrize(
    ("title", "encoding"),
    [
        ("Zo\u00eb\u2019s caf\u00e9", "windows-1252"),
        ("総会のお知らせ", "shift_jis"),
        ("Новости", "koi8-r"),
    ],
)
def test_a_feed_whose_encoding_only_the_server_names(
    enews, typed_server, title, encoding
):
    url, routes = typed_server
    body = CHARSET_FEED.format(title=title, slug=encoding).encode(encoding)
    routes["/feed"] = (f"application/rss+xml; charset={encoding}", body)
    result = enews("import", f"{url}/feed")
    assert result.exit_code == 0, result.output
    assert [i["title"] for i in items(enews)] == [title]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_a_wide_feed_is_told_from_its_bytes(enews, typed_server, encoding):
    url, routes = typed_server
    body = CHARSET_FEED.format(title="Zoë", slug="wide").encode(encoding)
    routes["/feed"] = ("application/octet-stream", body)
    result = enews("import", f"{url}/feed")
    assert result.exit_code == 0, result.output
    assert [i["title"] for i in items(enews)] == ["Zoë"]
