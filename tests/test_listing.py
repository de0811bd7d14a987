"""read_listing: numbered blocks of text copied from a news web page.

The format, line by line. Bytes that are not text, empty files, big files
and arbitrary input are in test_listing_input.py.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from enews.collect.listing import read_listing
from enews.collect.records import RawRecord, SourceError

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
    warnings: list[str] = []
    records = list(
        read_listing(
            io.BytesIO(text.encode()), source="paste.txt", warn=warnings.append
        )
    )
    assert warnings == [  # the heading is skipped, once, naming its first line
        "paste.txt:1: skipped the text before the first numbered item "
        "('Home | About | News'...)"
    ]
    assert [(r.line, r.problem) for r in records] == [
        (4, "no kind, title or date after the number"),
        (5, ""),
        (8, "no title or date after the kind"),
    ]


def test_file_without_numbered_blocks():
    with pytest.raises(SourceError) as caught:
        read_text("\n\nNews\nA title\n27 November 2020\n")
    assert caught.value.line == 1
    assert caught.value.problem.startswith("no numbered items found")
    assert "'1. News'" in caught.value.problem
