"""read_listing: numbered blocks of text copied from a news web page."""

from __future__ import annotations

import inspect
import io
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enews.collect.listing import read_listing
from enews.collect.records import RawRecord, SourceError
from enews.collect.textio import CHUNK

DATA = Path(__file__).parent / "data"

EXPECTED = [
    RawRecord(
        1,
        {
            "kind": "News",
            "title": "A regional forum on cooperative finance is held in Nairobi",
            "date": "27 November 2020",
            "summary": (
                "The two-day forum brought together savings and credit "
                "cooperatives from Kenya, Uganda and Tanzania to compare digital "
                "lending & member data practices.\n\n"
                "Delegates agreed to meet again in Kampala next year."
            ),
        },
    ),
    RawRecord(
        13,
        {
            "kind": "Article",
            "title": "Housing cooperatives after the pandemic",
            "date": "04 November 2020",
        },
    ),
    RawRecord(
        19,
        {
            "kind": "Partner Interview",
            "title": (
                "Zoë Martin, Coopérative Les Jardins du Lez: "
                "“Short supply chains kept us going”"
            ),
            "date": "2 Nov 2020",
            "summary": (
                "The vegetable cooperative now delivers to 400 households "
                "within twenty kilometres of Montpellier."
            ),
        },
    ),
    RawRecord(
        25,
        {
            "kind": "News",
            "title": "Worker cooperatives\u2019 employment held steady through 2020",
            "date": "29 Oct. 2020",
        },
    ),
    RawRecord(
        29,
        {
            "kind": "Publication",
            "title": "Guide to cooperative governance now in Spanish & Portuguese",
            "date": "15 Oct 2020",
            "summary": (
                "The guide explains the roles of the board, the general assembly "
                "and the supervisory committee, with examples from Cooperativa "
                "Agrária São José and Coopérative d\u2019habitation Saint-Roch."
            ),
        },
    ),
    RawRecord(
        39,
        {
            "kind": "Event",
            "title": "Webinar: young people and the cooperative movement",
            "date": "1 October 2020",
        },
    ),
    RawRecord(
        43,
        {
            "kind": "Partner Interview",
            "title": (
                "Five questions for Søren Ødegaard, Nordic Agricultural Co-operatives"
            ),
            "date": "24 September 2020",
            "summary": "On dairy prices, new members and the next ten years.",
        },
    ),
]


def read_file(name: str) -> list[RawRecord]:
    with (DATA / name).open("rb") as stream:
        return list(read_listing(stream, source=name))


def read_text(text: str) -> list[RawRecord]:
    return list(read_listing(io.BytesIO(text.encode()), source="paste.txt"))


def test_reads_every_block_of_a_realistic_listing():
    assert read_file("listing.txt") == EXPECTED


def test_crlf_and_bom_give_exactly_the_same_records():
    raw = (DATA / "listing-crlf-bom.txt").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\r\n") == raw.count(b"\n") > 40
    assert read_file("listing-crlf-bom.txt") == EXPECTED


def test_bad_listing_reports_each_problem_at_its_line():
    assert read_file("listing-bad.txt") == [
        RawRecord(1, {}, "text outside a numbered block"),
        RawRecord(
            4,
            {"kind": "News", "title": "Fair-trade coffee cooperatives meet in Lima"},
            "no date line after the title",
        ),
        RawRecord(
            10,
            {
                "kind": "Article",
                "date": "12 November 2020",
                "summary": "Why cooperatives need their own statistics.",
            },
            "no title: the date on line 11 follows the kind",
        ),
        RawRecord(
            14,
            {
                "kind": "News",
                "title": "Credit unions launch a shared mobile app",
                "date": "9 November 2020",
            },
        ),
    ]


def test_no_blank_lines_and_number_alone_on_its_line():
    text = "1.\nNews\nTitle one\n3 March 2021\n2. Article\nTitle two\n4 March 2021\n"
    assert read_text(text) == [
        RawRecord(1, {"kind": "News", "title": "Title one", "date": "3 March 2021"}),
        RawRecord(5, {"kind": "Article", "title": "Title two", "date": "4 March 2021"}),
    ]


def test_numbering_need_not_increase():
    text = "3. News\nA\n1 May 2021\n3. News\nB\n2 May 2021\n1. News\nC\n3 May 2021\n"
    records = read_text(text)
    assert [(r.line, r.fields["title"], r.problem) for r in records] == [
        (1, "A", ""),
        (4, "B", ""),
        (7, "C", ""),
    ]


@pytest.mark.parametrize(
    "date",
    [
        "27 November 2020",
        "04 November 2020",
        "4 Nov 2020",
        "4 Nov. 2020",
        "27 November, 2020",
        "November 27, 2020",
        "Nov 27 2020",
        "Sept 3, 2020",
        "27th November 2020",
        "1st Feb 2021",
        "27 NOVEMBER 2020",
        "27\xa0November\xa02020",
        "27&nbsp;November 2020",
    ],
)
def test_date_line_forms(date):
    (record,) = read_text(f"1. News\nTitle\n{date}\nSummary.\n")
    assert record.problem == ""
    assert record.fields["date"] == date.replace("&nbsp;", "\xa0")
    assert record.fields["summary"] == "Summary."


@pytest.mark.parametrize(
    "line",
    [
        "27 Novembre 2020",  # not English
        "November 2020",  # no day
        "27 November",  # no year
        "2020-11-27",  # not a written date
        "Published 27 November 2020",  # not the whole line
        "٢٧ November ٢٠٢٠",  # Arabic-Indic digits
    ],
)
def test_lines_that_are_not_date_lines(line):
    (record,) = read_text(f"1. News\nTitle\n{line}\n")
    assert record.problem == "no date line after the title"


def test_summary_lines_join_and_paragraphs_stay_apart():
    text = (
        "1. News\nTitle\n1 June 2021\n"
        "  First line\n   of paragraph one.  \n\n\n"
        "Paragraph two,\nstill two.\n \t\nThree.\n"
    )
    (record,) = read_text(text)
    assert record.fields["summary"] == (
        "First line of paragraph one.\n\nParagraph two, still two.\n\nThree."
    )


def test_html_entities_are_decoded_everywhere():
    text = "1. Q&amp;A\nJos&eacute; &amp; Zo&#235; at the co&#8209;op\n1 Jun 2021\n"
    text += "Fish &lt;&gt; chips &#x2014; &quot;yes&quot;\n"
    (record,) = read_text(text)
    assert record.fields == {
        "kind": "Q&A",
        "title": "José & Zoë at the co\u2011op",
        "date": "1 Jun 2021",
        "summary": 'Fish <> chips — "yes"',
    }


def test_entities_are_decoded_once():
    (record,) = read_text("1. &amp;lt;Q&amp;amp;A&amp;gt;\nA &amp;amp; B\n1 Jun 2021\n")
    assert record.fields["kind"] == "&lt;Q&amp;A&gt;"
    assert record.fields["title"] == "A &amp; B"


def test_numbers_inside_a_summary_do_not_open_blocks():
    text = "1. News\nTitle\n1 June 2021\nMembership grew by\n1.5 million in\n"
    text += "2020. The federation\n"
    (record,) = read_text(text)
    assert record.fields["summary"] == (
        "Membership grew by 1.5 million in 2020. The federation"
    )


def test_blank_looking_lines_are_blank():
    text = "1. News\n&nbsp;\n\u200b\nTitle\n\ufeff \n1 June 2021\n"
    assert read_text(text) == [
        RawRecord(1, {"kind": "News", "title": "Title", "date": "1 June 2021"})
    ]


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("1.\n", 1, "no kind, title or date after the number"),
        ("\n\n1. News\n\n", 3, "no title or date after the kind"),
        ("1.\n1 June 2021\n", 1, "no kind or title before the date on line 2"),
        ("1. 1 June 2021\nText\n", 1, "no kind or title before the date on line 1"),
        (
            "1. News\nTitle\nBy Zoë Martin\nPhoto: Coop\n1 June 2021\n",
            1,
            "unexpected text on line 3, between the title and the date on line 5"
            " (a title must fit on one line)",
        ),
    ],
)
def test_incomplete_blocks(text, line, problem):
    (record,) = read_text(text)
    assert (record.line, record.problem) == (line, problem)


def test_a_bad_block_does_not_stop_the_next_ones():
    text = "Home | About | News\n\nMenu\n1.\n2. News\nT\n1 June 2021\n3. News\n"
    records = read_text(text)
    assert [(r.line, r.problem) for r in records] == [
        (1, "text outside a numbered block"),  # once, at its first line
        (4, "no kind, title or date after the number"),
        (5, ""),
        (8, "no title or date after the kind"),
    ]


def test_not_utf8_names_the_line():
    data = b"1. News\nTitle\n1 June 2021\n" + b"Caf\xe9 co-op\n"
    records = read_listing(io.BytesIO(data), source="paste.txt")
    with pytest.raises(SourceError) as caught:
        list(records)
    assert caught.value.line == 4
    assert caught.value.problem.startswith("not UTF-8 text (byte 0xe9)")
    assert str(caught.value).startswith("paste.txt:4: not UTF-8")


@pytest.mark.parametrize(
    "data",
    [
        b"1. News\nTitle\n1 June 2021\nCo\xc3",  # cut off inside "\xc3\xa9"
        b"1. News\nTitle\n1 June 2021\nCo\xe2\x80",
        b"1. News\nTitle\n1 June 2021\nCo\xc3\n",
    ],
)
def test_character_cut_off_names_the_line(data):
    with pytest.raises(SourceError) as caught:
        list(read_listing(io.BytesIO(data), source="paste.txt"))
    assert caught.value.line == 4
    assert caught.value.problem.startswith("not UTF-8 text")


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"  \r\n\n\t\n", b"&nbsp;"])
def test_empty_file(data):
    with pytest.raises(SourceError) as caught:
        list(read_listing(io.BytesIO(data), source="empty.txt"))
    assert (caught.value.line, caught.value.problem) == (None, "the file is empty")
    assert str(caught.value) == "empty.txt: the file is empty"


def test_file_without_numbered_blocks():
    with pytest.raises(SourceError) as caught:
        read_text("\n\nNews\nA title\n27 November 2020\n")
    assert caught.value.line == 1
    assert caught.value.problem.startswith("no numbered items found")
    assert "'1. News'" in caught.value.problem


def many_blocks(count: int) -> bytes:
    block = (
        "{n}. News\n\n   Cooperative item {n}\n\n   27 November 2020\n\n   Text.\n\n"
    )
    return "".join(block.format(n=n % 100 + 1) for n in range(count)).encode()


class ReadCounter(io.BytesIO):
    """A stream that remembers how far it has been read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.furthest = 0

    def read(self, size: int | None = -1, /) -> bytes:
        chunk = super().read(size)
        self.furthest = max(self.furthest, self.tell())
        return chunk


def test_reads_lazily():
    stream = ReadCounter(many_blocks(20_000))
    assert len(stream.getvalue()) > 10 * CHUNK
    records = read_listing(stream, source="big.txt")
    assert inspect.isgenerator(records)
    assert stream.furthest == 0  # nothing read before the first record is asked for
    first = next(records)
    assert first.fields["title"] == "Cooperative item 1"
    assert stream.furthest <= CHUNK  # the first chunk, not the whole file


def test_twenty_thousand_blocks_quickly():
    data = many_blocks(20_000)
    start = time.perf_counter()
    records = list(read_listing(io.BytesIO(data), source="big.txt"))
    elapsed = time.perf_counter() - start
    assert len(records) == 20_000
    assert not any(r.problem for r in records)
    assert records[-1].line == 8 * 19_999 + 1
    assert elapsed < 1.0


LINES = st.sampled_from(
    [
        "",
        "  ",
        "1. News",
        "2.",
        "Partner Interview",
        "A title",
        "27 November 2020",
        "November 27, 2020",
        "Coopérative &amp; Zoë",
        "&#8217;",
        "&nbsp;",
        "\ufeff",
        "\r",
    ]
)


def check(data: bytes) -> None:
    try:
        for record in read_listing(io.BytesIO(data), source="any.txt"):
            assert record.line >= 1
            if not record.problem:
                assert {"kind", "title", "date"} <= record.fields.keys()
                assert all(record.fields[k] for k in ("kind", "title", "date"))
    except SourceError:
        pass


quick = settings(
    max_examples=150,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the checkout
    suppress_health_check=[HealthCheck.too_slow],
)


@quick
@given(st.text())
def test_any_text_gives_records_or_source_error(text):
    check(text.encode("utf-8", "surrogatepass"))


@quick
@given(st.lists(st.one_of(LINES, st.text(max_size=12)), max_size=30))
def test_any_listing_like_text_gives_records_or_source_error(lines):
    check("\n".join(lines).encode("utf-8", "surrogatepass"))


@quick
@given(st.binary())
def test_any_bytes_give_records_or_source_error(data):
    check(data)
