"""A real SMTP server on 127.0.0.1 for the test-send tests (aiosmtpd in a
thread), recording what it really received; and a CA made by trustme.

The server can refuse chosen recipients (550), drop the connection once a
message's DATA is in (before its answer), require STARTTLS and AUTH, or
speak implicit TLS.
"""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import Result

HOST = "127.0.0.1"
USER = "tester"
PASSWORD = "s3cret-Pa55word-7731"  # grep-able: it must never be printed


@dataclass
class Received:
    """One message as the server took it: envelope and bytes."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    def part(self, subtype: str) -> str:
        body = self.message.get_body((subtype,))
        assert body is not None, subtype
        text = body.get_content()
        assert isinstance(text, str)
        return text


@dataclass
class Recorder:
    """The aiosmtpd handler: refuses, drops or keeps what it is sent."""

    refuse: set[str] = field(default_factory=set)
    drop_on_data: bool = False
    received: list[Received] = field(default_factory=list)
    mail_commands: int = 0  # one per message tried: a retry would show here
    logins: int = 0  # AUTH attempts

    def check_login(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        self.logins += 1
        good = (
            isinstance(data, LoginPassword)
            and data.login == USER.encode()
            and data.password == PASSWORD.encode()
        )
        return AuthResult(success=good, handled=False)

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        self.mail_commands += 1
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.drop_on_data:
            server.transport.abort()  # gone before answering the message
            return "421 closing"
        data = envelope.original_content or envelope.content
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), data)
        )
        return "250 2.0.0 queued"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def smtp_server(
    *,
    security: str = "none",
    ca: trustme.CA | None = None,
    auth: bool = False,
    refuse: set[str] | None = None,
    drop_on_data: bool = False,
) -> Iterator[tuple[int, Recorder]]:
    """A server on 127.0.0.1 for the block: (its port, its recorder)."""
    recorder = Recorder(refuse=refuse or set(), drop_on_data=drop_on_data)
    options: dict[str, Any] = {}
    if security != "none":
        assert ca is not None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(HOST).configure_cert(context)
        key = "tls_context" if security == "starttls" else "ssl_context"
        options[key] = context
        options["require_starttls"] = security == "starttls"
    if auth:
        options |= {"authenticator": recorder.check_login, "auth_required": True}
    port = free_port()
    controller = Controller(recorder, hostname=HOST, port=port, **options)
    controller.start()
    try:
        yield port, recorder
    finally:
        controller.stop()


def write_ca(ca: trustme.CA, folder: Path) -> Path:
    path = folder / "test-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def smtp_table(port: int, **keys: str) -> str:
    """An [smtp] table for enews.toml."""
    lines = ["[smtp]", f'host = "{HOST}"', f"port = {port}"]
    lines += [f'{key} = "{value}"' for key, value in keys.items()]
    return "\n".join(lines) + "\n"


def configure(ws: Path, table: str, **top: str) -> None:
    """enews.toml with ``top`` keys first and ``table`` last."""
    text = (ws / "enews.toml").read_text(encoding="utf-8")
    head = "".join(f'{key} = "{value}"\n' for key, value in top.items())
    (ws / "enews.toml").write_text(head + text + "\n" + table, encoding="utf-8")


def one_line_error(result: Result, *words: str) -> str:
    """The result failed with error lines holding ``words``; the last line."""
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors, result.output
    assert "Traceback" not in result.output
    for word in words:
        assert any(word in line for line in errors), (word, errors)
    return errors[-1]
