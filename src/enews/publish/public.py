"""A built issue as a public web page (the archive's "view in browser" page).

The bundle's index.html carries the mailing service's merge tags: they mean
something only when the service sends the email to one subscriber. On a
page anyone can open they would show as raw code ("Hello *|IF:FNAME|*...")
or as links to nowhere. Here they become what a reader without a
subscription should see, and nothing else in the page changes:

- the greeting's first name: the fallback word the email itself uses
  ("Hello there,");
- "View in browser": the page itself;
- "Unsubscribe": the configured unsubscribe page, else an e-mail to the
  sender asking for it.
"""

from __future__ import annotations

import html
import json
import re
from functools import lru_cache

from enews.config import Settings
from enews.profiles import PROFILES, Profile, get_profile
from enews.urls import is_absolute_url, is_merge_tag


def public_page(
    page: bytes, *, manifest: bytes | None, settings: Settings, page_url: str
) -> bytes:
    """``page`` (a built index.html) without the merge tags of the service it
    was built for (named in its manifest.json; else the configured one)."""
    profile = _built_for(manifest, settings)
    text = page.decode("utf-8")
    # The fallback word as the email has it (already HTML), else the setting.
    text = _first_name(profile).sub(
        lambda m: m["fallback"] or html.escape(settings.greeting_fallback), text
    )
    leave = unsubscribe_target(settings)
    swaps = {profile.unsubscribe: leave}
    if settings.unsubscribe_url and is_merge_tag(settings.unsubscribe_url):
        swaps[settings.unsubscribe_url] = leave  # the build wrote this tag instead
    if profile.web_version:
        swaps[profile.web_version] = page_url
    for tag, value in swaps.items():
        text = text.replace(tag, html.escape(value))
    return text.encode("utf-8")


def unsubscribe_target(settings: Settings) -> str:
    """Where "Unsubscribe" leads a reader who came from the web."""
    configured = settings.unsubscribe_url or ""
    if is_absolute_url(configured, ("http", "https", "mailto")):
        return configured  # (a merge tag there means nothing on the web)
    return f"mailto:{settings.sender_email}?subject=Unsubscribe"


def _built_for(manifest: bytes | None, settings: Settings) -> Profile:
    try:
        name = json.loads(manifest or b"{}").get("profile")
    except (ValueError, AttributeError):
        name = None
    if isinstance(name, str) and name in PROFILES:
        return PROFILES[name]
    return get_profile(settings.profile)


@lru_cache(maxsize=len(PROFILES))
def _first_name(profile: Profile) -> re.Pattern[str]:
    # The tag as a build wrote it, whatever fallback word was configured then.
    before, placeholder, after = profile.first_name.partition("{fallback}")
    if not placeholder:
        return re.compile(re.escape(before) + "(?P<fallback>)")
    return re.compile(re.escape(before) + "(?P<fallback>.*?)" + re.escape(after))
