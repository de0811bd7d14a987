"""JSON input that once crashed, was stored wrong or took quadratic time.

`enews import` runs in-process on a real SQLite file or PostgreSQL database
(tests/helpers_cli.py); the reader runs on real bytes.
"""

from __future__ import annotations

import json
import tracemalloc

import pytest

from enews.collect import json_source
from enews.collect.records import SourceError
from tests.helpers_cli import Run, data, initialised, ok, one_line_error, run, ws
from tests.helpers_json import GOOD, item, one_line, read, scattered, with_bad_item

__all__ = ["initialised", "run", "ws"]  # fixtures

DEEP = "[" * 100_000 + "]" * 100_000
BIG_INT = "9" * 5000


def stored(run: Run) -> list[dict]:
    return data(run("item", "list", "--json"))


# --- the file is refused: one line, nothing stored ----------------------------


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        (DEEP, 1, "malformed JSON: nested too deeply"),
        (f'[\n{json.dumps(GOOD)},\n{{"title": {DEEP}}}]', 3, "nested too deeply"),
        (f'{{"items": [], "meta": {DEEP}}}', 1, "nested too deeply"),
        (f'[\n{{"id": {BIG_INT}, "title": "x"}}]', 2,
         "malformed JSON: an integer of 5000 digits (at most 640)"),
        (f'[\n\n{{"title": -{BIG_INT}}}]', 3, "an integer of 5000 digits"),
        (f'{{"version": {BIG_INT}, "items": []}}', 1, "an integer of 5000 digits"),
    ],
)  # fmt: skip
def test_unreadable_json_is_one_line_naming_the_line(
    initialised, run, tmp_path, text, line, problem
):
    path = tmp_path / "in.json"
    path.write_text(text, encoding="utf-8")
    message = one_line_error(run("import", str(path)))
    assert message.startswith(f"error: {path}:{line}: ") and problem in message
    assert stored(run) == []


# --- one record is refused: --skip-invalid imports the rest -------------------


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ('"title": NaN', "title: must be text, not a number"),
        ('"title": Infinity', "title: must be text, not a number"),
        ('"title": -Infinity', "title: must be text, not a number"),
        ('"title": 1e999999', "title: must be text, not a number"),
        ('"title": 12', "title: must be text, not a number"),
        ('"date": 20201001', "date: must be text, not a number"),
        ('"summary": -0.5', "summary: must be text, not a number"),
        ('"title": true', "title: must be text, not true"),
        ('"url": false', "url: must be text, not false"),
        ('"title": {"en": "x"}', "title: must be text, not an object"),
        ('"kind": ["News"]', "kind: must be text, not a list"),
        ('"title": "a\\ud800b"', "title: a lone surrogate \\ud800"),
        ('"summary": "end \\udfff"', "summary: a lone surrogate \\udfff"),
        ('"title": "x", "title": "y"', "duplicate key 'title'"),
        ('"tags": 1, "tags": 2', "duplicate key 'tags'"),
        ('"image": "https://e.org/i.png", "image_url": "https://e.org/j.png"',
         "'image' and 'image_url' are one field (give only one)"),
    ],
)  # fmt: skip
def test_a_value_that_is_not_text_is_a_problem_of_its_record(
    initialised, run, tmp_path, bad, problem
):
    base = {"kind": "News", "title": "Bad item", "date": "2020-10-02", "image_alt": "x"}
    fields = [f'"{k}": "{v}", ' for k, v in base.items() if f'"{k}"' not in bad]
    path = with_bad_item(tmp_path / "in.json", f"{{{''.join(fields)}{bad}}}")
    result = run("import", str(path))
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert lines[0] == f"{path}:3: {problem}" or lines[0].startswith(
        f"{path}:3: {problem} "
    ), lines[0]
    assert lines[-1].startswith("error: 1 invalid record(s); nothing was imported")
    assert stored(run) == []
    ok(run("import", str(path), "--skip-invalid"))
    assert [i["title"] for i in stored(run)] == ["Good item"]


def test_escaped_surrogate_pairs_and_odd_keys_still_import(initialised, run, tmp_path):
    path = tmp_path / "in.json"
    path.write_text(
        '[{"kind": "News", "title": "Smile \\ud83d\\ude00", "date": "2020-10-01",'
        ' "t\\ud800": 1, "id": 12, "source": "elsewhere"}]'
    )
    result = ok(run("import", str(path)))
    assert "unknown key 't\\ud800' ignored" in result.stderr
    assert [i["title"] for i in stored(run)] == ["Smile 😀"]


# --- streaming: line numbers, chunk boundaries, memory ------------------------


def test_line_numbers_survive_every_layout_across_chunks():
    text, starts = scattered(3000)
    assert len(text) > 6 * (1 << 16)  # many chunks and windows
    records = read(text)
    assert [r.line for r in records] == starts
    assert [r.fields["title"] for r in records] == [
        item(n)["title"] for n in range(3000)
    ]


def test_a_one_line_file_is_all_line_one():
    records = read(one_line([item(n) for n in range(3000)]))
    assert len(records) == 3000 and {r.line for r in records} == {1}
    assert records[-1].fields == item(2999)


def test_bare_values_cut_by_a_chunk_boundary_are_read_whole():
    values = [10**15 + n for n in range(40_000)] + [True, None]
    records = read(one_line(values))
    assert len(records) == len(values)
    assert {r.problem for r in records} == {"an item must be an object {...}"}


@pytest.mark.parametrize(
    ("tail", "line", "problem"),
    [
        (b'{"title": "x",}\n]', 3001, "malformed JSON: Expecting property name"),
        (b'{"title": "caf\xe9"}]', 3001, "not UTF-8"),
        (b'{"title": "open', 3001, "malformed JSON: Unterminated string"),
    ],
)
def test_errors_far_into_a_file_name_their_line(tail, line, problem):
    head = "[\n" + "".join(json.dumps(item(n)) + ",\n" for n in range(2999))
    with pytest.raises(SourceError) as info:
        read(head.encode() + tail)
    assert str(info.value).startswith(f"t.json:{line}: {problem}")


def test_a_one_line_file_streams_in_constant_memory():
    summary = "Members met to compare deposits and payments. " * 40
    text = one_line([item(n, summary) for n in range(4000)])
    assert len(text) > 7_000_000
    read(one_line([item(0)]))  # imports and first-use caches, before measuring
    tracemalloc.start()
    try:
        count = 0
        for record in json_source.read_json(_Stream(text), source="t.json"):
            count += 1
            del record
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 4000
    # About one 64K-character chunk of 4-byte characters (the emoji), and a
    # copy while it is joined (1 MB); never the whole file (8 MB; the reader
    # that read it as one line peaked at 63 MB).
    assert peak < 2 << 20, f"peak {peak} bytes for {len(text)} bytes of file"


class _Stream:
    """Bytes read from memory without holding a decoded copy (as a file)."""

    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.at = 0

    def read(self, size: int) -> bytes:
        piece = bytes(self.data[self.at : self.at + size])
        self.at += len(piece)
        return piece


def test_an_item_over_the_cap_is_refused_and_one_under_it_is_read(monkeypatch):
    monkeypatch.setattr(json_source, "MAX_ITEM", 1 << 20)
    fits = [item(0, "x" * 900_000), item(1)]
    assert [r.fields["url"] for r in read(one_line(fits))] == [
        "https://coop.example/0", "https://coop.example/1"
    ]  # fmt: skip
    huge = f"[\n{json.dumps(item(0))},\n{json.dumps(item(1, 'x' * 3_000_000))}]"
    with pytest.raises(SourceError, match=r"^t\.json:3: an item is larger than 1 MB"):
        read(huge.encode())


def test_malformed_json_is_reported_before_the_cap_is_reached(monkeypatch):
    monkeypatch.setattr(json_source, "MAX_ITEM", 1 << 20)
    rest = "".join(f",\n{json.dumps(item(n, 'y' * 1000))}" for n in range(3000))
    text = f'[\n{{"title": "a",}}{rest}]'.encode()
    with pytest.raises(SourceError, match=r"^t\.json:2: malformed JSON: Expecting"):
        read(text)
