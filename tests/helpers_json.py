"""JSON files for tests/test_json_input.py: items, layouts, and what broke."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path
from typing import Any

from enews.collect.json_source import read_json
from enews.collect.records import RawRecord

GOOD = {"kind": "News", "title": "Good item", "date": "2020-10-01"}
# Non-ASCII on purpose: a chunk boundary may fall inside a character.
TITLES = ("Zoë Ólafsdóttir on co-ops", "Housing — São Paulo", "Forum 😀 Nairobi")


def item(n: int, summary: str = "") -> dict[str, str]:
    return {
        "kind": "News",
        "title": f"{TITLES[n % 3]} {n}",
        "date": f"2020-10-{n % 28 + 1:02d}",
        "url": f"https://coop.example/{n}",
        "summary": summary or f"Summary {n}",
    }


def with_bad_item(path: Path, bad: str) -> Path:
    """A good item on line 2 and ``bad``, the text of an object, on line 3."""
    path.write_text(f"[\n{json.dumps(GOOD)},\n{bad}\n]\n", encoding="utf-8")
    return path


def read(data: bytes, source: str = "t.json") -> list[RawRecord]:
    return list(read_json(io.BytesIO(data), source=source))


def scattered(count: int, seed: int = 7) -> tuple[bytes, list[int]]:
    """Items laid out every which way (one line, pretty, blank lines, CRLF),
    and the line each one starts on, counted here independently."""
    rng = random.Random(seed)
    parts = ["["]
    line = 1
    starts = []
    for n in range(count):
        if n:
            parts.append(",")
        breaks = rng.choice(("", "\n", "\r\n", "\n\n\n", " \t"))
        parts.append(breaks)
        line += breaks.count("\n")
        starts.append(line)
        text = json.dumps(item(n), ensure_ascii=False, indent=rng.choice((None, 2)))
        parts.append(text)
        line += text.count("\n")
    parts.append("\n]\n")
    return "".join(parts).encode(), starts


def one_line(values: list[Any]) -> bytes:
    return json.dumps(values, ensure_ascii=False).encode()
