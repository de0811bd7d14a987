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


# mjml-python writes its columns' alignment and direction as left-to-right
# whatever the document's dir; in a right-to-left email they follow it. Only
# in style attributes: item text may say "text-align:left" in its words.
_STYLE_ATTR = re.compile(r'style="[^"]*"')
_LTR = re.compile(r"(text-align:)left|(direction:)ltr")


def compile_mjml(mjml: str, *, direction: str = "ltr") -> str:
    """Compile MJML to responsive HTML; a bad document raises CompileError."""
    from mjml import mjml2html  # imported here: keeps `enews --help` fast

    try:
        html = mjml2html(_referenced(mjml))
    except ValueError as exc:
        raise CompileError(f"MJML compile failed: {exc}") from exc
    return _STYLE_ATTR.sub(_rtl_style, html) if direction == "rtl" else html


def _rtl_style(attr: re.Match[str]) -> str:
    return _LTR.sub(lambda m: f"{m[1]}right" if m[1] else f"{m[2]}rtl", attr[0])


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
