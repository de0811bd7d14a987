"""`enews item add/edit --image-file`: a photo becomes the item's image,
stored under assets/, and the built email links it under base_url."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from PIL import Image

from tests.helpers_cli import Run, data, item_count, ok, one_line_error

# Fixtures, found by pytest under these names (``as``: a deliberate re-export).
from tests.helpers_cli import initialised as initialised
from tests.helpers_cli import run as run
from tests.helpers_cli import ws as ws

ITEM = ["--kind", "News", "--title", "Open day", "--date", "2020-10-03"]


def photo(folder: Path, name: str = "photo.jpg", size=(3000, 2000)) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 90, 160)).save(buffer, "JPEG", quality=90)
    path = folder / name
    path.write_bytes(buffer.getvalue())
    return path


def assets(ws: Path) -> list[str]:
    folder = ws / "assets"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_an_image_file_is_stored_and_built_under_base_url(
    run: Run, initialised, tmp_path
):
    path = photo(tmp_path)
    added = data(
        run(
            "item",
            "add",
            *ITEM,
            "--image-file",
            str(path),
            "--image-alt",
            "Members",
            "--json",
        )
    )
    assert re.fullmatch(r"assets/[0-9a-f]{32}\.jpg", added["image"])
    assert assets(initialised) == [added["image"].removeprefix("assets/")]
    with Image.open(initialised / added["image"]) as stored:
        assert stored.size == (1104, 736)  # twice the 552 px the email shows
    toml = initialised / "enews.toml"
    toml.write_text('base_url = "https://news.example.org"\n' + toml.read_text())
    ok(run("issue", "new", "October issue", "--month", "2020-10"))
    ok(run("build", "2020-10", "--force"))
    html = (initialised / "issues" / "2020-10" / "index.html").read_text()
    src = f"https://news.example.org/{added['image']}"
    assert re.search(
        rf'<img src="{re.escape(src)}"[^>]* width="552" height="368"', html
    )


@pytest.mark.parametrize(
    ("make", "extra", "mentions"),
    [
        (lambda d: d / "notes.jpg", ["--image-alt", "A"], ["image_file:", "notes.jpg"]),
        (photo, [], ["image_alt:"]),  # an image needs its alt text
        (
            photo,
            ["--image-alt", "A", "--image", "https://e.example/a.jpg"],
            ["not both"],
        ),
        (photo, ["--image-alt", "A", "--date", "31 February 2020"], ["date:"]),
    ],
)
def test_a_refused_image_or_item_writes_nothing(
    run: Run, initialised, tmp_path, make, extra, mentions
):
    (tmp_path / "notes.jpg").write_text("not a picture")
    path = make(tmp_path)
    result = run("item", "add", *ITEM, "--image-file", str(path), *extra)
    one_line_error(result, *mentions)
    assert item_count(run) == 0
    assert assets(initialised) == []


def test_edit_gives_an_item_a_stored_image(run: Run, initialised, tmp_path):
    ok(run("item", "add", *ITEM))
    path = photo(tmp_path, size=(400, 300))
    ok(run("item", "edit", "1", "--image-file", str(path), "--image-alt", "The hall"))
    shown = data(run("item", "show", "1", "--json"))
    assert shown["image"].startswith("assets/") and shown["image_alt"] == "The hall"
    with Image.open(initialised / shown["image"]) as stored:
        assert stored.size == (400, 300)  # never enlarged


def test_check_warns_about_a_stored_image_over_1_mb(run: Run, initialised, tmp_path):
    noise = Image.frombytes("RGBA", (1104, 700), os.urandom(1104 * 700 * 4))
    path = tmp_path / "noise.png"
    noise.save(path)  # transparent pixels: it stays a PNG, and noise is heavy
    alt = ["--image-alt", "Noise"]
    ok(
        run(
            "item",
            "add",
            *ITEM,
            "--url",
            "https://e.example/a",
            "--image-file",
            str(path),
            *alt,
        )
    )
    toml = initialised / "enews.toml"
    toml.write_text('base_url = "https://news.example.org"\n' + toml.read_text())
    ok(run("issue", "new", "October issue", "--month", "2020-10"))
    ok(run("build", "2020-10", "--force"))
    report = run("check", "2020-10").stdout
    assert re.search(r"^WARN images +1 image over 1 MB$", report, re.MULTILINE), report
    assert re.search(r"^ +assets/[0-9a-f]{32}\.png: 3\.\d MB$", report, re.MULTILINE)
