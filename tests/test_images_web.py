"""An image uploaded on the workspace's item form: stored under assets/,
shown in the preview from the workspace itself, refused beside its field."""

from __future__ import annotations

import io
import re

from PIL import Image
from sqlalchemy import select

from enews.store.models import Item
from tests.factories import make_issue

# Fixtures, found by pytest under these names (``as``: a deliberate re-export).
from tests.helpers_web import app as app
from tests.helpers_web import count_items
from tests.helpers_web import tab as tab

FIELDS = {"kind": "News", "title": "Open day", "date": "2020-10-03"}


def jpeg(size=(2400, 1600)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


def submit(tab, data: bytes, name: str, **fields: str):
    tab.get("/items/new")
    form = {**FIELDS, **fields, "image_file": (io.BytesIO(data), name)}
    return tab.client.post(
        "/items/new",
        data=form,
        headers={"X-CSRFToken": tab.token},
        content_type="multipart/form-data",
    )


def stored_images(workspace) -> list[str]:
    folder = workspace.root / "assets"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_an_uploaded_image_is_stored_and_previewed_from_here(tab, workspace):
    response = submit(tab, jpeg(), "hall.jpg", image_alt="The hall")
    assert response.status_code == 303, response.get_data(as_text=True)[-500:]
    with workspace.transaction() as session:
        item = session.scalars(select(Item)).one()
        image = item.image_url
        make_issue(session)
    assert re.fullmatch(r"assets/[0-9a-f]{32}\.jpg", image)
    assert stored_images(workspace) == [image.removeprefix("assets/")]
    preview = tab.get("/issues/2020-10/preview.html").get_data(as_text=True)
    assert f'src="http://localhost/{image}"' in preview  # no base_url needed
    served = tab.get(f"/{image}")
    body = served.data
    served.close()  # send_file streams from the open file
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(body)) as shown:
        assert shown.size == (1104, 736)


def test_a_file_that_is_not_an_image_is_refused_beside_its_field(tab, workspace):
    response = submit(tab, b"not a picture", "notes.jpg", image_alt="x")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert re.search(r'id="e-image_file">[^<]*not a JPEG, PNG, GIF or WebP', body)
    assert count_items(workspace) == 0 and stored_images(workspace) == []


def test_no_image_is_written_for_an_item_that_is_refused(tab, workspace):
    without_alt = submit(tab, jpeg(), "hall.jpg")
    assert without_alt.status_code == 422
    assert 'id="e-image_alt"' in without_alt.get_data(as_text=True)
    bad_date = submit(tab, jpeg(), "hall.jpg", image_alt="The hall", date="31 Feb")
    assert bad_date.status_code == 422
    assert count_items(workspace) == 0 and stored_images(workspace) == []


def test_only_stored_image_names_are_served(tab, workspace):
    for path in (
        "/assets/..%2Fdb.sqlite",
        "/assets/x.jpg",
        "/assets/" + "a" * 32 + ".jpg",
    ):
        assert tab.get(path).status_code == 404, path
