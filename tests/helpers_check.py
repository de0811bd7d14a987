"""Hand-written pages for the quality report tests (tests/test_check*.py):
one that passes every check, and the means to break it in one place."""

from __future__ import annotations

from enews.publish.check import Check, Report, check_issue, format_report

KB = 1024
URL = "https://coop.example/news/1"
IMG = '<img src="https://coop.example/a.jpg" alt="Delegates at the forum" width="552">'
ITEM = f'<div class="item"><h3><a href="{URL}">Forum opens</a></h3>{IMG}</div>'
PREHEADER = '<div style="display:none;max-height:0">Forums and field notes</div>'
UNSUB = '<p><a href="{{unsubscribe_url}}">Unsubscribe</a></p>'
TEXT = f"Forum opens\n{URL}\n\nUnsubscribe: {{{{unsubscribe_url}}}}\n"
CHECKS = (
    "size",
    "links",
    "item-links",
    "images",
    "unsubscribe",
    "document",
    "safety",
    "text",
)
# What check_bundle adds (publish/bundle_check.py), in its order.
BUNDLE_CHECKS = ("items", "contrast", "unsubscribe-header", "settings", "clients")


def page(
    body: str = ITEM,
    *,
    html_tag: str = '<html lang="en">',
    head: str = "<title>October issue</title>",
    preheader: str = PREHEADER,
    unsubscribe: str = UNSUB,
) -> str:
    """A page that passes every check unless a part is replaced."""
    return (
        f"<!doctype html>\n{html_tag}<head>{head}</head>"
        f"<body>{preheader}{body}{unsubscribe}</body></html>"
    )


def padded(html: str, size: int, char: str = "x") -> str:
    """``html`` grown to exactly ``size`` UTF-8 bytes by a comment."""
    room = size - len(html.encode()) - len("<!---->")
    filler = char * (room // len(char.encode()))
    filler += "x" * (room - len(filler.encode()))
    grown = html.replace("</body>", f"<!--{filler}--></body>")
    assert len(grown.encode()) == size
    return grown


def statuses(report: Report) -> dict[str, str]:
    return {c.name: c.status for c in report.checks}


def failing(html: str, name: str, text: str = TEXT, **kw: list[str]) -> Check:
    """Assert that exactly the check ``name`` fails and return it."""
    report = check_issue(html, text, **kw)
    assert [c.name for c in report.failures] == [name], format_report(report)
    return report.get(name)
