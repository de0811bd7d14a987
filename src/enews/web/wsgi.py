"""The workspace for a production WSGI server with several workers:

    ENEWS_WORKSPACE=/srv/newsletter ENEWS_SECRET_KEY=... \\
    DATABASE_URL=postgresql+psycopg://enews@db/enews \\
    gunicorn --workers 4 --threads 4 --bind 0.0.0.0:8000 enews.web.wsgi:app

Sign-in is always required here, the workers share ENEWS_SECRET_KEY (each
would otherwise sign cookies with its own key), and live reload is off.
ENEWS_BEHIND_PROXY=1 trusts one reverse proxy's X-Forwarded-For/-Proto.
"""

from __future__ import annotations

import os
from pathlib import Path

from enews.errors import WorkspaceError
from enews.web.app import create_app
from enews.workspace import Workspace


def make_app() -> object:
    secret = os.environ.get("ENEWS_SECRET_KEY", "")
    if len(secret) < 32:
        raise WorkspaceError(
            "ENEWS_SECRET_KEY must be set to the same random value (32+ "
            "characters) for every worker, e.g. from: "
            "python -c 'import secrets; print(secrets.token_hex(32))'"
        )
    ws = Workspace(Path(os.environ.get("ENEWS_WORKSPACE", ".")))
    return create_app(
        ws,
        secret_key=secret,
        require_signin=True,
        behind_proxy=os.environ.get("ENEWS_BEHIND_PROXY") == "1",
        live_reload=False,
    )


app = make_app()
