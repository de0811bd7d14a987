"""The browser workspace: a Flask app over the same library core as the CLI.

``create_app`` is the only entry point; ``enews serve`` runs it on
127.0.0.1 by default. Views are thin: they parse a form, call the library
in one transaction and render a page or an htmx fragment.
"""

from __future__ import annotations

from enews.web.app import create_app

__all__ = ["create_app"]
