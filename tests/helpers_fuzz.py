"""Strategies for fuzzing enews's entry points: text that reaches the nasty
parts (control characters, noncharacters, surrogates, character references,
deep nesting, lengths at the limits, broken links, dates at the edges) and
the files of every importer built from it.

tests/helpers_fuzz_files.py builds import files from it;
tests/helpers_fuzz_run.py holds the property these feed; tests/test_fuzz.py
runs it on a small budget and benchmarks/fuzz.py on a large one.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from enews import limits

# Control characters: C0, DEL and C1 (pasted Windows-1252 text).
CONTROLS = [chr(c) for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))]
NASTY = [
    *("\ufffe", "\uffff", "\ufdd0", "\U0001fffe", "\U0010ffff", "\ufeff", "\u00a0"),
    *("\u2028", "\u2029", "\u200b", "\u202e", "\u0301", "\r\n", "\r", "\n", "\t"),
    *("&#1;", "&#0;", "&#65534;", "&#x1b;", "&#xD800;", "&#1114112;", "&#99999999;"),
    *("&amp;", "&lt;", "&nbsp;", "&bogus;", "&", "<", ">", '"', "'", "\\", "`"),
    *("<em>", "</em>", "<p>", "</p>", "<li>", "<ul>", "<br>", "</a>", "<b>"),
    '<a href="https://e.org/x">',
    "<a href='javascript:alert(1)'>",
    *("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<style>"),
    *("<![CDATA[", "]]>", "<!--", "-->", "<mj-text>", "</mj-column>", "<mjml>"),
    *("{{ x }}", "{%", "%}", "*|UNSUB|*", "[[enews:unsubscribe]]", "%url%"),
    *("**", "*", "_", "[x](javascript:alert(1))", "[y](https://e.org/y)"),
    *("- ", "1. ", "# ", "> ", "    ", "\n\n", "\n- ", "\n    "),
    *(
        "é",
        "ß",
        "İ",
        "ﬁ",
        "\U0001d4b3",
        "😀",
        "日本",
        "%E2%80",
        "=?utf-8?q?x?=",
        "\x85",
    ),
]
WORDS = st.sampled_from(["News", "forum", "Co-op", "SACCO", "2020", "a", " ", ","])
NEST_TAGS = ["em", "strong", "ul", "li", "ol", "p", "a", "b", "div", "blockquote"]
# Lengths on either side of every limit of limits.py.
EDGES = sorted(
    {
        n + d
        for n in (limits.KIND, limits.ITEM_TITLE, limits.SUBJECT)
        for d in (-1, 0, 1)
    }
    | {n + d for n in (limits.INTRO, limits.SUMMARY) for d in (-1, 0, 1)}
)


def text(*, surrogates: bool = True, size: int = 10) -> st.SearchStrategy[str]:
    """Pieces of nasty text joined: any character, controls, markup, entities."""
    any_char = st.characters(blacklist_categories=() if surrogates else ("Cs",))
    piece = st.one_of(
        WORDS,
        st.text(any_char, max_size=6),
        st.sampled_from(NASTY),
        st.sampled_from(CONTROLS),
    )
    return st.lists(piece, max_size=size).map("".join)


def long_text() -> st.SearchStrategy[str]:
    """One piece repeated up to a limit, just over it, or far over it."""
    piece = st.sampled_from(["a", "é", "&", "<", "😀", " ", "\n", "ab ", "&amp;"])
    return st.builds(lambda p, n: p * n, piece, st.sampled_from(EDGES))


def nested() -> st.SearchStrategy[str]:
    """Tags nested deep: ``<em><em>...deep...</em></em>`` and kin."""
    return st.builds(
        lambda tags, n, close: (
            "".join(f"<{t}>" for t in tags) * n
            + "deep"
            + ("".join(f"</{t}>" for t in reversed(tags)) * n if close else "")
        ),
        st.lists(st.sampled_from(NEST_TAGS), min_size=1, max_size=3),
        st.integers(1, 600),
        st.booleans(),
    )


def markdown_nested() -> st.SearchStrategy[str]:
    return st.builds(
        lambda mark, n: (
            "\n".join("  " * i + mark for i in range(n))
            if mark == "- x"
            else mark * n + " deep"
        ),
        st.sampled_from(["- x", "> ", "*", "**", "["]),
        st.integers(1, 300),
    )


def mild_text() -> st.SearchStrategy[str]:
    """Words, markup and entities, without the characters an email refuses."""
    piece = st.one_of(WORDS, st.sampled_from([n for n in NASTY if n.isprintable()]))
    return st.lists(piece, max_size=10).map("".join)


@st.composite
def any_text(draw: st.DrawFn, *, surrogates: bool = True) -> str:
    """One of the kinds of text, picked fairly: left to themselves,
    hypothesis's choices lean to the nastiest, which are refused at once."""
    kinds = [text(surrogates=surrogates), mild_text(), long_text(), nested()]
    kinds.append(markdown_nested())
    return draw(draw(st.randoms(use_true_random=False)).choice(kinds))


def dates() -> st.SearchStrategy[str]:
    """Dates as people type them, at and beyond 1900-2199, and not dates."""
    numbers = st.builds(
        "{:04d}-{:02d}-{:02d}".format,
        st.sampled_from([0, 1, 999, 1899, 1900, 2020, 2199, 2200, 9999]),
        st.integers(0, 13),
        st.integers(0, 32),
    )
    written = st.builds(
        lambda day, month, year, us: (
            f"{month} {day}, {year}" if us else f"{day} {month} {year}"
        ),
        st.sampled_from(["1", "29", "29th", "31", "0", "32", "1st"]),
        st.sampled_from(["October", "Oct.", "Sept", "feb", "Febtober", "OCT"]),
        st.sampled_from(["1899", "1900", "2020", "2199", "2200", "0000"]),
        st.booleans(),
    )
    good = st.dates(dt.date(1900, 1, 1), dt.date(2199, 12, 31)).map(str)
    return st.one_of(good, numbers, written, text(size=4))


def months() -> st.SearchStrategy[str]:
    numbers = st.builds(
        "{:04d}-{:02d}".format,
        st.sampled_from([0, 1899, 1900, 2020, 2199, 2200, 9999]),
        st.integers(0, 13),
    )
    return st.one_of(numbers, text(size=3), st.just("2020-10"))


def urls(*, surrogates: bool = True) -> st.SearchStrategy[str]:
    """Links good and broken: IPv6 brackets, ports, quotes, schemes, hosts."""
    scheme = st.sampled_from(
        ["https://", "http://", "HTTPS://", "javascript:", "", "//"]
    )
    scheme |= st.sampled_from(["mailto:", "ftp://", "data:text/html,", "https:"])
    host = st.sampled_from(["e.org", "[::1", "[::1]", "", "ex ample.org", "é.org"])
    host |= st.sampled_from(["e.org:99999", "e.org:0", "e.org:-1", "e.org:x"])
    host |= st.sampled_from(["u:p@e.org", "127.0.0.1", "e.org\\@evil.org", "a." * 40])
    path = st.one_of(
        st.sampled_from(["", "/", "/news/1", "/a?b=1&c=2", "/#f", "/%zz", "/%E2%80"]),
        text(surrogates=surrogates, size=3).map(lambda t: "/" + t),
    )
    built = st.builds(lambda s, h, p: s + h + p, scheme, host, path)
    return st.one_of(built, text(surrogates=surrogates, size=4), long_url())


def long_url() -> st.SearchStrategy[str]:
    return st.sampled_from([1990, 2000, 2001, 5000]).map(
        lambda n: "https://e.org/" + "a" * (n - len("https://e.org/"))
    )


def item_field(name: str, *, surrogates: bool = True) -> st.SearchStrategy[str]:
    """Values for one field of an item (the library's field names)."""
    if name == "date":
        return dates()
    if name in ("url", "image_url"):
        return urls(surrogates=surrogates)
    if name == "summary_format":
        return st.sampled_from(["text", "html", "markdown", "", "HTML", "rtf"])
    if name == "kind":
        return st.one_of(
            st.sampled_from(["News", "Article"]), any_text(surrogates=surrogates)
        )
    return any_text(surrogates=surrogates)


ITEM_FIELDS = ("kind", "title", "date", "url", "summary", "summary_format")
ITEM_FIELDS += ("image_url", "image_alt")
BASE_ITEM = {"kind": "News", "title": "Forum opens", "date": "2020-10-15"}


def item_values(
    fields: tuple[str, ...] = ITEM_FIELDS, *, surrogates: bool = True
) -> st.SearchStrategy[dict[str, str]]:
    """A valid item with one to three of its fields made nasty."""
    one = st.sampled_from(fields).flatmap(
        lambda name: st.tuples(st.just(name), item_field(name, surrogates=surrogates))
    )
    image = st.fixed_dictionaries(
        {"image_url": st.just("https://e.org/i.png"), "image_alt": st.just("A photo")}
    )
    base = st.one_of(st.just(BASE_ITEM), image.map(lambda d: BASE_ITEM | d))
    return st.builds(
        lambda b, nasty: {**b, **dict(nasty)},
        base,
        st.lists(one, min_size=1, max_size=3),
    )


def issue_values(*, surrogates: bool = True) -> st.SearchStrategy[dict[str, str]]:
    """The texts of an issue (``issue set``), one to four of them nasty."""
    names = ("title", "subject", "preheader", "intro")
    return st.dictionaries(
        st.sampled_from(names), any_text(surrogates=surrogates), min_size=1
    )
