"""The YAML front matter of caniemail's feature files, without PyYAML.

caniemail's ``_features/*.md`` open with Jekyll front matter: ``key: value``
lines whose value is a scalar or a ``{...}`` flow mapping over many lines,
with bare or quoted keys, trailing commas and tab indentation. PyYAML (a
YAML 1.1 parser) refuses the tabs in most files, which Ruby's parser, the one
Jekyll uses, accepts. This reads that subset and nothing more: anything else
(block mappings, lists, anchors, multi-line scalars) stops with the file and
line, so a change in caniemail's format is seen, not guessed at.

Checked once against PyYAML on the 307 files of the snapshot, with tabs made
spaces: the same data for every file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_TOKEN = re.compile(
    r"""(?P<space>[ \t\r\n]+)
      | (?P<punct>[{}:,])
      | "(?P<dq>(?:[^"\\]|\\.)*)"
      | '(?P<sq>(?:[^']|'')*)'
      | (?P<plain>[^\s{}:,"'][^{}:,\n]*?)(?=\s*[{}:,\n]|\s*$)
    """,
    re.VERBOSE | re.DOTALL,
)
# a top-level key, bare or quoted ("notes_by_num" in html-lists), and its value
_KEY_LINE = re.compile(r"""^["']?([A-Za-z_][\w-]*)["']?:(?:[ \t]+(.*))?$""")


def parse_front_matter(path: Path) -> dict[str, Any]:
    """The YAML front matter of one caniemail feature file, as a dict."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].strip() != "---":
        raise SystemExit(f"{path.name}:1: no front matter")
    end = next((n for n in range(1, len(lines)) if lines[n].strip() == "---"), None)
    if end is None:
        raise SystemExit(f"{path.name}: front matter never closed")
    result: dict[str, Any] = {}
    n = 1
    while n < end:
        line = lines[n]
        if not line.strip() or line.lstrip().startswith("#"):
            n += 1
            continue
        found = _KEY_LINE.match(line.rstrip())
        if not found:
            raise SystemExit(f"{path.name}:{n + 1}: not a 'key: value' line")
        key, value = found[1], (found[2] or "").strip()
        if value.startswith("{"):
            text = "\n".join([value, *lines[n + 1 : end]])
            tokens = _tokens(text, path.name, n + 1)
            items = [t for t in tokens if t[0] != "space"]
            result[key], _ = _mapping_from(items, 0, path.name)
            n += "".join(t[2] for t in tokens).count("\n") + 1
        else:
            result[key] = _scalar(value, path.name, n + 1)
            n += 1
    return result


def _tokens(text: str, name: str, line: int) -> list[tuple[str, str, str]]:
    """(kind, value, raw text) tokens up to the end of the first mapping."""
    tokens: list[tuple[str, str, str]] = []
    depth = 0
    for found in _iter_tokens(text, name, line):
        kind = found.lastgroup or ""
        raw = found[0]
        value = found[kind] if kind in ("dq", "sq", "plain") else raw
        tokens.append((kind, value, raw))
        if kind == "punct" and raw in "{}":
            depth += 1 if raw == "{" else -1
            if depth == 0:
                rest = text[found.end() :].split("\n", 1)[0]
                if rest.strip():  # the closing line must end with the brace
                    raise SystemExit(f"{name}: text after a mapping: {rest!r}")
                return tokens
    raise SystemExit(f"{name}:{line}: a mapping is never closed")


def _iter_tokens(text: str, name: str, line: int) -> Iterator[re.Match[str]]:
    pos = 0
    while pos < len(text):
        found = _TOKEN.match(text, pos)
        if not found:
            where = line + text.count("\n", 0, pos)
            raise SystemExit(f"{name}:{where}: unexpected {text[pos : pos + 20]!r}")
        pos = found.end()
        yield found


def _mapping_from(
    items: list[tuple[str, str, str]], at: int, name: str
) -> tuple[dict[str, Any], int]:
    """Parse ``{ key: value, ... }`` from ``items[at]`` (tokens without the
    spaces); a trailing comma is allowed, as YAML allows it and the files use
    it. Returns the mapping and the index after its closing brace."""

    def expect(i: int, raw: str) -> int:
        if i >= len(items) or items[i][2] != raw:
            got = items[i][2] if i < len(items) else "the end"
            raise SystemExit(f"{name}: expected {raw!r}, found {got!r}")
        return i + 1

    i = expect(at, "{")
    mapping: dict[str, Any] = {}
    while items[i][2] != "}":
        kind, key, _ = items[i]
        if kind not in ("dq", "sq", "plain"):
            raise SystemExit(f"{name}: a mapping key expected, found {key!r}")
        i = expect(i + 1, ":")
        value: Any
        if items[i][2] == "{":
            value, i = _mapping_from(items, i, name)
        elif items[i][0] in ("dq", "sq", "plain"):
            value, i = _unquote(items[i]), i + 1
        else:
            raise SystemExit(f"{name}: a value expected for {key!r}")
        # A key given twice keeps its last value, as Jekyll's parser does
        # (css-inert-attribute lists one sfr version twice).
        mapping[_unquote((kind, key, ""))] = value
        if items[i][2] == ",":
            i += 1
        elif items[i][2] != "}":
            raise SystemExit(f"{name}: ',' or '}}' expected after {key!r}")
    return mapping, i + 1


def _unquote(token: tuple[str, str, str]) -> str:
    kind, value, _ = token
    if kind == "dq":
        try:
            return str(json.loads(f'"{value}"'))  # YAML's \" and \\ are JSON's
        except json.JSONDecodeError as exc:
            raise SystemExit(f"an escape beyond this parser in {value!r}") from exc
    if kind == "sq":
        return value.replace("''", "'")
    return value.strip()


def _scalar(value: str, name: str, line: int) -> str:
    if value.startswith('"'):
        found = re.fullmatch(r'"((?:[^"\\]|\\.)*)"\s*(?:#.*)?', value)
        if not found:
            raise SystemExit(f"{name}:{line}: a bad quoted value")
        return _unquote(("dq", found[1], ""))
    if value.startswith("'"):
        found = re.fullmatch(r"'((?:[^']|'')*)'\s*(?:#.*)?", value)
        if not found:
            raise SystemExit(f"{name}:{line}: a bad quoted value")
        return _unquote(("sq", found[1], ""))
    if value and value[0] in "[|>&*!%@`":
        raise SystemExit(f"{name}:{line}: YAML beyond this parser: {value[:20]!r}")
    return re.sub(r"\s+#.*$", "", value)
