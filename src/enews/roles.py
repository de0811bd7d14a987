"""Who may do what in a shared workspace: the one table of roles.

``admin``: accounts, settings, everything; ``editor``: items, issues,
builds, test sends; ``reviewer``: read, comment, approve. The web checks
every request against it (``web/roles.py``), the composer hides what would
be refused, and the issue workflow (``compose/review.py``) checks approval.
The command line acts as the machine's user, an admin.
"""

from __future__ import annotations

from enews.errors import ValidationError

ROLES = ("admin", "editor", "reviewer")
DEFAULT_ROLE = "editor"
CLI_ROLE = "admin"

# Each action and the roles allowed it. "read" and "comment" are everyone's.
ALLOWED: dict[str, frozenset[str]] = {
    "read": frozenset(ROLES),
    "comment": frozenset(ROLES),
    "edit": frozenset({"admin", "editor"}),  # items, issues, builds, sends
    "approve": frozenset({"admin", "reviewer"}),
    "admin": frozenset({"admin"}),  # accounts, settings
}


def check_role(role: str) -> str:
    """``role`` if it is one, else a ValidationError naming the roles."""
    if role not in ROLES:
        raise ValidationError("role", f"must be {', '.join(ROLES)}, not {role!r}")
    return role


def may(role: str, action: str) -> bool:
    """Whether ``role`` may do ``action`` (an unknown action: nobody)."""
    return role in ALLOWED.get(action, frozenset())
