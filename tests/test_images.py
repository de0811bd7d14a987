"""Images stored in the workspace (enews.compose.images, enews.compose.assets):
real Pillow files made here, the real build (Jinja2 -> mjml-python ->
premailer) and the real archive on a real database."""

from __future__ import annotations

import io
import json
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageCms
from sqlalchemy import select

from enews.compose.images import MAX_BYTES, store_image
from enews.compose.issues import set_featured
from enews.config import Settings
from enews.errors import ConfigError, EnewsError, ValidationError
from enews.publish.archive import build_archive
from enews.publish.build import build_issue, write_bundle
from enews.store.models import Item
from tests.factories import make_issue, make_item

BASE = "https://news.example.org/archive"
STORED = re.compile(r"assets/[0-9a-f]{32}\.(jpg|png)")
RICH = '<p>Delegates met; <a href="https://coop.example/r">the report</a>.</p>'


def encode(image: Image.Image, kind: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()


def camera_jpeg() -> bytes:
    """4000x3000 as a phone stores a portrait photo: sideways, EXIF
    orientation 6, with a camera model, GPS, a comment and an ICC profile.
    Left half red, right half blue: upright, red is on top."""
    image = Image.new("RGB", (4000, 3000), (220, 20, 20))
    image.paste((20, 20, 220), (2000, 0, 4000, 3000))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: turn 90° clockwise to view
    exif[0x0110] = "Phone X"
    exif[0x8825] = {2: (50.0, 51.0, 0.0)}  # GPS latitude
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return encode(
        image, "JPEG", quality=90, exif=exif, comment=b"home", icc_profile=srgb
    )


def png_header(width: int, height: int) -> bytes:
    """A small PNG whose header claims ``width`` x ``height``: a bomb's shape
    (a few bytes of compressed zeros would decode to gigabytes)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunks = [(b"IHDR", ihdr), (b"IDAT", zlib.compress(b"\0" * 4096)), (b"IEND", b"")]
    return b"\x89PNG\r\n\x1a\n" + b"".join(
        struct.pack(">I", len(data)) + kind + data
        + struct.pack(">I", zlib.crc32(kind + data))
        for kind, data in chunks
    )  # fmt: skip


def assets(root: Path) -> list[str]:
    folder = root / "assets"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ------------------------------------------------------------- storing


def test_camera_photo_is_upright_resized_stripped_and_named_by_content(tmp_path):
    stored = store_image(tmp_path, camera_jpeg(), "IMG_0001.JPG")

    assert STORED.fullmatch(stored.path) and stored.path.endswith(".jpg")
    assert (stored.width, stored.height) == (1104, 1472)  # upright, 2 x 552 wide
    path = tmp_path / stored.path
    assert stored.bytes == path.stat().st_size
    with Image.open(path) as out:
        assert out.format == "JPEG" and out.mode == "RGB"
        assert out.size == (1104, 1472)
        assert out.info.get("progressive") == 1
        for key in ("exif", "icc_profile", "comment", "xmp", "dpi"):
            assert key not in out.info
        assert dict(out.getexif()) == {}
        top, bottom = out.getpixel((552, 100)), out.getpixel((552, 1372))
    assert top[0] > 180 and top[2] < 60  # red on top: the turn was applied
    assert bottom[2] > 180 and bottom[0] < 60


JPEG_INFO = {"jfif", "jfif_version", "jfif_unit", "jfif_density", "progressive",
             "progression"}  # fmt: skip


def test_metadata_is_stripped_with_or_without_a_colour_profile(tmp_path):
    from PIL.PngImagePlugin import PngInfo

    exif = Image.Exif()
    exif[0x0110] = "Phone X"
    plain = encode(Image.new("RGB", (64, 48), "red"), "JPEG", exif=exif,
                   comment=b"home address")  # fmt: skip
    text = PngInfo()
    text.add_text("Author", "someone")
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    alpha = encode(Image.new("RGBA", (64, 48)), "PNG", pnginfo=text, icc_profile=srgb)
    for data, allowed in ((plain, JPEG_INFO), (alpha, set())):
        stored = store_image(tmp_path, data, "x")
        with Image.open(tmp_path / stored.path) as out:
            assert set(out.info) <= allowed, out.info
            assert dict(out.getexif()) == {}


def test_same_image_twice_is_one_file_and_no_temp_file_is_left(tmp_path):
    data = camera_jpeg()
    first = store_image(tmp_path, data, "a.jpg")
    second = store_image(tmp_path, io.BytesIO(data), "copy of a.jpg")
    assert first == second
    assert assets(tmp_path) == [first.path.split("/")[1]]  # nothing hidden beside


def test_png_with_transparency_stays_png_with_its_alpha(tmp_path):
    image = Image.new("RGBA", (1500, 1000), (0, 128, 0, 255))
    image.paste((0, 0, 0, 0), (0, 0, 750, 1000))  # left half see-through
    stored = store_image(tmp_path, encode(image, "PNG"), "logo.png")
    assert stored.path.endswith(".png")
    with Image.open(tmp_path / stored.path) as out:
        assert (out.format, out.mode, out.size) == ("PNG", "RGBA", (1104, 736))
        assert out.getpixel((100, 300))[3] == 0
        assert out.getpixel((1000, 300)) == (0, 128, 0, 255)


def test_opaque_png_and_palette_gif_become_jpeg_and_small_ones_keep_size(tmp_path):
    opaque = Image.new("RGBA", (300, 200), (10, 20, 30, 255))
    stored = store_image(tmp_path, encode(opaque, "PNG"), "opaque.png")
    assert stored.path.endswith(".jpg") and (stored.width, stored.height) == (300, 200)
    gif = Image.new("P", (640, 480), 3)
    stored = store_image(tmp_path, encode(gif, "GIF"), "still.gif")
    assert stored.path.endswith(".jpg") and (stored.width, stored.height) == (640, 480)


def test_cmyk_and_16_bit_grey_are_converted_not_whitened(tmp_path):
    cmyk = Image.new("CMYK", (200, 100), (0, 255, 255, 0))  # red ink
    stored = store_image(tmp_path, encode(cmyk, "JPEG"), "print.jpg")
    with Image.open(tmp_path / stored.path) as out:
        red = out.getpixel((100, 50))
    assert out.mode == "RGB" and red[0] > 200 and red[1] < 60
    grey = Image.new("I;16", (200, 100), 32768)  # 50 % grey
    stored = store_image(tmp_path, encode(grey, "PNG"), "scan.png")
    with Image.open(tmp_path / stored.path) as out:
        assert 110 < out.getpixel((100, 50))[0] < 145


# ------------------------------------------------------------- refusals


def refused(tmp_path: Path, data: bytes | io.RawIOBase, name: str) -> str:
    with pytest.raises(ValidationError) as caught:
        store_image(tmp_path, data, name)  # type: ignore[arg-type]
    assert caught.value.field == "image"
    assert "\n" not in str(caught.value)
    assert assets(tmp_path) == []  # nothing written, not even the folder
    return str(caught.value)


@pytest.mark.parametrize(
    ("size", "words"),
    [
        ((100_000, 100_000), "over 50 megapixels"),  # past Pillow's error limit
        ((10_000, 9_500), "over 50 megapixels"),  # Pillow only warns here
        ((8_000, 7_000), "over 50 megapixels (8000x7000)"),  # enews's own cap
    ],
)
def test_decompression_bombs_are_refused_from_the_header(tmp_path, size, words):
    assert words in refused(tmp_path, png_header(*size), "bomb.png")


class Zeros(io.RawIOBase):
    """A 50 MB upload, never held in memory whole, coming 64 KB a read
    as from a socket."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self.left, 65536)
        buffer[:n] = b"\0" * n
        self.left -= n
        return n


def test_50_mb_upload_is_refused_in_one_line(tmp_path):
    message = refused(tmp_path, Zeros(50 * 2**20), "huge.jpg")
    assert message == "image: 'huge.jpg' is over 20 MB; save a smaller copy"
    assert "over 20 MB" in refused(tmp_path, b"\xff" * (MAX_BYTES + 1), "big.jpg")


def test_text_file_named_jpg_and_unsupported_formats_are_refused(tmp_path):
    text = b"Not a picture at all, just words.\n" * 20
    assert refused(tmp_path, text, "notes.jpg") == (
        "image: 'notes.jpg' is not a JPEG, PNG, GIF or WebP image"
    )
    tiff = encode(Image.new("RGB", (50, 50)), "TIFF")  # an image, not for email
    assert "is not a JPEG, PNG" in refused(tmp_path, tiff, "scan.tif")
    assert refused(tmp_path, b"", "empty.jpg") == "image: 'empty.jpg' is empty"


def test_truncated_jpeg_is_refused(tmp_path):
    whole = camera_jpeg()
    message = refused(tmp_path, whole[: len(whole) // 2], "cut.jpg")
    assert message.startswith("image: 'cut.jpg' is damaged or cut short (")


def test_animated_gif_is_refused_and_the_name_is_cleaned(tmp_path):
    colours = ((200, 0, 0), (0, 200, 0), (0, 0, 200))
    frames = [Image.new("RGB", (40, 40), colour) for colour in colours]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=90)
    message = refused(tmp_path, out.getvalue(), "C:\\photos\\spin\x1b.gif")
    assert message == (
        "image: 'spin?.gif' is animated; save the frame you want as PNG or JPEG"
    )


# ------------------------------------------------------------- in the email


def issue_with_local_image(session, root: Path, *, featured_too: bool = False):
    """An October issue: one item with a stored photo (and a rich summary,
    so premailer runs), one with an image on the web."""
    stored = store_image(root, camera_jpeg(), "photo.jpg")
    local = make_item(session, title="Forum in Kigali", summary=RICH,
                      summary_format="html", image_url="https://x.example/a.jpg",
                      image_alt="Delegates in the hall")  # fmt: skip
    # Set as the web form and CLI will once compose/items.py accepts it.
    local.image_url = stored.path
    make_item(session, title="Remote picture", image_url="https://x.example/b.jpg",
              image_alt="A remote picture")  # fmt: skip
    if featured_too:
        other = make_item(session, title="Lead story", image_alt="Lead")
        other.image_url = stored.path
    session.flush()
    make_issue(session)
    return stored


@pytest.mark.sqlite_only
def test_built_email_links_the_image_under_base_url_with_its_real_size(
    session, workspace
):
    stored = issue_with_local_image(session, workspace.root, featured_too=True)
    set_featured(session, "2020-10", _id_of(session, "Lead story"))
    bundle = build(session, workspace.root)

    url = f"{BASE}/{stored.path}"
    tags = re.findall(r"<img [^>]*>", bundle.html)
    local = [t for t in tags if url in t]
    assert len(local) == 2  # the featured item and the one in its section
    for tag in local:
        assert f'src="{url}"' in tag and 'width="552" height="736"' in tag
    remote = next(t for t in tags if "x.example/b.jpg" in t)
    assert 'width="552"' in remote and "height=" not in remote  # size unknown
    assert 'style="color:#1f5f8b; text-decoration:underline"' in bundle.html  # inlined
    assert bundle.manifest["images"] == [
        {"path": stored.path, "url": url, "width": 1104, "height": 1472,
         "bytes": stored.bytes}
    ]  # fmt: skip


@pytest.mark.sqlite_only
def test_without_base_url_the_build_fails_in_one_line_unless_served_here(
    session, workspace
):
    stored = issue_with_local_image(session, workspace.root)
    with pytest.raises(ConfigError) as caught:
        build(session, workspace.root, base_url=None)
    assert str(caught.value) == (
        f"item {_id_of(session, 'Forum in Kigali')} ('Forum in Kigali') has a local "
        f"image ({stored.path}): set base_url in enews.toml to the address where "
        "'enews archive' is published"
    )
    here = "http://127.0.0.1:8000/assets"  # a preview served by `enews serve`
    bundle = build_issue(session, "2020-10", settings=Settings(),
                         workspace=workspace.root, assets_url=here)  # fmt: skip
    assert f'src="{here}/{stored.path[7:]}" alt="Delegates' in bundle.html


def test_the_cli_build_without_base_url_exits_non_zero(workspace):
    from click.testing import CliRunner

    from enews.cli import cli

    with workspace.transaction() as session:
        issue_with_local_image(session, workspace.root)
    result = CliRunner().invoke(cli, ["-w", str(workspace.root), "build", "2020-10"])
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "set base_url in enews.toml" in lines[0]
    assert not (workspace.root / "issues" / "2020-10").exists()


@pytest.mark.sqlite_only
def test_a_missing_image_file_names_the_item_and_the_file(session, workspace):
    stored = issue_with_local_image(session, workspace.root)
    (workspace.root / stored.path).unlink()
    with pytest.raises(EnewsError, match=r"its image assets/\w+\.jpg is missing from"):
        build_issue(
            session,
            "2020-10",
            settings=Settings(base_url=BASE),
            workspace=workspace.root,
        )


def build(session, root: Path, base_url: str | None = BASE):
    return build_issue(
        session, "2020-10", settings=Settings(base_url=base_url), workspace=root
    )


def _id_of(session, title: str) -> int:
    return session.scalars(select(Item.id).where(Item.title == title)).one()


# ------------------------------------------------------------- the archive


@pytest.mark.sqlite_only
def test_archive_publishes_the_images_the_emails_show_and_only_those(
    session, workspace
):
    stored = issue_with_local_image(session, workspace.root)
    unused = store_image(workspace.root, encode(Image.new("RGB", (10, 10)), "PNG"))
    settings = Settings(base_url=BASE)
    bundle = build_issue(
        session, "2020-10", settings=settings, workspace=workspace.root
    )
    write_bundle(bundle, workspace.issues_dir)
    out = workspace.root / "public"

    build_archive(session, settings=settings, workspace=workspace.root,
                  out_dir=out, base_url=BASE)  # fmt: skip

    published = out / stored.path
    assert published.read_bytes() == (workspace.root / stored.path).read_bytes()
    assert not (out / unused.path).exists()  # never in an email: stays private
    page = (out / "2020-10" / "index.html").read_text()
    assert f'src="{BASE}/{stored.path}"' in page
    manifest = json.loads((workspace.issues_dir / "2020-10/manifest.json").read_text())
    assert manifest["images"][0]["path"] == stored.path


@pytest.mark.sqlite_only
def test_archive_with_an_image_gone_fails_before_writing_anything(session, workspace):
    stored = issue_with_local_image(session, workspace.root)
    settings = Settings(base_url=BASE)
    bundle = build_issue(
        session, "2020-10", settings=settings, workspace=workspace.root
    )
    write_bundle(bundle, workspace.issues_dir)
    (workspace.root / stored.path).unlink()
    out = workspace.root / "public"
    with pytest.raises(
        EnewsError, match=r"a built issue shows assets/\w+\.jpg, which is missing"
    ):
        build_archive(session, settings=settings, workspace=workspace.root,
                      out_dir=out, base_url=BASE)  # fmt: skip
    assert not out.exists() or list(out.iterdir()) == []


def test_outside_pytest_a_bomb_warning_is_a_refusal_not_a_printed_warning(tmp_path):
    # pytest turns every warning into an error; a real process does not, so
    # Pillow's DecompressionBombWarning (89 to 179 MP) is tried in one.
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_header(10_000, 9_500))
    code = (
        "import sys; from pathlib import Path\n"
        "from enews.compose.images import store_image\n"
        "from enews.errors import ValidationError\n"
        "try:\n"
        "    store_image(Path(sys.argv[1]), Path(sys.argv[2]).read_bytes(), 'b.png')\n"
        "except ValidationError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-W", "default", "-c", code, str(tmp_path), str(bomb)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert done.stdout == "image: 'b.png' is over 50 megapixels; save a smaller copy\n"
    assert done.stderr == ""
    assert assets(tmp_path) == []
