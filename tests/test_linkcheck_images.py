"""The live check of an issue's images on the web (``enews check SLUG
--links``, the composer's button), against a real HTTP server on 127.0.0.1
that the tests start: a broken image fails, one over 1 MB by its
Content-Length warns (the body never downloaded), and the cache keeps the size."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from enews.cli import cli
from enews.config import Settings
from enews.publish.build import build_issue, write_bundle
from enews.publish.linkcheck import (
    CACHE_FILE,
    Link,
    LinkReport,
    Outcome,
    Timeouts,
    check_links,
    issue_links,
)
from enews.render.view import ItemView
from tests.factories import make_issue, make_item
from tests.helpers_web import app as app  # fixtures (a deliberate re-export)
from tests.helpers_web import tab as tab

FAST = Timeouts(connect=1.0, link=0.8, total=10.0)
MB = 1024 * 1024
# path -> (status for HEAD, status for GET, Content-Length or None for none)
ROUTES = {
    "/big.jpg": (200, 200, MB + MB // 2),
    "/small.png": (200, 200, 2048),
    "/unsized.jpg": (200, 200, None),
    "/gone.jpg": (404, 404, 0),
    "/no-head-big.jpg": (405, 200, 32 * MB),  # its size said by a GET's headers
    "/page": (200, 200, 5 * MB),  # a link, not an image: not weighed
}


@dataclass
class Served:
    base: str
    hits: Counter[tuple[str, str]] = field(default_factory=Counter)
    sent: int = 0  # body bytes the server managed to send

    def url(self, path: str) -> str:
        return self.base + path

    def total(self) -> int:
        return sum(self.hits.values())


class _Handler(BaseHTTPRequestHandler):
    served: Served

    def do_HEAD(self) -> None:
        self._answer("HEAD")

    def do_GET(self) -> None:
        self._answer("GET")

    def _answer(self, method: str) -> None:
        path = self.path.partition("?")[0]
        self.served.hits[method, path] += 1
        head, get, length = ROUTES[path]
        self.send_response(head if method == "HEAD" else get)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        if method == "GET" and length:
            self._body(length)

    def _body(self, length: int) -> None:
        chunk = b"x" * 65536
        try:
            for _ in range(0, length, len(chunk)):
                self.wfile.write(chunk)
                self.served.sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the checker read the headers and hung up, as it should

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True


@pytest.fixture
def served() -> Iterator[Served]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    info = Served(base=f"http://127.0.0.1:{httpd.server_address[1]}")
    httpd.RequestHandlerClass = type("Handler", (_Handler,), {"served": info})
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield info
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def _view(title: str, image_url: str | None) -> ItemView:
    return ItemView(
        1, "News", title, None, "1 October 2020", "2020-10-01", (), image_url, "x"
    )


WARNING = "1.5 MB, over 1 MB: slow on a phone's data"


def test_images_are_read_once_with_their_items():
    settings = Settings(base_url="https://coop.example/news")
    big, logo = "https://img.example/big.jpg", "https://img.example/logo.png"
    html = (
        f'<a href="{big}">the picture</a><img src="{logo}">'
        f'<img src=" {big} "><img src="{big}"><img src="data:image/png;base64,AA">'
        '<img src="*|IMAGE|*"><img src="pics/a.png"><img src="">'
        '<img src="https://coop.example/news/assets/0123456789abcdef0123456789abcdef.jpg">'
    )
    items = [_view("Big story", big), _view("Plain story", None)]
    links, skipped = issue_links(html, items, settings, "2020-10")
    assert links == [
        Link(big),  # the link: an item's link is its url, not its image
        Link(logo, (), image=True),  # the logo: nobody's
        Link(big, ("Big story",), image=True),
    ]
    whys = [why for _, why in skipped]
    assert whys == ["data: image", "merge tag", "non-http(s) image", "stored image"]


def test_big_small_unsized_and_broken_images(served):
    paths = ("/big.jpg", "/small.png", "/unsized.jpg", "/gone.jpg", "/no-head-big.jpg")
    links = [Link(served.url(p), (f"Item {p}",), image=True) for p in paths]
    links.append(Link(served.url("/page")))  # a 5 MB page is no image
    report = check_links(links, timeouts=FAST)
    got = {link.url: out for link, out in report.results}
    assert [(k.url, words) for k, _, words in report.heavy()] == [
        (served.url("/big.jpg"), WARNING),
        (served.url("/no-head-big.jpg"), "32.0 MB, over 1 MB: slow on a phone's data"),
    ]
    assert (
        got[served.url("/small.png")].status,
        got[served.url("/small.png")].size,
    ) == (
        "ok",
        2048,
    )
    unsized = got[served.url("/unsized.jpg")]
    assert (unsized.status, unsized.size) == ("ok", None)  # just fine: not measured
    gone = got[served.url("/gone.jpg")]
    assert (gone.status, gone.reason) == ("broken", "HTTP 404 Not Found")
    assert not report.ok
    # HEAD told the sizes: not one GET, not a byte of a body, but where HEAD
    # was refused; and that GET's body was left unread.
    gets = {path for method, path in served.hits if method == "GET"}
    assert gets == {"/no-head-big.jpg"}
    assert served.sent < 16 * MB  # socket buffers took a few MB at most


def test_a_cached_run_warns_the_same(served, tmp_path):
    cache = tmp_path / "linkcheck.json"
    links = [Link(served.url(p), image=True) for p in ("/big.jpg", "/gone.jpg")]
    first = check_links(links, cache=cache, timeouts=FAST)
    asked = served.total()
    saved = json.loads(cache.read_text())["links"]
    assert saved[served.url("/big.jpg")]["size"] == MB + MB // 2
    second = check_links(links, cache=cache, timeouts=FAST)
    assert served.total() == asked and second.from_cache == 2
    assert [(k, w) for k, _, w in second.heavy()] == [
        (k, w) for k, _, w in first.heavy()
    ]
    assert [w for _, _, w in second.heavy()] == [WARNING]
    assert [k.url for k, _ in second.having("broken")] == [served.url("/gone.jpg")]


def test_a_cache_with_a_bad_size_is_asked_again(served, tmp_path):
    cache = tmp_path / "linkcheck.json"
    link = Link(served.url("/big.jpg"), image=True)
    check_links([link], cache=cache, timeouts=FAST)
    data = json.loads(cache.read_text())
    data["links"][link.url]["size"] = "huge"
    cache.write_text(json.dumps(data))
    report = check_links([link], cache=cache, timeouts=FAST)
    assert served.hits["HEAD", "/big.jpg"] == 2 and report.from_cache == 0


@pytest.mark.parametrize(
    ("size", "words"),
    [(MB, None), (MB + 1, "1.1 MB"), (3 * MB, "3.0 MB"), (None, None)],
)
def test_over_1_mb_is_strictly_over(size, words):
    out = Outcome("ok", "HTTP 200 OK", size=size)
    report = LinkReport(((Link("https://x.example/a.jpg", image=True), out),))
    heavy = [w.split(",")[0] for _, _, w in report.heavy()]
    assert heavy == ([words] if words else [])
    assert report.ok  # a warning: the check still passes


# -- the issue: the command line and the web --------------------------------------


def _issue(workspace, served) -> None:
    """An October issue with a big, a small and a broken image and a logo."""
    toml = workspace.root / "enews.toml"
    logo = served.url("/small.png")
    toml.write_text(
        toml.read_text().replace(
            '# logo_url = "https://example.org/logo.png"', f'logo_url = "{logo}"'
        )
    )
    with workspace.transaction() as session:
        # Every link fine: the images are what this is about.
        make_item(session, title="Plain story", url=served.url("/page?1"))
        for title, path in (("Big picture", "/big.jpg"), ("Lost picture", "/gone.jpg")):
            url, image = served.url(f"/page?{path}"), served.url(path)
            make_item(session, title=title, url=url, image_url=image, image_alt="A")
        make_issue(session)
        bundle = build_issue(
            session, "2020-10", settings=workspace.settings, workspace=workspace.root
        )
    write_bundle(bundle, workspace.issues_dir)


def _enews(workspace, *args: str):
    env = {"DATABASE_URL": workspace.db_url, "ENEWS_WORKSPACE": None}
    return CliRunner().invoke(cli, ["-w", str(workspace.root), *args], env=env)


def test_cli_names_broken_and_big_images_and_their_items(workspace, served):
    _issue(workspace, served)
    result = _enews(workspace, "check", "2020-10", "--links")
    assert result.exit_code == 1, result.output
    out, base = result.stdout, served.base
    assert f'FAIL image {base}/gone.jpg: HTTP 404 Not Found; item "Lost picture"' in out
    assert f'WARN image {base}/big.jpg: {WARNING}; item "Big picture"' in out
    assert ", images: 3 in " in out  # the logo too, requested like the others
    assert "1 broken, 0 redirected, 1 over 1 MB, " in out
    assert "small.png" not in out  # fine: nothing to say
    assert served.hits["GET", "/big.jpg"] == 0
    asked = served.total()
    again = _enews(workspace, "check", "2020-10", "--links")
    assert again.exit_code == 1 and served.total() == asked
    assert f'WARN image {base}/big.jpg: {WARNING}; item "Big picture" (cached)' in (
        again.stdout
    )
    data = json.loads(_enews(workspace, "check", "2020-10", "--links", "--json").stdout)
    images = {k["url"]: k for k in data["live_links"]["links"] if k["image"]}
    assert images[f"{base}/big.jpg"]["size"] == MB + MB // 2
    assert images[f"{base}/small.png"]["items"] == []  # the logo
    assert (workspace.root / CACHE_FILE).is_file()


def test_web_button_checks_the_images(workspace, served, tab):
    _issue(workspace, served)
    response = tab.post("/issues/2020-10/links")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "1 broken image(s)" in body
    assert f'image <a href="{served.base}/gone.jpg"' in body
    assert f"{served.base}/gone.jpg</a>: HTTP 404 Not Found" in body
    assert f"{served.base}/big.jpg</a>: {WARNING.replace(chr(39), '&#39;')}" in body
    assert "“Big picture”" in body and "“Lost picture”" in body
    cached = tab.post("/issues/2020-10/links").get_data(as_text=True)
    assert "(cached)" in cached and "1.5 MB, over 1 MB" in cached
