"""Links in a built issue: campaign (UTM) tagging and absolute URLs.

UTM parameters are added to item links only, never overwriting parameters a
link already has, and never to mailto: links or merge tags. Relative links a
template writes are made absolute against the workspace's base URL.
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from enews.urls import is_merge_tag

_HREF = re.compile(r'href="([^"]*)"')
# Lower case and space-led, as MRML and the templates write them; a leading
# literal keeps the scan fast (a look-behind made it ten times slower).
URL_ATTR = re.compile(r' (href|src)="([^"]*)"')


def add_utm(
    url: str, *, source: str, campaign: str, content: str, medium: str = "email"
) -> str:
    """``url`` with utm_* parameters it does not already have."""
    if is_merge_tag(url):
        return url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return url  # mailto:, tel: and the like carry no campaign
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {key for key, _ in query}
    wanted = {
        "utm_source": source,
        "utm_medium": medium,
        "utm_campaign": campaign,
        "utm_content": content,
    }
    if present & set(wanted):
        return url  # the author tagged it: their campaign wins, all of it
    added = urlencode(list(wanted.items()))
    new_query = f"{parts.query}&{added}" if parts.query else added
    return urlunsplit(parts._replace(query=new_query))


def tag_fragment(fragment: str, **utm: str) -> str:
    """Tag every href of an (escaped) HTML fragment, e.g. a rich summary."""

    def tag(match: re.Match[str]) -> str:
        url = html.unescape(match[1])
        return f'href="{html.escape(add_utm(url, **utm), quote=True)}"'

    return _HREF.sub(tag, fragment)


def absolutize(document: str, base_url: str | None) -> str:
    """Resolve relative href/src values against ``base_url`` (when given)."""
    if not base_url:
        return document

    def resolve(match: re.Match[str]) -> str:
        attr, value = match[1], match[2]
        if not value or value.startswith("#") or urlsplit(value).scheme:
            return match[0]
        if is_merge_tag(value):
            return match[0]
        return f' {attr}="{urljoin(base_url, value)}"'

    return URL_ATTR.sub(resolve, document)
