"""Storing an image in the workspace: ``assets/<hash>.jpg`` (or ``.png``).

``store_image`` turns an uploaded file into an email-ready image: checked
(an image, not too big, not a decompression bomb, not animated), turned
upright (EXIF orientation), stripped of every piece of metadata, brought to
sRGB, scaled down to twice the templates' 552 px display width, and saved
as a JPEG, or as a PNG when it has transparency. The file is named after a
hash of what is written, so the same image stored twice is one file.

An item's ``image_url`` then holds that relative path; how the email refers
to it is ``enews.compose.assets``'s (which needs no Pillow to import).
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageCms, ImageOps

from enews import safefiles
from enews.compose.assets import ASSETS_DIR, BROKEN
from enews.errors import EnewsError, ValidationError

MAX_BYTES = 20 * 1024 * 1024  # a phone's largest JPEGs are ~12 MB
# Pillow's own bomb limit is ~89 MP; 50 MP (a 50 MP camera's full frame)
# keeps a decoded PNG (4 bytes a pixel) near 200 MB.
MAX_PIXELS = 50_000_000
DISPLAY_WIDTH = 552  # templates/partials: the body is 600 px, 24 px padding
MAX_WIDTH = 2 * DISPLAY_WIDTH  # sharp on high-density screens, no bigger
JPEG_QUALITY = 82
# JPEG includes MPO (a camera JPEG with a second picture). Never EPS, PSD...
FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
READABLE = "a JPEG, PNG, GIF or WebP image"
_SWAPS_SIDES = (5, 6, 7, 8)  # EXIF orientations that turn the image 90°
_EXIF_ORIENTATION = 0x0112

# A size past Image.MAX_IMAGE_PIXELS only warns; here it must refuse. Set
# once, for the process: warnings.catch_warnings is not thread-safe, and
# the web server stores uploads from several threads.
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)


@dataclass(frozen=True)
class StoredImage:
    """An image ``store_image`` wrote."""

    path: str  # relative to the workspace: assets/<hash>.jpg
    width: int
    height: int
    bytes: int


def store_image(
    root: Path,
    data: bytes | BinaryIO,
    name: str = "image",
    *,
    field: str = "image",
    max_width: int = MAX_WIDTH,
) -> StoredImage:
    """Check, clean and write an image under ``root/assets/``.

    ``data`` is the file's bytes or a binary stream (read up to the cap);
    ``name`` is only for messages. Bad input raises a ValidationError naming
    ``field`` and the file, and nothing is written.
    """
    label = _label(name)
    raw = _read_capped(data, label, field)
    encoded, ext, (width, height) = prepare_image(
        raw, label, field=field, max_width=max_width
    )
    digest = hashlib.sha256(encoded).hexdigest()[:32]  # 128 bits: no collisions
    relative = f"{ASSETS_DIR}/{digest}.{ext}"
    path = root / relative
    if not _holds(path, encoded):
        try:
            safefiles.replace_file(path, encoded)
        except OSError as exc:
            raise EnewsError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return StoredImage(relative, width, height, len(encoded))


def prepare_image(
    raw: bytes, label: str, *, field: str = "image", max_width: int = MAX_WIDTH
) -> tuple[bytes, str, tuple[int, int]]:
    """The cleaned image's bytes, its extension and its size (pure)."""
    try:
        with _open(raw, label, field) as source:
            _refuse_animation(source, label, field)
            _decode_small(source, max_width)
            upright = ImageOps.exif_transpose(source)
    except BROKEN as exc:
        raise ValidationError(
            field, f"{label} is damaged or cut short ({exc}); save it again"
        ) from exc
    picture = _scaled(_to_srgb(upright), max_width)
    if picture.mode == "RGBA":
        return _encode(picture, "PNG"), "png", picture.size
    return _encode(picture, "JPEG"), "jpg", picture.size


def _label(name: str) -> str:
    """The file's name as a message shows it: no folders, one short line."""
    base = re.split(r"[\\/]", name)[-1]
    base = "".join(c if c.isprintable() else "?" for c in base)[:80]
    return repr(base or "image")


def _read_capped(data: bytes | BinaryIO, label: str, field: str) -> bytes:
    raw = data if isinstance(data, bytes) else _read_upto(data, MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise ValidationError(
            field, f"{label} is over {MAX_BYTES // 2**20} MB; save a smaller copy"
        )
    if not raw:
        raise ValidationError(field, f"{label} is empty")
    return raw


def _read_upto(stream: BinaryIO, limit: int) -> bytes:
    # One byte past the cap is enough to know, and never 50 MB in memory; a
    # raw stream (a socket, a pipe) may return less than asked before its end.
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        chunk = stream.read(left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _open(raw: bytes, label: str, field: str) -> Image.Image:
    """The image (header only read yet), or a refusal naming the file."""
    try:
        image = Image.open(io.BytesIO(raw), formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(field, label) from exc
    except BROKEN as exc:
        raise ValidationError(field, f"{label} is not {READABLE}") from exc
    width, height = image.size
    if width * height > MAX_PIXELS:
        image.close()
        raise _too_many_pixels(field, label, f" ({width}x{height})")
    return image


def _too_many_pixels(field: str, label: str, size: str = "") -> ValidationError:
    megapixels = MAX_PIXELS // 1_000_000
    return ValidationError(
        field, f"{label} is over {megapixels} megapixels{size}; save a smaller copy"
    )


def _refuse_animation(image: Image.Image, label: str, field: str) -> None:
    # Saved as one still frame, an animation would silently lose its point
    # (and often its first frame is blank). MPO, a camera's JPEG with a
    # second picture inside, is not an animation: its first frame is it.
    if getattr(image, "n_frames", 1) > 1 and image.format != "MPO":
        raise ValidationError(
            field, f"{label} is animated; save the frame you want as PNG or JPEG"
        )


def _decode_small(image: Image.Image, max_width: int) -> None:
    """Let a JPEG decode at 1/2, 1/4 or 1/8 of its size when that still
    leaves ``max_width`` (once upright): 12 MP decodes in a quarter of the
    time and memory. Other formats ignore it."""
    width, height = image.size
    if image.getexif().get(_EXIF_ORIENTATION) in _SWAPS_SIDES:
        width, height = height, width
    if width <= max_width:
        return
    factor = max_width / width
    wanted = (math.ceil(image.size[0] * factor), math.ceil(image.size[1] * factor))
    image.draft(image.mode, wanted)


_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_srgb(image: Image.Image) -> Image.Image:
    """RGB, or RGBA when some pixel is see-through; colours in sRGB.

    The ICC profile goes with the metadata, so the colours it describes
    (a phone's Display P3, a print shop's CMYK) are converted first.
    """
    alpha = _has_transparency(image)
    mode = "RGBA" if alpha else "RGB"
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        # 16-bit grey: convert() would clip everything past 255 to white.
        image = image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "RGBA", "CMYK", "L", "LA"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=mode)
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: the plain conversion below is close enough
    if alpha:
        return image.convert("RGBA")
    return image if image.mode == "RGB" else image.convert("RGB")


def _has_transparency(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        extrema = image.convert("RGBA").getchannel("A").getextrema()
        return bool(extrema[0] < 255)  # type: ignore[operator]
    return False


def _scaled(image: Image.Image, max_width: int) -> Image.Image:
    width, height = image.size
    if width <= max_width:
        return image
    size = (max_width, max(1, round(height * max_width / width)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _encode(image: Image.Image, kind: str) -> bytes:
    """Save with no metadata at all: Pillow would carry over a JPEG comment
    or an ICC profile from ``info``, so the pixels go to a fresh image."""
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    out = io.BytesIO()
    if kind == "JPEG":
        clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    else:
        clean.save(out, "PNG", optimize=True)
    return out.getvalue()


def _holds(path: Path, data: bytes) -> bool:
    # Named by its content: a file already there with these bytes is this image.
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False
