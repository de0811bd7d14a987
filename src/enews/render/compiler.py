"""MJML -> HTML with mjml-python (the Rust MRML compiler)."""

from __future__ import annotations

import re
import unicodedata

from enews.errors import CompileError

# mjml-python writes some characters of an attribute the way Rust debugs a
# string: a backslash doubled, a combining accent as "\u{301}". As character
# references they pass through unchanged, and every client reads them.
_RUST_ESCAPED = {"Mn", "Mc", "Me", "Zs", "Zl", "Zp", "Cc", "Cf", "Co", "Cn", "Cs"}
_CANDIDATE = re.compile(r"[\\\u0080-\U0010ffff]")
# CSS would not read a reference: the style blocks stay as they are (the
# templates' own text, with no such character).
_STYLE_BLOCK = re.compile(r"(<mj-style\b.*?</mj-style>)", re.DOTALL)


def compile_mjml(mjml: str) -> str:
    """Compile MJML to responsive HTML; a bad document raises CompileError."""
    from mjml import mjml2html  # imported here: keeps `enews --help` fast

    try:
        return mjml2html(_referenced(mjml))
    except ValueError as exc:
        raise CompileError(f"MJML compile failed: {exc}") from exc


def _referenced(mjml: str) -> str:
    """``mjml`` with each character mjml-python would garble as a reference."""
    parts = _STYLE_BLOCK.split(mjml)  # style blocks at the odd places
    return "".join(
        part if odd else _CANDIDATE.sub(_reference, part)
        for odd, part in ((n % 2 == 1, p) for n, p in enumerate(parts))
    )


def _reference(found: re.Match[str]) -> str:
    char = found[0]
    if char == "\\" or unicodedata.category(char) in _RUST_ESCAPED:
        return f"&#x{ord(char):x};"
    return char
