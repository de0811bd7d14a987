"""A newsletter workspace: a folder with enews.toml, templates/, issues/, db.sqlite.

``Workspace`` ties a folder to its settings and database so the CLI, the
demo and (later) the web app open things the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from enews.config import CONFIG_FILE, Settings, load_settings
from enews.errors import WorkspaceError
from enews.store import db

ISSUES_DIR = "issues"
TEMPLATES_DIR = "templates"

DEFAULT_CONFIG = """\
# enews workspace settings. Every key is optional; these are the defaults.

name = "Co-op News"                      # shown in the header and footer
organisation = "Co-op News Service"      # legal sender, shown in the footer
# The postal address is required in commercial e-mail by law in many countries.
postal_address = "1 Example Street, 1000 Brussels, Belgium"
sender_name = "Co-op News"
sender_email = "news@example.org"
language = "en"                          # <html lang>; ar, he, fa, ur... right to left
theme = "default"                        # or "bold" (templates/themes/)
# font_family = "Helvetica, Arial, sans-serif"   # default: the theme's
# The mailing service: mailchimp, listmonk, brevo, sendgrid, mailgun or
# generic. Its merge tags (unsubscribe link, web version, first name) are
# written into the HTML byte for byte.
profile = "generic"
# base_url = "https://news.example.org/archive"   # for `enews archive` links
# utm_source = "coop-news"    # tag item links for analytics (utm_medium=email)
greeting = "Hello"            # "Hello Amy," above the intro ("" for none)
greeting_fallback = "there"   # "Hello there," when a first name is unknown
# Linked titles are underlined; with a label here, a link of that name ends
# each linked item instead (titles not underlined).
# read_more = "Read more"
# An issue's approver must not be the one who edited it last.
# require_second_person = true

[sections]
order = ["News", "Article", "Interview"]  # other kinds follow, A to Z
headings = { News = "News", Article = "Articles", Interview = "Interviews" }

# Free-text kinds (from a news page, a feed) to the section they belong in:
# a kind itself, or a word or words in it, case ignored.
# [sections.aliases]
# interview = "Interview"         # "ILO COOP 100 Interview" -> Interviews
# "press release" = "News"

# The theme's colours, unless set here (themes: templates/themes/).
[brand]
# primary = "#1f5f8b"     # header band, headings and links
# accent = "#e8f1f7"      # featured item background
# text = "#1d2329"
# muted = "#4f5b66"       # dates and footer
# background = "#f3f5f7"
# Dark mode (Apple Mail, Outlook, Samsung Mail; each text colour at 4.5:1):
# dark_primary = "#8cc8f0"  # links and section headings
# dark_accent = "#22313b"   # featured item background
# dark_text = "#e3e8ec"
# dark_muted = "#aab6c0"    # dates and footer
# dark_background = "#11181d"
# dark_surface = "#1b242b"  # sections and footer
# logo_url = "https://example.org/logo.png"
# logo_width = 120

# The server `enews send-test` sends through; the password only from the
# environment variable ENEWS_SMTP_PASSWORD.
# [smtp]
# host = "smtp.example.org"
# port = 587
# security = "starttls"      # or "tls", "none"
# username = "news@example.org"
"""

TEMPLATES_README = """\
Email templates of this workspace.

A file here replaces the packaged file of the same name, one by one; files
you do not copy keep coming from enews. The packaged templates are in:
{packaged}

Main files: issue.mjml.j2 (the email), issue.txt.j2 (the plain-text part),
partials/*.j2 (header, sections, items, footer, inline styles).
"""


@dataclass
class Workspace:
    """A workspace folder and the database it uses."""

    root: Path
    db_url: str | None = None
    _factory: sessionmaker[Session] | None = field(default=None, repr=False)

    @cached_property
    def settings(self) -> Settings:
        return load_settings(self.root)

    @property
    def issues_dir(self) -> Path:
        return self.root / ISSUES_DIR

    @cached_property
    def url(self) -> str:
        return db.database_url(self.root, self.db_url)

    @cached_property
    def engine(self) -> Engine:
        return db.make_engine(self.url)

    def sessions(self) -> sessionmaker[Session]:
        """A session factory, once the schema is known to be current."""
        if self._factory is None:
            if self.url == db.default_url(self.root) and not self.root.is_dir():
                raise WorkspaceError(
                    f"workspace folder {self.root} does not exist; "
                    f"create it with 'enews -w {self.root} init'"
                )
            db.ensure_schema(self.engine)
            self._factory = db.session_factory(self.engine)
        return self._factory

    def close(self) -> None:
        """Close the database connections this workspace opened, if any."""
        if "engine" in self.__dict__:
            self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed on success, rolled back on error."""
        with db.transaction(self.sessions()) as session:
            yield session


def init_workspace(root: Path) -> list[str]:
    """Create what is missing of a workspace; returns what was created."""
    from enews.config import PACKAGED_TEMPLATES

    created = []
    root.mkdir(parents=True, exist_ok=True)
    config = root / CONFIG_FILE
    if not config.exists():
        config.write_text(DEFAULT_CONFIG, encoding="utf-8")
        created.append(CONFIG_FILE)
    for name in (TEMPLATES_DIR, ISSUES_DIR):
        if not (root / name).exists():
            (root / name).mkdir()
            created.append(f"{name}/")
    readme = root / TEMPLATES_DIR / "README.txt"
    if not any((root / TEMPLATES_DIR).iterdir()):
        readme.write_text(
            TEMPLATES_README.format(packaged=PACKAGED_TEMPLATES.resolve()),
            encoding="utf-8",
        )
    return created
