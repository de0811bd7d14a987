"""The workspace's Import page: a file, pasted text or a web address (a
feed or a news page, served by the test on 127.0.0.1), one of them."""

from __future__ import annotations

import io
import re

import pytest

from tests.helpers_page import PAGES, SEED

# Fixtures, found by pytest under these names (``as``: a deliberate re-export).
from tests.helpers_page import server as server
from tests.helpers_web import DATA, count_items
from tests.helpers_web import app as app
from tests.helpers_web import tab as tab


def post(tab, form: dict, file: tuple[bytes, str] | None = None):
    tab.get("/import")
    data = dict(form)
    if file is not None:
        data["file"] = (io.BytesIO(file[0]), file[1])
    return tab.client.post(
        "/import",
        data=data,
        headers={"X-CSRFToken": tab.token},
        content_type="multipart/form-data",
    )


def test_pasted_text_imports_like_a_file(tab, workspace):
    text = (DATA / "listing.txt").read_text(encoding="utf-8")
    first = post(tab, {"text": text})
    body = first.get_data(as_text=True)
    assert first.status_code == 200, body[-600:]
    added = count_items(workspace)
    assert added > 0 and f"{added} added" in body and "pasted text" in body
    assert "0 added" in post(tab, {"text": text}).get_data(as_text=True)
    assert count_items(workspace) == added


def test_a_news_page_by_its_address(tab, workspace, server):
    response = post(tab, {"url": f"{server}/news"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200, body[-600:]
    assert "4 added" in body and "(html)" in body
    assert count_items(workspace) == 4


def test_a_saved_page_with_its_address_in_the_form(tab, workspace):
    saved = ((PAGES / SEED).read_bytes(), SEED)
    refused = post(tab, {}, saved)  # relative links, no address
    assert refused.status_code == 400
    assert "page address" in refused.get_data(as_text=True)
    response = post(tab, {"base_url": "https://www.ilo.example/coop/news"}, saved)
    assert response.status_code == 200, response.get_data(as_text=True)[-600:]
    assert count_items(workspace) == 4


@pytest.mark.parametrize(
    ("form", "problem"),
    [
        ({}, "choose a file, paste text or give a web address"),
        ({"text": "1. News", "url": "https://e.example/"}, "(one of them)"),
        ({"url": "/etc/passwd"}, "is not an absolute http(s) link"),
        ({"url": "file:///etc/passwd"}, "is not an absolute http(s) link"),
        ({"text": "hello, world\nno idea\n"}, "cannot tell the format"),
    ],
)
def test_a_form_without_one_readable_source_is_a_400(tab, workspace, form, problem):
    response = post(tab, form)
    assert response.status_code == 400
    assert problem in response.get_data(as_text=True)
    assert count_items(workspace) == 0


def test_a_dry_run_names_the_titles_it_would_add(tab, workspace):
    text = "Our news page\n\n1. News\nForum opens\n2 June 2021\n\n2. News\nNo date\n"
    response = post(tab, {"text": text, "dry_run": "1", "skip_invalid": "1"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200, re.findall(r'role="alert">([^<]*)', body)
    assert "add: Forum opens" in body and "reject: No date" in body
    assert "skipped the text before the first numbered item" in body
    assert count_items(workspace) == 0
