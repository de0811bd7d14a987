"""The live link check (``enews check SLUG --links``, the composer's button)
against a real HTTP server on 127.0.0.1 that the tests start: each answer a
link can get, the deadlines (shortened), the cache, the CLI and the web."""

from __future__ import annotations

import io
import json
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from enews.cli import check_cmds, cli
from enews.compose.view import load_issue_view
from enews.config import Settings
from enews.publish.build import build_issue, write_bundle
from enews.publish.linkcheck import (
    CACHE_FILE,
    Link,
    Timeouts,
    check_links,
    issue_links,
)
from tests.factories import make_issue, make_item
from tests.helpers_web import app as app  # fixtures (a deliberate re-export)
from tests.helpers_web import tab as tab

FAST = Timeouts(connect=1.0, link=0.8, total=10.0)
# path -> (status for HEAD, status for GET, Location)
ROUTES = {
    "/ok": (200, 200, None),
    "/moved": (301, 301, "/ok"),
    "/found-gone": (302, 302, "/gone"),
    "/gone": (404, 404, None),
    "/error": (500, 500, None),
    "/no-head": (405, 200, None),
    "/js": (302, 302, "javascript:alert(1)"),
    "/loop": (302, 302, "/loop"),
}


@dataclass
class Served:
    base: str
    silent: str  # accepts connections and never says a word
    closed: str  # nothing listens there
    hits: Counter[tuple[str, str]] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    release: threading.Event = field(default_factory=threading.Event)
    active: int = 0
    peak: int = 0

    def url(self, path: str) -> str:
        return self.base + path

    def total(self) -> int:
        return sum(self.hits.values())


class _Handler(BaseHTTPRequestHandler):
    served: Served  # set on the class the fixture makes

    def do_HEAD(self) -> None:
        self._answer("HEAD")

    def do_GET(self) -> None:
        self._answer("GET")

    def _answer(self, method: str) -> None:
        served, path = self.served, self.path.partition("?")[0]
        with served.lock:
            served.hits[method, path] += 1
            served.active += 1
            served.peak = max(served.peak, served.active)
        try:
            self._route(method, path)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up: what a deadline test wants
        finally:
            with served.lock:
                served.active -= 1

    def _route(self, method: str, path: str) -> None:
        if path == "/slow":  # answers, but after the client's deadline
            self.served.release.wait(2.0)
        elif path == "/busy":  # answers soon: for counting those in flight
            time.sleep(0.15)
        elif path == "/trickle":  # a byte at a time, each well within a timeout
            while not self.served.release.wait(0.05):
                self.wfile.write(b"H")
                self.wfile.flush()
            return
        elif path == "/hangs-up" and method == "HEAD":  # closes, says nothing
            return
        head, get, location = ROUTES.get(path, (200, 200, None))
        self.send_response(head if method == "HEAD" else get)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default 5 drops connections made at once
    daemon_threads = True  # a handler the client left need not be awaited


@pytest.fixture
def served() -> Iterator[Served]:
    silent = socket.create_server(("127.0.0.1", 0), backlog=32)  # never accepts
    closed = socket.create_server(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    httpd = _Server(("127.0.0.1", 0), _Handler)
    info = Served(
        base=f"http://127.0.0.1:{httpd.server_address[1]}",
        silent=f"http://127.0.0.1:{silent.getsockname()[1]}/",
        closed=f"http://127.0.0.1:{closed_port}/",
    )
    httpd.RequestHandlerClass = type("Handler", (_Handler,), {"served": info})
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield info
    info.release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join()
    silent.close()


def outcomes(report):
    return {link.url: out for link, out in report.results}


# -- the library: each answer -------------------------------------------------------


def test_each_kind_of_answer(served):
    base = served.base
    urls = [served.url(p) for p in (*ROUTES, "/slow", "/hangs-up")]
    https = base.replace("http:", "https:") + "/ok"  # TLS to a plain server
    urls += [served.silent, served.closed, https, "http://enews-test.invalid/"]
    urls.append(served.url("/café?q=é"))  # a request line must be ASCII
    started = time.monotonic()
    report = check_links([Link(u) for u in urls], timeouts=FAST)
    took = time.monotonic() - started
    got = {
        url: (out.status, out.reason, out.final_url)
        for url, out in outcomes(report).items()
    }
    assert got[f"{base}/ok"] == ("ok", "HTTP 200 OK", None)
    assert got[f"{base}/moved"] == ("redirect", "HTTP 200 OK", f"{base}/ok")
    assert got[f"{base}/found-gone"][:2] == (
        "broken",
        f"HTTP 404 Not Found at {base}/gone",
    )
    assert got[f"{base}/gone"][:2] == ("broken", "HTTP 404 Not Found")
    assert got[f"{base}/error"][:2] == ("broken", "HTTP 500 Internal Server Error")
    assert got[f"{base}/no-head"][:2] == ("ok", "HTTP 200 OK")
    assert got[f"{base}/js"][:2] == (
        "broken",
        "redirects to a non-http(s) address: javascript:alert(1)",
    )
    assert got[f"{base}/loop"][:2] == ("broken", "more than 10 redirects")
    assert got[f"{base}/slow"][:2] == ("broken", "no answer within 0.8 s")
    assert got[served.silent][:2] == ("broken", "no answer within 0.8 s")
    assert got[served.closed][:2] == ("broken", "connection refused")
    assert got[f"{base}/hangs-up"][:2] == ("ok", "HTTP 200 OK")  # by a GET
    assert got[https][0] == "broken" and got[https][1].startswith("TLS error: ")
    assert got["http://enews-test.invalid/"][:2] == ("broken", "unknown host")
    assert got[served.url("/café?q=é")][0] == "ok" and served.hits["HEAD", "/caf%C3%A9"]
    assert not report.ok
    assert took < 2.5  # in parallel, and the slow ones cut at 0.8 s
    # HEAD first; a GET only where HEAD was refused.
    assert served.hits["HEAD", "/ok"] == 2  # its own and /moved's
    assert served.hits["GET", "/ok"] == 0
    assert (served.hits["HEAD", "/no-head"], served.hits["GET", "/no-head"]) == (1, 1)
    assert served.hits["HEAD", "/loop"] == 11  # the first and 10 redirects


def test_a_trickling_server_is_cut_at_the_link_deadline(served):
    started = time.monotonic()
    report = check_links([Link(served.url("/trickle"))], timeouts=FAST)
    assert time.monotonic() - started < 1.6
    [(_, out)] = report.results
    assert (out.status, out.reason) == ("broken", "no answer within 0.8 s")


def test_the_whole_check_has_a_deadline(served, tmp_path):
    links = [Link(served.url(f"/trickle?{n}")) for n in range(12)]
    links += [Link(served.silent + str(n)) for n in range(12)]
    cache = tmp_path / "cache.json"
    started = time.monotonic()
    report = check_links(
        links, cache=cache, timeouts=Timeouts(connect=5, link=5, total=0.5)
    )
    assert time.monotonic() - started < 1.2
    reasons = {out.reason for _, out in report.results}
    assert reasons == {"given up: the whole check has at most 0.5 s"}
    # Not an answer about the link: the next check asks again.
    assert json.loads(cache.read_text())["links"] == {}


def test_the_same_url_is_requested_once(served):
    url = served.url("/ok")
    html = f'<a href="{url}">one</a> <a href=" {url} ">two</a> <a href="{url}">3</a>'
    links, _ = issue_links(html, [], Settings(), "2020-10")
    assert links == [Link(url)]
    report = check_links([*links, Link(url, ("Again",))], timeouts=FAST)
    assert len(report.results) == 2
    assert served.total() == 1


def test_at_most_eight_at_a_time(served):
    links = [Link(served.url(f"/busy?{n}")) for n in range(24)]
    started = time.monotonic()
    report = check_links(links, timeouts=FAST)
    assert report.ok
    assert 4 <= served.peak <= 8
    assert time.monotonic() - started < 24 * 0.15 / 4  # and really in parallel


# -- the cache --------------------------------------------------------------------


def test_a_second_check_asks_nobody(served, tmp_path):
    cache = tmp_path / ".enews" / "linkcheck.json"
    links = [Link(served.url(p)) for p in ("/ok", "/moved", "/gone")]
    first = check_links(links, cache=cache, timeouts=FAST)
    asked = served.total()
    assert asked == 4 and first.from_cache == 0  # /moved -> /ok: two requests
    second = check_links(links, cache=cache, timeouts=FAST)
    assert served.total() == asked  # not one request more
    assert second.from_cache == 3
    assert [o.status for _, o in second.results] == ["ok", "redirect", "broken"]
    assert outcomes(second)[served.url("/moved")].final_url == served.url("/ok")
    fresh = check_links(links, cache=cache, fresh=True, timeouts=FAST)
    assert served.total() == 2 * asked and fresh.from_cache == 0


def test_answers_older_than_a_day_are_asked_again(served, tmp_path):
    cache = tmp_path / "linkcheck.json"
    links = [Link(served.url("/ok")), Link(served.url("/gone"))]
    check_links(links, cache=cache, timeouts=FAST)
    data = json.loads(cache.read_text())
    data["links"][served.url("/ok")]["checked_at"] -= 25 * 3600
    cache.write_text(json.dumps(data))
    report = check_links(links, cache=cache, timeouts=FAST)
    assert served.hits["HEAD", "/ok"] == 2 and served.hits["HEAD", "/gone"] == 1
    assert [out.cached for _, out in report.results] == [False, True]


@pytest.mark.parametrize(
    "damage", ["{not json", '{"links": [1]}', '{"links": {"x": 1}}']
)
def test_a_damaged_cache_is_an_empty_one(served, tmp_path, damage):
    cache = tmp_path / "linkcheck.json"
    cache.write_text(damage)
    report = check_links([Link(served.url("/ok"))], cache=cache, timeouts=FAST)
    assert report.ok and served.total() == 1
    assert list(json.loads(cache.read_text())["links"]) == [served.url("/ok")]


# -- the issue: links named by their items; the command line; the web --------


def _issue(workspace, served, *, broken: bool = True) -> str:
    """An October issue whose items link to the test server; built."""
    with workspace.transaction() as session:
        make_item(session, title="Good story", url=served.url("/ok"))
        make_item(session, title="Moved story", url=served.url("/moved"))
        if broken:
            make_item(
                session,
                title="Lost story",
                url=served.url("/gone"),
                summary=f"See [the figures]({served.url('/error')}) or "
                "[write](mailto:press@coop.example).",
                summary_format="markdown",
            )
        make_issue(session)
        bundle = build_issue(
            session, "2020-10", settings=workspace.settings, workspace=workspace.root
        )
    write_bundle(bundle, workspace.issues_dir)
    return bundle.html


def test_links_are_named_by_their_items(workspace, served):
    html = _issue(workspace, served)
    with workspace.transaction() as session:
        items = load_issue_view(session, "2020-10", workspace.settings).items
    links, skipped = issue_links(html, items, workspace.settings, "2020-10")
    named = {link.url: link.items for link in links}
    assert named[served.url("/gone")] == ("Lost story",)
    assert named[served.url("/error")] == ("Lost story",)  # from its summary
    assert named[served.url("/ok")] == ("Good story",)
    whys = Counter(why for _, why in skipped)
    assert whys["mailto link"] == 1 and whys["merge tag"] >= 1  # the unsubscribe tag


def _enews(workspace, *args: str):
    env = {"DATABASE_URL": workspace.db_url, "ENEWS_WORKSPACE": None}
    return CliRunner().invoke(cli, ["-w", str(workspace.root), *args], env=env)


def test_cli_names_broken_links_and_their_items(workspace, served):
    _issue(workspace, served)
    result = _enews(workspace, "check", "2020-10", "--links")
    assert result.exit_code == 1, result.output
    out = result.stdout
    base = served.base
    assert f'FAIL {base}/gone: HTTP 404 Not Found; item "Lost story"' in out
    assert (
        f'FAIL {base}/error: HTTP 500 Internal Server Error; item "Lost story"' in out
    )
    assert f'WARN {base}/moved redirects to {base}/ok; item "Moved story"' in out
    assert "Live links: 4 in " in out and "2 broken, 1 redirected, 1 fine" in out
    assert "skipped: " in out and "1 mailto link" in out
    assert "PASS links" in out  # the offline report is still there
    asked = served.total()
    again = _enews(workspace, "check", "2020-10", "--links")
    assert again.exit_code == 1 and served.total() == asked
    assert "4 of them from the last day's answers" in again.stdout
    assert 'item "Lost story" (cached)' in again.stdout
    assert (workspace.root / CACHE_FILE).is_file()
    _enews(workspace, "check", "2020-10", "--links", "--no-cache")
    assert served.total() == 2 * asked


def test_cli_exits_0_when_links_only_redirect(workspace, served):
    _issue(workspace, served, broken=False)
    result = _enews(workspace, "check", "2020-10", "--links", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["live_links"]["ok"] is True
    moved = [
        link for link in data["live_links"]["links"] if link["status"] == "redirect"
    ]
    assert moved[0]["final_url"] == served.url("/ok")
    assert moved[0]["items"] == ["Moved story"]


def test_progress_only_on_a_terminal(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert check_cmds._progress() is None  # piped: not a word
    monkeypatch.setattr(sys, "stderr", Terminal())
    show = check_cmds._progress()
    assert show is not None
    show(1, 2)
    show(2, 2)
    assert sys.stderr.getvalue() == (
        "\rchecking links: 1/2\rchecking links: 2/2\r\033[K"
    )


def test_cli_fresh_needs_links(workspace, served):
    _issue(workspace, served, broken=False)
    result = _enews(workspace, "check", "2020-10", "--fresh")
    assert result.exit_code == 2 and "--fresh goes with --links" in result.stderr
    assert served.total() == 0


def test_web_button_checks_the_links(workspace, served, tab):
    _issue(workspace, served)
    page = tab.get("/issues/2020-10").get_data(as_text=True)
    assert 'hx-post="/issues/2020-10/links"' in page
    response = tab.post("/issues/2020-10/links")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "2 broken link(s)" in body and "3 skipped (mailto link, merge tag)" in body
    assert f"{served.base}/gone</a>: HTTP 404 Not Found" in body
    assert "“Lost story”" in body
    assert f"redirects to {served.base}/ok" in body
    asked = served.total()
    cached = tab.post("/issues/2020-10/links").get_data(as_text=True)
    assert served.total() == asked and "4 answer(s) from the last day" in cached
    tab.post("/issues/2020-10/links", data={"fresh": "1"})
    assert served.total() == 2 * asked


def test_web_button_needs_the_form_token(workspace, served, app):
    _issue(workspace, served)
    response = app.test_client().post("/issues/2020-10/links")
    assert response.status_code == 400 and served.total() == 0
