"""What a subscriber sees: the mailing service's merge tags of a built issue
replaced by sample values (a first name, harmless links). The test send
and the workspace's preview both show an issue so; the bundle keeps its
tags, since the mailing service needs them."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import replace

from enews.config import Settings
from enews.profiles import get_profile, web_version_url
from enews.urls import is_merge_tag

SAMPLE_FIRST_NAME = "Alex"
# .invalid never resolves (RFC 2606): a tester's click reaches no one.
SAMPLE_UNSUBSCRIBE = "https://example.invalid/unsubscribe"
SAMPLE_WEB_VERSION = "https://example.invalid/web-version"


def sample_values(settings: Settings, slug: str) -> dict[str, str]:
    """Each merge tag a build of this workspace writes -> its sample value."""
    profile = get_profile(settings.profile)
    first = profile.first_name.replace("{fallback}", settings.greeting_fallback)
    swaps = {first: SAMPLE_FIRST_NAME}
    unsubscribe = settings.unsubscribe_url or profile.unsubscribe
    if is_merge_tag(unsubscribe):  # a fixed URL stays: it is the real link
        swaps[unsubscribe] = SAMPLE_UNSUBSCRIBE
    web = web_version_url(profile, settings.base_url, slug)
    if web and is_merge_tag(web):
        archive = web_version_url(
            replace(profile, web_version=None), settings.base_url, slug
        )
        swaps[web] = archive or SAMPLE_WEB_VERSION
    return swaps


def with_samples(text: str, swaps: Mapping[str, str], *, escape: bool) -> str:
    # Longest first: one profile's tag may hold a shorter one
    # (SendGrid's first-name conditional holds {{first_name}}).
    for tag in sorted(swaps, key=len, reverse=True):
        value = html.escape(swaps[tag]) if escape else swaps[tag]
        text = text.replace(tag, value)
    return text
