"""What tests/test_page_import.py shares: the saved pages, a web site on
127.0.0.1 that serves them (and some bad answers), the ``enews`` command
on this test's database, and what each page should import."""

from __future__ import annotations

import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.helpers_cli import enews as enews  # a fixture: re-exported
from tests.helpers_cli import items as stored_items
from tests.localhttp import serving

PAGES = Path(__file__).parent / "data" / "pages"
SEED = "ilo-coop-news.html"
HTML = "text/html; charset=utf-8"


class _Pages(BaseHTTPRequestHandler):
    """tests/data/pages, as a web site serves them, and some bad answers."""

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/news":  # no extension: the format comes from the content
            self._send((PAGES / SEED).read_bytes(), HTML)
        elif path == "/moved":
            self._redirect("/news")
        elif path == "/to-ftp":
            self._redirect("ftp://127.0.0.1/news.html")
        elif path == "/trickle":
            self._trickle()
        elif path.startswith("/pages/") and (PAGES / path[7:]).is_file():
            self._send((PAGES / path[7:]).read_bytes(), HTML)
        else:
            self.send_error(404, "Not Found")

    def _send(self, body: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _trickle(self) -> None:
        body = (PAGES / SEED).read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", HTML)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            for n in range(30):  # a byte every 0.1 s: each read is quick
                self.wfile.write(body[n : n + 1])
                self.wfile.flush()
                time.sleep(0.1)
        except OSError:
            pass  # the client gave up, as it should

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serving(_Pages) as url:
        yield url


def items(enews) -> list[dict]:
    """The stored items in the order they were added."""
    return sorted(stored_items(enews), key=lambda i: i["id"])


def ok(result) -> str:
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


# -- the seed page -------------------------------------------------------------

SEED_ITEMS = [
    ("News", "Cooperatives mark 100 years of the ILO COOP unit", "2020-11-27",
     "/topics/cooperatives/news/WCMS_762263/lang--en/index.htm", True),
    ("ILO COOP 100 Interview",
     '"Cooperatives kept the lights on during the pandemic": an interview with '
     "Ariel Guarco", "2020-11-20",
     "/topics/cooperatives/news/WCMS_761882/lang--en/index.htm", True),
    ("Article", "Women's cooperatives in the informal economy", "2020-11-12",
     "/topics/cooperatives/news/WCMS_760443/lang--en/index.htm", False),
    ("News", "New guide on statistics of cooperatives adopted", "2020-11-03",
     "/topics/cooperatives/news/WCMS_759001/lang--en/index.htm", True),
]  # fmt: skip


def seen(stored: list[dict]) -> list[tuple]:
    return [
        (i["kind"], i["title"], i["date"], i["url"], bool(i["summary"])) for i in stored
    ]


SHAPES = {
    "list.html": [  # <base href>; US dates, 11/02/2020 read month first (en-US)
        ("Mill Lane phase two gets planning approval", "2020-11-27",
         "https://riverside-housing.example/news/mill-lane-phase-two.html"),
        ("Annual general meeting moves online", "2020-11-12",
         "https://riverside-housing.example/news/annual-meeting-2020.html"),
        ("Rents frozen for 2021", "2020-11-02",
         "https://riverside-housing.example/news/rent-freeze.html"),
        ("Community garden looks for volunteers", "2020-10-30",
         "https://riverside-housing.example/news/garden-volunteers.html"),
    ],
    "cards.html": [  # a "Most read" list without dates beside the cards
        ("A record coffee harvest for Andean growers", "2020-11-03",
         "{server}/stories/coffee-harvest-2020"),
        ("Cocoa premium raised by ten per cent", "2020-10-21",
         "{server}/stories/cocoa-premium"),
        ('"Trade, not aid": Amara Diallo on cotton', "2020-10-09",
         "{server}/stories/interview-amara"),
    ],
    "table.html": [  # 27/11/2020, day first
        ("Savings week breaks records", "2020-11-27",
         "{server}/press/2020/savings-week"),
        ("New chief executive appointed", "2020-11-13",
         "{server}/press/2020/new-chief-executive"),
        ("Members' loan rates cut again", "2020-11-02",
         "{server}/press/2020/loan-rates"),
        ("Youth accounts pass 50,000", "2020-10-30",
         "{server}/press/2020/youth-accounts"),
        ("Branches reopen with new hours", "2020-10-16",
         "{server}/press/2020/branch-reopening"),
    ],
    "time.html": [  # <time datetime>, an <aside> of dated posts beside
        ("Teaching democracy in the workplace", "2020-11-27",
         "{server}/blog/2020/11/teaching-democracy"),
        ("Our archive goes online", "2020-11-19",
         "{server}/blog/2020/11/archive-online"),
        ("Young cooperators meet in Manchester", "2020-11-05",
         "{server}/blog/2020/11/young-cooperators"),
    ],
    "jsonld.html": [  # an ItemList, in its positions' order
        ("Why public procurement should favour cooperatives", "2020-11-25",
         "https://ess-forum.example/newsroom/procurement-blog"),
        ("Forum elects a new steering committee", "2020-11-18",
         "{server}/newsroom/steering-committee-2020"),
        ("Forum welcomes the UN resolution on the social economy", "2020-11-09",
         "{server}/newsroom/un-resolution"),
        # a block the ItemList leaves out
        ("Forum newsletter now in Spanish", "2020-11-02",
         "{server}/newsroom/newsletter-spanish"),
    ],
    "wordpress.html": [  # an archive page: a canonical link, per-post classes
        ("Winter fund opens for members in need", "2020-11-27",
         "https://mutual-aid.example/2020/11/27/winter-fund/"),
        ("Watch the annual meeting again", "2020-11-14",
         "https://mutual-aid.example/2020/11/14/agm-recording/"),
        ("Our new office on Market Street", "2020-10-30",
         "https://mutual-aid.example/2020/10/30/new-office/"),
    ],
    "drupal-views.html": [  # numbered row classes, no headings, RDFa of no news
        ("Annual meeting agrees new strategy", "2020-11-26",
         "{server}/news/2020/11/agm"),
        ("Community energy co-ops double", "2020-11-10",
         "{server}/news/2020/11/energy"),
        ("Retail society wins award", "2020-10-30", "{server}/news/2020/10/award"),
    ],
    "microdata.html": [
        ("A fund for business conversions", "2020-11-26",
         "https://workers.example/updates/conversion-fund"),
        ("The bakery that became a cooperative", "2020-11-10",
         "https://workers.example/updates/bakery"),
    ],
}  # fmt: skip


RDFA_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Notes</title></head>
<body vocab="https://schema.org/"><nav><a href="/a">All the notes</a></nav>
<div class="notes">
<div typeof="NewsArticle" resource="https://notes.example/one">
 <h2 property="headline"><a property="url" href="https://notes.example/one">The
 first note of the month</a></h2>
 <span property="datePublished" content="2020-11-02">Monday</span>
 <p property="description">What the first note says, in a sentence.</p></div>
<div typeof="NewsArticle" resource="https://notes.example/two">
 <h2 property="headline"><a property="url" href="https://notes.example/two">The
 second note of the month</a></h2>
 <span property="datePublished" content="2020-11-01">Sunday</span></div>
</div></body></html>"""
