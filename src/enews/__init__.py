"""enews: compose monthly e-mail newsletters.

Items are stored with SQLAlchemy, drafted into an issue, rendered from
Jinja2 + MJML templates, compiled by mjml-python, inlined by premailer and
exported as send-ready HTML and plain text.

The public API is re-exported lazily so ``import enews`` (and so
``enews --help``) stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "Bundle": "enews.publish.build",
    "build_issue": "enews.publish.build",
    "build_from_view": "enews.publish.build",
    "write_bundle": "enews.publish.build",
    "Settings": "enews.config",
    "load_settings": "enews.config",
    "Workspace": "enews.workspace",
    "EnewsError": "enews.errors",
    "Item": "enews.store.models",
    "Issue": "enews.store.models",
    "IssueItem": "enews.store.models",
}

__all__ = [*sorted(_EXPORTS), "__version__"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'enews' has no attribute {name!r}")
