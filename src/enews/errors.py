"""The errors enews raises for bad input or a bad state.

Every message is one line meant for a person; the CLI prints it as
``error: <message>`` and exits non-zero. Nothing here imports click.
"""

from __future__ import annotations


class EnewsError(Exception):
    """Base class: anything the user can fix by changing input or state.

    ``field`` names the value at fault when there is one (data, so a form
    shows the problem beside that field without reading the message);
    ``problem`` is the message without the field's name.
    """

    def __init__(self, problem: str = "", *, field: str | None = None) -> None:
        super().__init__(f"{field}: {problem}" if field else problem)
        self.field = field
        self.problem = problem


class ConfigError(EnewsError):
    """enews.toml is unreadable or holds a wrong value."""


class ValidationError(EnewsError):
    """A value given for a named field is not acceptable."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(problem, field=field)


class NotFoundError(EnewsError):
    """An item or issue that was asked for does not exist."""


class ConflictError(EnewsError):
    """The change clashes with what is stored (duplicate URL, stale version)."""


class ForbiddenError(EnewsError):
    """The account's role does not allow it (a 403 in the workspace)."""


class WorkspaceError(EnewsError):
    """The workspace folder is missing or unusable."""


class DatabaseError(EnewsError):
    """The database cannot be opened or its schema is not the one enews needs."""


class TemplateError(EnewsError):
    """A Jinja2 email template failed to load or render."""


class CompileError(EnewsError):
    """mjml-python rejected the MJML a template produced."""


class DumpError(EnewsError):
    """A dump file that is not valid, or not one this enews can load."""
