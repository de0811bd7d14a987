"""A shared (signed-in) workspace fetches only from the internet: an import
by address or a pasted link to its own network (here the test's server on
127.0.0.1) is refused, redirects included; the CLI and a loopback
workspace still read local servers."""

from __future__ import annotations

import io

import pytest

from enews.collect.fetch import open_source
from enews.collect.records import SourceError
from enews.store import accounts

# Fixtures, found by pytest under these names (``as``: a deliberate re-export).
from tests.helpers_page import server as server
from tests.helpers_web import PASSWORD, count_items, signed_in
from tests.helpers_web import app as app


def test_open_source_refuses_a_private_address_only_when_asked(server):
    with open_source(f"{server}/news") as opened:  # the CLI: any address
        assert opened.stream.read(15).lower().startswith(b"<!doctype html")
    with pytest.raises(SourceError, match=r"127\.0\.0\.1 is not a public address"):
        open_source(f"{server}/news", public_only=True)


@pytest.mark.sqlite_only
def test_a_shared_workspace_refuses_addresses_of_its_own_network(
    app, workspace, server
):
    with workspace.transaction() as session:
        accounts.add_user(session, "Amy", PASSWORD)
    tab = signed_in(app)
    tab.get("/import")
    response = tab.client.post(
        "/import",
        data={"url": f"{server}/news", "file": (io.BytesIO(b""), "")},
        headers={"X-CSRFToken": tab.token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "is not a public address" in response.get_data(as_text=True)
    tab.get("/items/new")
    pasted = tab.post("/items/unfurl", {"link": f"{server}/news"}, htmx=False)
    assert pasted.status_code == 422
    assert "is not a public address" in pasted.get_data(as_text=True)
    assert count_items(workspace) == 0
