"""MJML -> HTML with mjml-python (the Rust MRML compiler)."""

from __future__ import annotations

from enews.errors import CompileError


def compile_mjml(mjml: str) -> str:
    """Compile MJML to responsive HTML; a bad document raises CompileError."""
    from mjml import mjml2html  # imported here: keeps `enews --help` fast

    try:
        return mjml2html(mjml)
    except ValueError as exc:
        raise CompileError(f"MJML compile failed: {exc}") from exc
