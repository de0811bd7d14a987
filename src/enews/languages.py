"""Which way a language is written: the email's ``dir`` follows it."""

from __future__ import annotations

# Languages written right to left: primary subtags, or language-script
# pairs (BCP 47) where the language is also written in another script.
# fmt: off
RTL_LANGUAGES = frozenset({
    "ar", "arc", "ckb", "dv", "fa", "he", "iw", "ks", "ku-arab", "pa-arab",
    "ps", "sd", "syr", "ug", "ur", "yi",
})
# fmt: on


def direction(language: str) -> str:
    """``rtl`` for a language written right to left, else ``ltr``."""
    tag = language.strip().lower().replace("_", "-")
    rtl = tag.split("-")[0] in RTL_LANGUAGES or "-".join(tag.split("-")[:2]) in (
        RTL_LANGUAGES
    )
    return "rtl" if rtl else "ltr"
