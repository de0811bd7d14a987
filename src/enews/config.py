"""Settings of a newsletter workspace, read from ``enews.toml``.

Every field has a default, so a workspace without enews.toml still builds.
Unknown keys are errors rather than silently ignored typos.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from enews import limits
from enews.errors import ConfigError, ValidationError
from enews.urls import describe, is_absolute_url, is_tag_value

CONFIG_FILE = "enews.toml"
PACKAGED_TEMPLATES = Path(__file__).with_name("templates")
THEME_COLOURS = ("primary", "accent", "text", "muted", "background")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
# font_family goes into every style attribute: font names only, optionally in
# single quotes, separated by commas; nothing that could end a declaration.
_FONT = r"\s*(?:[\w.-][\w .-]*|'[\w .-]+')\s*"
_FONT_FAMILY = re.compile(rf"{_FONT}(?:,{_FONT})*")
MAX_LOGO_WIDTH = 600  # the email's width

DEFAULT_SECTION_ORDER = ("News", "Article", "Interview")
DEFAULT_HEADINGS = {"News": "News", "Article": "Articles", "Interview": "Interviews"}


@dataclass(frozen=True)
class Brand:
    """Colours (``#rrggbb``) and logo used by the email template."""

    primary: str = "#1f5f8b"  # header band, headings, links
    accent: str = "#e8f1f7"  # featured item and intro background
    text: str = "#1d2329"
    muted: str = "#4f5b66"  # dates and footer; 7:1 on white
    background: str = "#f3f5f7"
    logo_url: str | None = None
    logo_width: int = 120


@dataclass(frozen=True)
class Settings:
    """A newsletter's identity and layout choices."""

    name: str = "Co-op News"
    organisation: str = "Co-op News Service"
    postal_address: str = "1 Example Street, 1000 Brussels, Belgium"
    sender_name: str = "Co-op News"
    sender_email: str = "news@example.org"
    base_url: str | None = None
    language: str = "en"
    font_family: str = "Helvetica, Arial, sans-serif"
    # A theme is templates/themes/<name>/: theme.toml with the brand colours
    # (and font) plus any templates it replaces. enews.toml [brand] wins.
    theme: str = "default"
    # The mailing service the HTML is handed to: its merge tags replace the
    # templates' neutral placeholders (see profiles.py).
    profile: str = "generic"
    # A fixed unsubscribe link instead of the service's merge tag.
    unsubscribe_url: str | None = None
    # Campaign tagging of item links: utm_source=<this>, utm_medium, utm_campaign
    # = the slug, utm_content = item-<id>. Off while unset.
    utm_source: str | None = None
    utm_medium: str = "email"
    greeting: str = "Hello"  # "Hello Amy," above the intro; "" for none
    greeting_fallback: str = "there"  # when the service has no first name
    section_order: tuple[str, ...] = DEFAULT_SECTION_ORDER
    headings: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_HEADINGS))
    brand: Brand = field(default_factory=Brand)

    def heading_for(self, kind: str) -> str:
        """The section heading shown for items of ``kind``."""
        return self.headings.get(kind, kind)

    def section_rank(self, kind: str) -> tuple[int, str]:
        """Sort key: configured kinds first in order, then the rest A-Z."""
        order = list(self.section_order)
        if kind in order:
            return (order.index(kind), "")
        return (len(order), kind.casefold())


def load_settings(workspace: Path) -> Settings:
    """Read ``workspace/enews.toml``; defaults when the file is absent."""
    path = workspace / CONFIG_FILE
    data = _read_toml(path) if path.exists() else {}
    theme = data.get("theme", "default")
    if theme != "default" and isinstance(theme, str):
        data = _with_theme(data, theme, workspace)
    return settings_from_dict(data, source=str(path))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        # utf-8-sig: Notepad starts the files it saves with a BOM.
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    except RecursionError as exc:
        raise ConfigError(f"{path}: tables or lists nested too deeply") from exc


def theme_dir(theme: str, workspace: Path | None) -> Path:
    """The theme's folder: the workspace's own, else the packaged one."""
    for base in (workspace / "templates" if workspace else None, PACKAGED_TEMPLATES):
        if base is not None and (base / "themes" / theme / "theme.toml").is_file():
            return base / "themes" / theme
    raise ConfigError(
        f"theme: no theme {theme!r} (templates/themes/{theme}/theme.toml)"
    )


def _with_theme(data: dict[str, Any], theme: str, workspace: Path) -> dict[str, Any]:
    """enews.toml on top of the theme's defaults (brand colours, font)."""
    path = theme_dir(theme, workspace) / "theme.toml"
    defaults = _read_toml(path)
    brand = defaults.get("brand", {})
    missing = [c for c in THEME_COLOURS if c not in brand]
    if missing:
        raise ConfigError(f"{path}: the theme has no brand.{missing[0]} colour")
    merged = dict(data)
    merged["brand"] = {**brand, **data.get("brand", {})}
    if "font_family" in defaults:
        merged.setdefault("font_family", defaults["font_family"])
    return merged


def settings_from_dict(data: dict[str, Any], *, source: str = CONFIG_FILE) -> Settings:
    """Build Settings from parsed TOML, naming the key of any bad value."""
    data = dict(data)
    brand = _brand_from_dict(data.pop("brand", {}), source)
    sections = data.pop("sections", {})
    if not isinstance(sections, dict):
        raise ConfigError(f"{source}: [sections] must be a table")
    kwargs = _known(Settings, data, source, skip={"brand", "section_order", "headings"})
    order = sections.get("order", list(DEFAULT_SECTION_ORDER))
    headings = sections.get("headings", {})
    if not _is_str_list(order):
        raise ConfigError(f"{source}: sections.order must be a list of kinds")
    if not isinstance(headings, dict) or not _is_str_list(list(headings.values())):
        raise ConfigError(f"{source}: sections.headings must map kinds to text")
    unknown = set(sections) - {"order", "headings"}
    if unknown:
        raise ConfigError(f"{source}: unknown key sections.{sorted(unknown)[0]}")
    for text in [*order, *headings, *headings.values()]:
        _check_text(text, "sections", source)
    for key, schemes in _URL_KEYS.items():
        if kwargs.get(key):
            _check_url(kwargs[key], key, schemes, source)
    _check_fonts_and_sender(kwargs, source)
    if "profile" in kwargs:
        from enews.profiles import get_profile

        get_profile(kwargs["profile"])  # an unknown service fails here, named
    return Settings(
        **kwargs,
        brand=brand,
        section_order=tuple(order),
        headings={**DEFAULT_HEADINGS, **headings},
    )


# URLs written into every email as they are: they must be absolute, of a
# scheme an email may link to, and hold nothing that could end an attribute.
# unsubscribe_url may instead be a merge tag of a service enews has no
# profile for.
_URL_KEYS = {
    "base_url": ("http", "https"),
    "unsubscribe_url": ("http", "https", "mailto"),
}


def _check_url(value: str, key: str, schemes: tuple[str, ...], source: str) -> None:
    tags = key == "unsubscribe_url"
    if is_absolute_url(value, schemes) or (tags and is_tag_value(value)):
        return
    also = " or a merge tag without quotes" if tags else ""
    raise ConfigError(
        f"{source}: {key} must be an absolute {describe(schemes)} URL{also}"
    )


def _check_fonts_and_sender(kwargs: dict[str, Any], source: str) -> None:
    font = kwargs.get("font_family")
    if font is not None and not _FONT_FAMILY.fullmatch(font):
        raise ConfigError(
            f"{source}: font_family must be font names separated by commas, "
            "like Helvetica, Arial, sans-serif"
        )
    from email.headerregistry import Address  # only here: slow to import

    try:
        Address(addr_spec=kwargs.get("sender_email", Settings.sender_email))
    except (ValueError, IndexError) as exc:
        raise ConfigError(f"{source}: sender_email is not an e-mail address") from exc


def _check_text(value: str, key: str, source: str) -> str:
    """Every setting is one line of text an email can carry."""
    try:
        value = limits.clean_chars(value, key)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {exc}") from exc
    if "\n" in value or "\r" in value:
        raise ConfigError(f"{source}: {key} must be one line")
    return value


def _brand_from_dict(data: Any, source: str) -> Brand:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: [brand] must be a table")
    kwargs = _known(Brand, data, source, prefix="brand.")
    for name, value in kwargs.items():
        if name == "logo_url":
            if not is_absolute_url(value):
                raise ConfigError(
                    f"{source}: brand.logo_url must be an absolute http(s) URL"
                )
            continue
        if name == "logo_width":
            if not 0 < value <= MAX_LOGO_WIDTH:
                raise ConfigError(
                    f"{source}: brand.logo_width must be 1 to {MAX_LOGO_WIDTH} pixels"
                )
            continue
        if not isinstance(value, str) or not _COLOUR.match(value):
            raise ConfigError(f"{source}: brand.{name} must be a colour like #1f5f8b")
    return Brand(**kwargs)


def _known(
    cls: type,
    data: dict[str, Any],
    source: str,
    *,
    prefix: str = "",
    skip: set[str] | None = None,
) -> dict[str, Any]:
    """Keep keys that are fields of ``cls``, checking their basic type."""
    allowed = (
        {f.name: f for f in fields(cls)}
        if skip is None
        else {f.name: f for f in fields(cls) if f.name not in skip}
    )
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in allowed:
            raise ConfigError(f"{source}: unknown key {prefix}{key}")
        expected = int if key == "logo_width" else str
        if not isinstance(value, expected) or isinstance(value, bool):
            raise ConfigError(f"{source}: {prefix}{key} must be {expected.__name__}")
        if isinstance(value, str):
            value = _check_text(value, prefix + key, source)
        out[key] = value
    return out


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)
