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
from enews.languages import direction
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
_BOOLS = frozenset({"require_second_person"})

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
    # Dark mode: the same roles on dark surfaces (partials/styles.mjml.j2).
    dark_primary: str = "#8cc8f0"  # links and section headings
    dark_accent: str = "#22313b"  # featured item background
    dark_text: str = "#e3e8ec"
    dark_muted: str = "#aab6c0"  # dates and footer
    dark_background: str = "#11181d"  # the page around the email
    dark_surface: str = "#1b242b"  # the email's own cards and footer
    logo_url: str | None = None
    logo_width: int = 120


SMTP_PORTS = {"starttls": 587, "tls": 465, "none": 25}  # security -> default port
PASSWORD_VARIABLE = "ENEWS_SMTP_PASSWORD"
_HOST = re.compile(r"[A-Za-z0-9.:_-]+")  # a name or an IP address, nothing else


@dataclass(frozen=True)
class Smtp:
    """[smtp]: the server ``enews send-test`` sends through. The password is
    never kept here (nor in enews.toml): it is read from ENEWS_SMTP_PASSWORD."""

    host: str
    port: int = 587
    security: str = "starttls"  # "starttls", "tls" (implicit TLS) or "none"
    username: str | None = None
    sender: str | None = None  # the key `from`; None: Settings.sender_email
    # A CA bundle to trust instead of the system's; relative to the workspace.
    ca_file: str | None = None


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
    # templates/themes/<name>/: theme.toml (colours, font) and templates.
    theme: str = "default"
    # The mailing service the HTML is handed to: its merge tags replace the
    # templates' neutral placeholders (see profiles.py).
    profile: str = "generic"
    unsubscribe_url: str | None = None  # a fixed link, not the service's tag
    unsubscribe_mailto: str | None = None  # mailto: for List-Unsubscribe
    # The .eml's To: (the service's recipient tag, or an address; default:
    # the sender's own, a neutral one).
    message_to: str | None = None
    # Campaign tagging of item links: utm_source=<this>, utm_medium, utm_campaign
    # = the slug, utm_content = item-<id>. Off while unset.
    utm_source: str | None = None
    utm_medium: str = "email"
    # A linked title is told from text without colour: underlined; or, with
    # a label ("Read more"), a link of that name ends each linked item. The
    # default keeps one link per item (smaller, and its text says where).
    read_more: str = ""
    require_second_person: bool = False  # an approver other than the last editor
    greeting: str = "Hello"  # "Hello Amy," above the intro; "" for none
    greeting_fallback: str = "there"  # when the service has no first name
    section_order: tuple[str, ...] = DEFAULT_SECTION_ORDER
    headings: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_HEADINGS))
    # [sections.aliases]: (kind or keyword, casefolded; its section), the
    # longest first, so "coop 100 interview" is tried before "interview".
    aliases: tuple[tuple[str, str], ...] = ()
    brand: Brand = field(default_factory=Brand)
    smtp: Smtp | None = None  # no [smtp] table: no test sends

    @property
    def direction(self) -> str:
        """``rtl`` for a language written right to left, else ``ltr``."""
        return direction(self.language)

    def heading_for(self, kind: str) -> str:
        """The section heading shown for items of ``kind``."""
        return self.headings.get(kind, kind)

    def section_for(self, kind: str) -> str:
        """The section an item of ``kind`` goes to: the alias whose key is
        the kind itself or a word or words in it (case ignored), else the
        kind, which gets its own section."""
        folded = kind.casefold()
        for key, section in self.aliases:
            if key == folded:
                return section
        for key, section in self.aliases:
            if re.search(rf"(?<!\w){re.escape(key)}(?!\w)", folded):
                return section
        return kind

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
    smtp = data.pop("smtp", None)
    smtp = None if smtp is None else _smtp_from_dict(smtp, source)
    sections = data.pop("sections", {})
    if not isinstance(sections, dict):
        raise ConfigError(f"{source}: [sections] must be a table")
    kwargs = _known(
        Settings, data, source, skip={"brand", "section_order", "headings", "aliases"}
    )
    for key, schemes in _URL_KEYS.items():
        if kwargs.get(key):
            _check_url(kwargs[key], key, schemes, source)
    _check_fonts_and_sender(kwargs, source)
    if "profile" in kwargs:
        from enews.profiles import get_profile

        get_profile(kwargs["profile"])  # an unknown service fails here, named
    sections_kw = _sections_from_dict(sections, source)
    return Settings(**kwargs, brand=brand, smtp=smtp, **sections_kw)


def _sections_from_dict(sections: dict[str, Any], source: str) -> dict[str, Any]:
    """[sections]: order, headings and aliases, checked."""
    order = sections.get("order", list(DEFAULT_SECTION_ORDER))
    headings = sections.get("headings", {})
    aliases = sections.get("aliases", {})
    if not _is_str_list(order):
        raise ConfigError(f"{source}: sections.order must be a list of kinds")
    for name, table in (("headings", headings), ("aliases", aliases)):
        if not isinstance(table, dict) or not _is_str_list(list(table.values())):
            what = "kinds to text" if name == "headings" else "kinds to sections"
            raise ConfigError(f"{source}: sections.{name} must map {what}")
    unknown = set(sections) - {"order", "headings", "aliases"}
    if unknown:
        raise ConfigError(f"{source}: unknown key sections.{sorted(unknown)[0]}")
    for text in [*order, *headings, *headings.values()]:
        _check_text(text, "sections", source)
    headings = {**DEFAULT_HEADINGS, **headings}
    return {
        "section_order": tuple(order),
        "headings": headings,
        "aliases": _aliases(aliases, headings, source),
    }


def _aliases(
    table: dict[str, str], headings: dict[str, str], source: str
) -> tuple[tuple[str, str], ...]:
    """Keys casefolded, longest first; a value may name a section by its
    kind or by its heading ("Interviews" is the kind "Interview")."""
    by_heading = {text.casefold(): kind for kind, text in headings.items()}
    found: dict[str, str] = {}
    for key, section in table.items():
        key = _check_text(key, "sections.aliases", source).strip()
        section = _check_text(section, f"sections.aliases.{key}", source).strip()
        if not key or not section:
            raise ConfigError(f"{source}: sections.aliases keys and sections are text")
        if len(section) > limits.KIND:
            raise ConfigError(
                f"{source}: sections.aliases.{key}: a section is at most "
                f"{limits.KIND} characters"
            )
        found[key.casefold()] = by_heading.get(section.casefold(), section)
    return tuple(sorted(found.items(), key=lambda pair: -len(pair[0])))


# URLs written into every email as they are: they must be absolute, of a
# scheme an email may link to, and hold nothing that could end an attribute.
# unsubscribe_url may instead be a merge tag of a service enews has no
# profile for.
_URL_KEYS = {
    "base_url": ("http", "https"),
    "unsubscribe_url": ("http", "https", "mailto"),
    "unsubscribe_mailto": ("mailto",),
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
    _check_address(
        kwargs.get("sender_email", Settings.sender_email), "sender_email", source
    )
    to = kwargs.get("message_to")
    if to is not None and not is_tag_value(to):
        _check_address(to, "message_to", source)  # else a merge tag


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


def _smtp_from_dict(data: Any, source: str) -> Smtp:
    """[smtp], checked; a password key is refused, never read."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: [smtp] must be a table")
    if "password" in data:
        raise ConfigError(
            f"{source}: smtp.password: the SMTP password is never kept in "
            f"enews.toml; remove it and set {PASSWORD_VARIABLE} instead"
        )
    if "sender" in data:  # the field's name; the key is `from` (a keyword)
        raise ConfigError(f"{source}: unknown key smtp.sender (use from)")
    given = {("sender" if k == "from" else k): v for k, v in data.items()}
    kwargs = _known(Smtp, given, source, prefix="smtp.", ints=frozenset({"port"}))
    security = kwargs.setdefault("security", "starttls")
    if security not in SMTP_PORTS:
        raise ConfigError(f"{source}: smtp.security must be starttls, tls or none")
    port = kwargs.setdefault("port", SMTP_PORTS[security])
    if not 0 < port < 65536:
        raise ConfigError(f"{source}: smtp.port must be 1 to 65535")
    if not _HOST.fullmatch(kwargs.get("host", "")):
        raise ConfigError(
            f"{source}: smtp.host must be a server name, like smtp.example.org"
        )
    if kwargs.get("username") and security == "none":
        raise ConfigError(
            f"{source}: smtp.username: a password must not travel unencrypted; "
            'use security = "starttls" or "tls"'
        )
    if "sender" in kwargs:
        _check_address(kwargs["sender"], "smtp.from", source)
    return Smtp(**kwargs)


def _check_address(value: str, key: str, source: str) -> None:
    from email.errors import HeaderParseError  # only here: slow to import
    from email.headerregistry import Address

    try:
        Address(addr_spec=value)
    except (ValueError, IndexError, HeaderParseError) as exc:
        raise ConfigError(f"{source}: {key} is not an e-mail address") from exc


def _known(
    cls: type,
    data: dict[str, Any],
    source: str,
    *,
    prefix: str = "",
    skip: set[str] | None = None,
    ints: frozenset[str] = frozenset({"logo_width"}),
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
        expected = bool if key in _BOOLS else int if key in ints else str
        if type(value) is not expected:  # True is no int here, 1 no bool
            raise ConfigError(f"{source}: {prefix}{key} must be {expected.__name__}")
        if isinstance(value, str):
            value = _check_text(value, prefix + key, source)
        out[key] = value
    return out


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)
