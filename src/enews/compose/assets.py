"""Images stored in the workspace, as an issue's email refers to them.

An item's ``image_url`` is an absolute URL, or ``assets/<hash>.jpg`` (or
``.png``): an image ``enews.compose.images.store_image`` wrote into the
workspace. At build time ``resolve_images`` makes the latter
``<base_url>/assets/<name>`` (``enews archive`` publishes the files there)
and reads the image's real width and height from the file, so the email's
``<img>`` can say them and nothing about the image is stored twice.

Pillow is imported only when an issue does use a local image: a build
without one loads nothing more than before.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from enews.errors import ConfigError, EnewsError, ValidationError
from enews.render.view import IssueView, ItemView

ASSETS_DIR = "assets"
# What store_image writes, and all an item's image_url may name locally:
# 32 hex digits (128 bits of SHA-256) and the format's extension.
ASSET_REF = re.compile(r"assets/([0-9a-f]{32})\.(jpg|png)")
# Pillow's decoders signal a damaged file with any of these.
BROKEN = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error)


@dataclass(frozen=True)
class UsedImage:
    """A local image an issue's email refers to (the manifest lists them)."""

    path: str  # assets/<hash>.jpg, relative to the workspace
    url: str  # <base_url>/assets/<hash>.jpg (or <assets_url>/<hash>.jpg)
    width: int
    height: int
    bytes: int


def is_asset_ref(value: str | None) -> bool:
    """True when ``value`` names an image stored in the workspace."""
    return value is not None and ASSET_REF.fullmatch(value) is not None


def asset_path(root: Path, ref: str) -> Path:
    """Where a stored image is; only names ``store_image`` writes are allowed,
    so a value can never reach outside ``root/assets/``."""
    if not is_asset_ref(ref):
        raise ValidationError("image", f"{ref!r} is not a stored image (assets/...)")
    return root / ref


def asset_folder_url(base_url: str | None) -> str | None:
    """``<base_url>/assets``: where ``enews archive`` publishes the images."""
    return f"{base_url.rstrip('/')}/{ASSETS_DIR}" if base_url else None


def resolve_images(
    view: IssueView, *, root: Path | None, assets_url: str | None
) -> tuple[IssueView, tuple[UsedImage, ...]]:
    """``view`` with each local image as ``<assets_url>/<name>`` and its real
    width and height; also the local images used, once each.

    Without ``assets_url`` (no base_url in enews.toml) an issue using a
    local image cannot be built: the email would point at this computer.
    """
    if not any(is_asset_ref(item.image_url) for item in view.items):
        return view, ()  # the common case costs one scan
    used: dict[str, UsedImage] = {}

    def resolve(item: ItemView) -> ItemView:
        ref = item.image_url
        if ref is None or not is_asset_ref(ref):
            return item
        what = f"item {item.id} ({item.title[:60]!r})"
        if not assets_url:
            raise ConfigError(
                f"{what} has a local image ({ref}): set base_url in enews.toml "
                "to the address where 'enews archive' is published"
            )
        if ref not in used:
            used[ref] = read_image(root, ref, assets_url, what)
        image = used[ref]
        return replace(
            item,
            image_url=image.url,
            image_width=image.width,
            image_height=image.height,
        )

    return map_items(view, resolve), tuple(used.values())


def read_image(root: Path | None, ref: str, assets_url: str, what: str) -> UsedImage:
    """A stored image's URL, size in pixels (from its header) and bytes."""
    from PIL import Image  # only for issues with a local image

    if root is None:
        raise EnewsError(f"{what}: its image {ref} needs the workspace folder")
    path = asset_path(root, ref)
    try:
        with Image.open(path, formats=("JPEG", "PNG")) as image:
            width, height = image.size  # the header only: no pixels decoded
        size = path.stat().st_size
    except FileNotFoundError:
        raise EnewsError(
            f"{what}: its image {ref} is missing from {root / ASSETS_DIR}; "
            "add the image file again"
        ) from None
    except BROKEN as exc:
        raise EnewsError(f"{what}: its image {path} cannot be read ({exc})") from exc
    name = ref.partition("/")[2]
    return UsedImage(ref, f"{assets_url.rstrip('/')}/{name}", width, height, size)


def map_items(view: IssueView, change: Callable[[ItemView], ItemView]) -> IssueView:
    """``view`` with ``change`` applied to every item, featured one included."""
    sections = tuple(
        replace(s, items=tuple(change(i) for i in s.items)) for s in view.sections
    )
    featured = change(view.featured) if view.featured else None
    return replace(view, featured=featured, sections=sections)
