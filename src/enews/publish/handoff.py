"""When a built issue may be handed to the mailing service: the one policy.

``enews build``, the workspace's Build button and its downloads all ask
here; each face words the refusal for its own users (a flag, a tick box).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from enews.config import Settings
from enews.publish.build import Bundle
from enews.publish.bundle_check import check_bundle
from enews.publish.check import Report


@dataclass(frozen=True)
class Refusal:
    """Why a bundle must not go out: no items, failing checks, or no approval."""

    reason: Literal["empty", "failures", "unapproved"]
    message: str


HANDED_OFF = ("approved", "sent")  # the states an issue goes out in


def review(
    bundle: Bundle, settings: Settings, *, approval: bool = True
) -> tuple[Report, Refusal | None]:
    """The bundle's check report, and why it must not be handed off (or None).

    Warnings never stop a send; an issue without items, any failed check or,
    with ``approval`` (a build for hand-off; not a test send), an issue not
    approved do.
    """
    # Without client support: it never stops a send (enews check and the
    # workspace's report show it).
    report = check_bundle(
        bundle.html,
        bundle.text,
        settings,
        bundle.manifest,
        eml=bundle.eml,
        support=False,
    )
    if not bundle.view.items:
        return report, Refusal("empty", f"issue {bundle.slug} has no items")
    if report.failures:
        names = ", ".join(check.name for check in report.failures)
        message = f"{len(report.failures)} check(s) failed ({names})"
        return report, Refusal("failures", message)
    if approval and bundle.view.status not in HANDED_OFF:
        message = (
            f"issue {bundle.slug} is {bundle.view.status}, not approved "
            f"('enews issue approve {bundle.slug}')"
        )
        return report, Refusal("unapproved", message)
    return report, None
