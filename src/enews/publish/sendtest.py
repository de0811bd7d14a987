"""Test sends: the built issue, as a subscriber gets it, to a few test inboxes
over SMTP (``enews send-test`` and the workspace's "Send test" form).

``make_test_message`` is pure: the bundle's HTML and text with the mailing
service's merge tags replaced by sample values, made into a .eml the way a
build makes one (``message.make_eml``), the subject prefixed ``[Test] ``.
``send_message`` is the SMTP part: one connection, one attempt (no retries),
one message per recipient (each sees only their own address in ``To:``),
and a result naming every recipient the server refused. Everything a send
needs is checked before it connects: the addresses, their number, the
[smtp] table, the password's presence, the CA file.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import smtplib
import ssl
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from email.errors import HeaderParseError
from email.header import Header
from email.headerregistry import Address
from email.utils import make_msgid
from pathlib import Path

from enews.config import PASSWORD_VARIABLE, Settings, Smtp
from enews.errors import ConfigError, EnewsError, ValidationError
from enews.profiles import get_profile
from enews.publish.build import Bundle
from enews.publish.handoff import review
from enews.publish.message import CRLF, make_eml
from enews.publish.samples import sample_values, with_samples

SUBJECT_PREFIX = "[Test] "
MAX_RECIPIENTS = 20
TIMEOUT = 10.0  # seconds for the connection and for each answer after it
_SEPARATORS = re.compile(r"[\s,;]+")
_FIELD_END = re.compile(rb"\r\n(?![ \t])")  # a header line not continued


class SendError(EnewsError):
    """A test send that could not be made: the server, the login, a file."""


@dataclass(frozen=True)
class SendResult:
    """What the server did with each recipient of one test send."""

    server: str  # host:port
    sent: tuple[str, ...] = ()
    refused: tuple[tuple[str, str], ...] = ()  # (address, the server's answer)
    not_sent: tuple[str, ...] = ()  # never tried: the connection had failed
    error: str | None = None  # why the connection failed midway

    @property
    def ok(self) -> bool:
        return not self.refused and not self.error

    def problems(self) -> list[str]:
        """One line per refused recipient, and one for a lost connection."""
        lines = [f"{a}: refused by {self.server}: {why}" for a, why in self.refused]
        if self.error:
            rest = f"; not sent to {', '.join(self.not_sent)}" if self.not_sent else ""
            lines.append(self.error + rest)
        return lines


@dataclass(frozen=True)
class Outcome:
    """A test send's result and the checks the issue fails (sent anyway)."""

    result: SendResult
    failing: tuple[str, ...]


def parse_recipients(values: Iterable[str]) -> list[str]:
    """Addresses from ``--to`` values or the form's field (several may be
    separated by commas, semicolons or spaces), checked, duplicates dropped.
    A non-ASCII domain is written as IDNA; a non-ASCII local part is refused
    (it would need SMTPUTF8, which many servers lack)."""
    found: dict[str, str] = {}
    for value in values:
        for part in _SEPARATORS.split(value.strip()):
            if part:
                address = _checked_address(part)
                found.setdefault(address.casefold(), address)
    if not found:
        raise ValidationError("to", "give the address of at least one test inbox")
    if len(found) > MAX_RECIPIENTS:
        raise ValidationError(
            "to",
            f"at most {MAX_RECIPIENTS} addresses per test send ({len(found)} given)",
        )
    return list(found.values())


def _checked_address(text: str) -> str:
    problem = f"{text!r} is not an e-mail address"
    try:
        address = Address(addr_spec=text)
        domain = address.domain.encode("idna").decode("ascii")
    except (ValueError, IndexError, HeaderParseError, UnicodeError):
        raise ValidationError("to", problem) from None
    if not address.username or not domain or len(text) > 254:
        raise ValidationError("to", problem)
    if not address.username.isascii():
        raise ValidationError("to", f"{text!r}: only ASCII before the @ can be sent")
    return f"{address.username}@{domain}"


def make_test_message(
    bundle: Bundle,
    settings: Settings,
    *,
    date: dt.datetime,
    message_id: str,
    sender: str | None = None,
) -> bytes:
    """The test .eml of ``bundle`` without a ``To:`` (see ``addressed``).

    ``sender`` ([smtp] from) replaces the From address: a server that
    authenticates a user refuses or rewrites a From it has not verified.
    """
    swaps = sample_values(settings, bundle.slug)
    unsubscribe = settings.unsubscribe_url or get_profile(settings.profile).unsubscribe
    eml = make_eml(
        html=with_samples(bundle.html, swaps, escape=True),
        text=with_samples(bundle.text, swaps, escape=False),
        subject=bundle.view.subject,
        settings=replace(settings, sender_email=sender) if sender else settings,
        unsubscribe=swaps.get(unsubscribe, unsubscribe),
        date=date,
        message_id=message_id,
    )
    # Prefixed here, not in make_eml: a subject at its length limit still goes.
    return set_header(eml, "Subject", SUBJECT_PREFIX + bundle.view.subject)


def addressed(message: bytes, to: str) -> bytes:
    """``message`` with ``To:`` the one recipient (replacing any To:)."""
    return set_header(message, "To", to)


def set_header(eml: bytes, name: str, value: str) -> bytes:
    """``eml`` with every ``name:`` field replaced by one, at the top."""
    head, sep, body = eml.partition(CRLF + CRLF)
    key = name.lower().encode("ascii") + b":"
    kept = [f for f in _FIELD_END.split(head) if not f.lower().startswith(key)]
    charset = "us-ascii" if value.isascii() else "utf-8"
    folded = Header(value, charset, maxlinelen=78, header_name=name).encode("\r\n")
    field = f"{name}: {folded}".encode("ascii")
    return CRLF.join([field, *kept]) + sep + body


def smtp_password(environ: Mapping[str, str] = os.environ) -> str | None:
    """The SMTP password: only ever from the environment."""
    return environ.get(PASSWORD_VARIABLE) or None


def send_bundle_test(
    bundle: Bundle,
    recipients: Sequence[str],
    *,
    settings: Settings,
    root: Path | None,
    password: str | None,
    timeout: float = TIMEOUT,
) -> Outcome:
    """Check, then send the test of ``bundle`` to ``recipients`` (already
    through ``parse_recipients``). Failing checks do not stop a test send:
    they are named in the result."""
    smtp = smtp_settings(settings)
    ca_file = _ca_file(smtp, root)
    if smtp.username and not password:
        raise ConfigError(
            f"smtp.username is {smtp.username!r}: "
            f"set {PASSWORD_VARIABLE} to its password"
        )
    report, refusal = review(bundle, settings, approval=False)
    failing = tuple(check.name for check in report.failures)
    if refusal and refusal.reason == "empty":
        failing = ("no items", *failing)
    sender = smtp.sender or settings.sender_email
    message = make_test_message(
        bundle,
        settings,
        date=dt.datetime.now(dt.UTC),
        # Fresh each time: Gmail drops a message whose Message-ID it has seen.
        message_id=make_msgid("enews-test", domain=sender.rpartition("@")[2]),
        sender=smtp.sender,
    )
    result = send_message(
        message,
        recipients,
        smtp=smtp,
        sender=sender,
        password=password,
        ca_file=ca_file,
        timeout=timeout,
    )
    return Outcome(result, failing)


def smtp_settings(settings: Settings) -> Smtp:
    if settings.smtp is None:
        raise ConfigError(
            'enews.toml has no [smtp] table: add one with host = "smtp.example.org" '
            '(and port, security = "starttls", "tls" or "none", username)'
        )
    return settings.smtp


def _ca_file(smtp: Smtp, root: Path | None) -> Path | None:
    if not smtp.ca_file:
        return None
    path = Path(smtp.ca_file).expanduser()
    path = path if path.is_absolute() or root is None else root / path
    if not path.is_file():
        raise ConfigError(f"smtp.ca_file: there is no file {path}")
    return path


def send_message(
    message: bytes,
    recipients: Sequence[str],
    *,
    smtp: Smtp,
    sender: str,
    password: str | None,
    ca_file: Path | None = None,
    timeout: float = TIMEOUT,
) -> SendResult:
    """Send ``message`` (addressed to each recipient in turn) over one
    connection, trying once: a refused recipient does not stop the others;
    a lost connection stops the send."""
    server = f"{smtp.host}:{smtp.port}"
    client = _connect(smtp, server, ca_file, timeout)
    try:
        if smtp.username:
            _login(client, smtp.username, password or "", server)
        return _deliver(client, message, recipients, sender, server)
    finally:
        _close(client)


def _connect(
    smtp: Smtp, server: str, ca_file: Path | None, timeout: float
) -> smtplib.SMTP:
    context = None if smtp.security == "none" else _tls_context(ca_file)
    try:
        if smtp.security == "tls":
            return smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=timeout, context=context
            )
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=timeout)
    except (OSError, smtplib.SMTPException) as exc:
        raise SendError(f"{server}: cannot connect: {_reason(exc)}") from exc
    if smtp.security == "starttls":
        try:
            client.starttls(context=context)
        except (OSError, smtplib.SMTPException) as exc:
            client.close()
            raise SendError(f"{server}: STARTTLS failed: {_reason(exc)}") from exc
    return client


def _tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """The system's CAs (OpenSSL honours SSL_CERT_FILE), or only ca_file's."""
    try:
        return ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"smtp.ca_file: cannot read {ca_file}: {_reason(exc)}"
        ) from exc


def _login(client: smtplib.SMTP, username: str, password: str, server: str) -> None:
    """One AUTH attempt. smtplib's login() tries every mechanism the server
    offers in turn, so a wrong password would count as two or three failed
    logins (and lock some accounts): PLAIN, else LOGIN, once."""
    try:
        client.ehlo_or_helo_if_needed()
        offered = (client.esmtp_features.get("auth") or "").upper().split()
        mechanism = next((m for m in ("PLAIN", "LOGIN") if m in offered), None)
        if mechanism is None:
            raise SendError(
                f"{server} offers no AUTH PLAIN or LOGIN (it offers "
                f"{' '.join(offered) or 'no AUTH'}); remove smtp.username?"
            )
        client.user, client.password = username, password
        method = client.auth_plain if mechanism == "PLAIN" else client.auth_login
        client.auth(mechanism, method)
    except smtplib.SMTPAuthenticationError as exc:
        raise SendError(
            f"{server} refused the login of {username!r} ({_reason(exc)}); "
            f"check smtp.username and {PASSWORD_VARIABLE}"
        ) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise SendError(f"{server}: login failed: {_reason(exc)}") from exc


def _deliver(
    client: smtplib.SMTP,
    message: bytes,
    recipients: Sequence[str],
    sender: str,
    server: str,
) -> SendResult:
    sent: list[str] = []
    refused: list[tuple[str, str]] = []
    for index, rcpt in enumerate(recipients):
        try:
            client.sendmail(sender, [rcpt], addressed(message, rcpt))
        except smtplib.SMTPRecipientsRefused as exc:
            code, answer = exc.recipients[rcpt]
            refused.append((rcpt, _answer(code, answer)))
        except smtplib.SMTPDataError as exc:  # refused once it saw the message
            refused.append((rcpt, _reason(exc)))
        except (OSError, smtplib.SMTPException) as exc:
            what = (
                f"refused the sender {sender}"
                if isinstance(exc, smtplib.SMTPSenderRefused)
                else f"failed while sending to {rcpt}"
            )
            return SendResult(
                server,
                tuple(sent),
                tuple(refused),
                tuple(recipients[index:]),
                f"{server} {what}: {_reason(exc)}",
            )
        else:
            sent.append(rcpt)
    return SendResult(server, tuple(sent), tuple(refused))


def _close(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()


def _answer(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}"


def _reason(exc: BaseException) -> str:
    """One line for an SMTP or socket error (never holding the password:
    neither smtplib nor the server's answers repeat it)."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return _answer(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"its certificate is not trusted ({exc.verify_message}); see smtp.ca_file"
        )
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return " ".join(text.split())
