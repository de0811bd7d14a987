"""Built issues and the archive made of them, for the web archive tests
(tests/test_archive*.py)."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from sqlalchemy.orm import Session

from enews.config import Settings
from enews.publish.archive import ArchiveResult, build_archive
from enews.publish.build import build_issue, write_bundle
from enews.store.models import Issue
from enews.workspace import Workspace
from tests.factories import make_issue, make_item

ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "https://example.org/news"
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def add_issue(
    session: Session,
    ws: Workspace,
    month: str,
    *,
    items: int = 1,
    build: bool = True,
    **fields: str,
) -> Issue:
    """An issue of ``month`` holding ``items`` new items, built unless told not."""
    year, number = (int(part) for part in month.split("-"))
    for day in range(1, items + 1):
        make_item(session, date=dt.date(year, number, day))
    issue = make_issue(session, month=month, title=f"Issue {month}")
    for name, value in fields.items():
        setattr(issue, name, value)
    session.flush()
    if build:
        bundle = build_issue(
            session, issue.slug, settings=ws.settings, workspace=ws.root
        )
        write_bundle(bundle, ws.issues_dir)
    return issue


def archive(
    session: Session,
    ws: Workspace,
    base_url: str | None = None,
    settings: Settings | None = None,
) -> ArchiveResult:
    return build_archive(
        session,
        settings=settings or ws.settings,
        workspace=ws.root,
        out_dir=ws.root / "archive",
        base_url=base_url,
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def entries(result: ArchiveResult) -> list[ET.Element]:
    root = ET.parse(result.out_dir / "feed.xml").getroot()
    assert root.tag == f"{ATOM}feed"
    return root.findall(f"{ATOM}entry")
