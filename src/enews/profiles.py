"""Mailing-service profiles: neutral placeholders -> each service's merge tags.

Templates write neutral tokens (``[[enews:unsubscribe]]``...). They pass
through MJML and premailer untouched and are swapped for the service's own
tags as the very last step of a build, so no inliner rewrites or
percent-encodes them. Tags as documented by each service.
"""

from __future__ import annotations

from dataclasses import dataclass

from enews.errors import ConfigError

UNSUBSCRIBE = "[[enews:unsubscribe]]"
WEB_VERSION = "[[enews:web_version]]"
FIRST_NAME = "[[enews:first_name]]"


@dataclass(frozen=True)
class Profile:
    name: str
    unsubscribe: str
    web_version: str | None  # None: the service hosts no web version
    first_name: str  # "{fallback}" is replaced by the greeting's fallback word


PROFILES = {
    p.name: p
    for p in (
        # Mailchimp merge tags; the conditional gives the fallback.
        Profile("mailchimp", "*|UNSUB|*", "*|ARCHIVE|*",
                "*|IF:FNAME|**|FNAME|**|ELSE:|*{fallback}*|END:IF|*"),
        # listmonk: Go templates with Sprig functions.
        Profile("listmonk", "{{ UnsubscribeURL }}", "{{ MessageURL }}",
                '{{ .Subscriber.FirstName | default "{fallback}" }}'),
        # Brevo template language.
        Profile("brevo", "{{ unsubscribe }}", "{{ mirror }}",
                '{{ contact.FIRSTNAME | default : "{fallback}" }}'),
        # SendGrid Marketing Campaigns (Handlebars). Its web-version tag
        # could not be confirmed in current docs (legacy campaigns used
        # [Weblink]), so the archive page stands in, as for Mailgun.
        Profile("sendgrid", "{{{unsubscribe}}}", None,
                "{{#if first_name}}{{first_name}}{{else}}{fallback}{{/if}}"),
        # Mailgun variables; Mailgun hosts no web version of a message.
        Profile("mailgun", "%unsubscribe_url%", None, "%recipient.first_name%"),
        # Neutral tags for any other service: search and replace them there.
        Profile("generic", "{{unsubscribe_url}}", "{{web_version_url}}",
                "{{first_name|{fallback}}}"),
    )
}  # fmt: skip

TEMPLATE_TOKENS = {
    "unsubscribe": UNSUBSCRIBE,
    "web_version": WEB_VERSION,
    "first_name": FIRST_NAME,
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(PROFILES)
        raise ConfigError(
            f"profile: unknown mailing service {name!r}; use {known}"
        ) from None


def web_version_url(profile: Profile, base_url: str | None, slug: str) -> str | None:
    """The service's own web-version tag, else the archive page (with a base URL)."""
    if profile.web_version:
        return profile.web_version
    if base_url:
        return f"{base_url.rstrip('/')}/{slug}/"
    return None


def apply_profile(
    text: str,
    profile: Profile,
    *,
    fallback: str = "there",
    unsubscribe_url: str | None = None,
    web_version: str | None = None,
) -> str:
    """Swap the neutral tokens for the profile's tags (or fixed URLs)."""
    first_name = profile.first_name.replace("{fallback}", fallback)
    return (
        text.replace(UNSUBSCRIBE, unsubscribe_url or profile.unsubscribe)
        .replace(WEB_VERSION, web_version or "")
        .replace(FIRST_NAME, first_name)
    )
