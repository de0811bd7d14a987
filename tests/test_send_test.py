"""Test sends (``enews send-test``, the composer's "Send test") against a real
SMTP server on 127.0.0.1 (aiosmtpd; tests/helpers_smtp.py), asserting on
what the server really received.

SQLite only: the database plays no part in a send beyond the build, which
the other suites run on both backends.
"""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import replace
from pathlib import Path

import pytest
import trustme
from click.testing import CliRunner, Result

from enews.cli import cli
from enews.compose.demo import DEMO_SLUG
from enews.config import Smtp, settings_from_dict
from enews.errors import ConfigError
from enews.profiles import PROFILES
from enews.publish.build import build_issue
from enews.publish.samples import SAMPLE_UNSUBSCRIBE, sample_values
from enews.publish.sendtest import addressed, make_test_message
from enews.web import create_app
from enews.workspace import Workspace
from tests.helpers_smtp import (
    PASSWORD,
    USER,
    Received,
    configure,
    one_line_error,
    smtp_server,
    smtp_table,
    write_ca,
)
from tests.helpers_web import Browser

BASE_URL = "https://news.example.org/archive"
SUBJECT = "[Test] October issue, 2020"
AMY, BEN, CAT = "amy@example.org", "ben@example.org", "cat@example.org"
# The generic profile's tags (the demo's) and enews's own tokens.
LEFT_TAGS = re.compile(r"\{\{|\}\}|\[\[enews:")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace, made once; each test works on a copy."""
    root = tmp_path_factory.mktemp("demo") / "ws"
    result = CliRunner().invoke(cli, ["-w", str(root), "demo"], env=_env())
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ws(demo: Path, tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(demo, root)
    return root


def _env(**values: str | None) -> dict[str, str | None]:
    base: dict[str, str | None] = {"DATABASE_URL": None, "ENEWS_WORKSPACE": None}
    base |= {"ENEWS_SMTP_PASSWORD": None, "SSL_CERT_FILE": None}
    return base | values


def send(ws: Path, *to: str, **env: str | None) -> Result:
    args = ["-w", str(ws), "send-test", DEMO_SLUG]
    for address in to:
        args += ["--to", address]
    return CliRunner().invoke(cli, args, env=_env(**env))


def assert_test_copy(got: Received, to: str, sender: str = "news@example.org") -> None:
    """A copy as a subscriber gets it: To, [Test], sample values, no tags."""
    message = got.message
    assert got.rcpt_tos == [to]
    assert got.mail_from == sender
    assert message["To"] == to
    assert message["Subject"] == SUBJECT
    assert sender in message["From"]
    assert message["List-Unsubscribe"] == f"<{SAMPLE_UNSUBSCRIBE}>"
    html, text = got.part("html"), got.part("plain")
    assert "Hello Alex," in text
    assert re.search(r"Hello\s+Alex,", html)
    assert f'href="{SAMPLE_UNSUBSCRIBE}"' in html
    assert f'href="{BASE_URL}/{DEMO_SLUG}/"' in html  # the web version
    head = got.data.partition(b"\r\n\r\n")[0].decode()
    for part in (html, text, head):
        assert not LEFT_TAGS.search(part), LEFT_TAGS.search(part)


def test_plain_smtp_delivers_one_copy_per_recipient(ws: Path):
    with smtp_server() as (port, server):
        configure(ws, smtp_table(port, security="none"), base_url=BASE_URL)
        started = time.perf_counter()
        result = send(ws, AMY, f"{BEN}, {AMY.upper()}")  # a repeat is dropped
        seconds = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    assert f"sent to {AMY}, {BEN} through 127.0.0.1:{port}" in result.stdout
    assert [got.rcpt_tos for got in server.received] == [[AMY], [BEN]]
    for got, to in zip(server.received, (AMY, BEN), strict=True):
        assert_test_copy(got, to)
    assert seconds < 2, seconds


def test_starttls_with_auth_and_a_ca_file(ws: Path, ca: trustme.CA):
    """The server refuses mail before STARTTLS and before AUTH, and the
    client trusts its certificate only through smtp.ca_file."""
    write_ca(ca, ws)
    keys = {"username": USER, "ca_file": "test-ca.pem", "from": "tests@example.org"}
    with smtp_server(security="starttls", ca=ca, auth=True) as (port, server):
        table = smtp_table(port, security="starttls", **keys)
        configure(ws, table, base_url=BASE_URL)
        result = send(ws, AMY, ENEWS_SMTP_PASSWORD=PASSWORD)
    assert result.exit_code == 0, result.output
    assert len(server.received) == 1
    assert_test_copy(server.received[0], AMY, sender="tests@example.org")
    assert PASSWORD not in result.output
    assert PASSWORD.encode() not in server.received[0].data


def test_starttls_refuses_an_untrusted_certificate(ws: Path, ca: trustme.CA):
    with smtp_server(security="starttls", ca=ca) as (port, server):
        configure(ws, smtp_table(port, security="starttls"))
        result = send(ws, AMY)
    line = one_line_error(result, f"127.0.0.1:{port}", "not trusted", "ca_file")
    assert "reached 0 of" not in line  # it never got as far as recipients
    assert server.mail_commands == 0


def test_implicit_tls_trusts_ssl_cert_file(ws: Path, ca: trustme.CA):
    ca_path = write_ca(ca, ws)
    with smtp_server(security="tls", ca=ca) as (port, server):
        configure(ws, smtp_table(port, security="tls"), base_url=BASE_URL)
        result = send(ws, AMY, SSL_CERT_FILE=str(ca_path))
    assert result.exit_code == 0, result.output
    assert_test_copy(server.received[0], AMY)


def test_a_refused_recipient_is_named_and_the_others_still_get_it(ws: Path):
    with smtp_server(refuse={BEN}) as (port, server):
        configure(ws, smtp_table(port, security="none"), base_url=BASE_URL)
        result = send(ws, AMY, BEN, CAT)
    one_line_error(result, f"{BEN}: refused by 127.0.0.1:{port}: 550 5.1.1", "2 of 3")
    assert [got.rcpt_tos for got in server.received] == [[AMY], [CAT]]
    assert server.mail_commands == 3  # one try each, no retry
    assert f"sent to {AMY}, {CAT}" in result.stdout


def test_a_connection_dropped_during_data_stops_the_send(ws: Path):
    with smtp_server(drop_on_data=True) as (port, server):
        configure(ws, smtp_table(port, security="none"))
        result = send(ws, AMY, BEN)
    one_line_error(result, f"127.0.0.1:{port} failed while sending to {AMY}")
    assert f"not sent to {AMY}, {BEN}" in result.stderr
    assert server.received == []
    assert server.mail_commands == 1  # no second connection, no retry


def test_a_closed_port_is_one_line(ws: Path):
    with smtp_server() as (port, _):
        pass  # the port is free again: nothing listens there
    configure(ws, smtp_table(port, security="none"))
    started = time.perf_counter()
    result = send(ws, AMY)
    one_line_error(result, f"127.0.0.1:{port}: cannot connect", "refused")
    assert time.perf_counter() - started < 2


def test_a_wrong_password_is_refused_with_535(ws: Path, ca: trustme.CA):
    write_ca(ca, ws)
    with smtp_server(security="starttls", ca=ca, auth=True) as (port, server):
        configure(
            ws,
            smtp_table(port, security="starttls", username=USER, ca_file="test-ca.pem"),
        )
        result = send(ws, AMY, ENEWS_SMTP_PASSWORD="not-" + PASSWORD)
    one_line_error(result, f"127.0.0.1:{port} refused the login of 'tester' (535")
    assert PASSWORD not in result.output
    assert server.received == []
    assert server.logins == 1  # not once per mechanism the server offers


@pytest.mark.parametrize(
    ("to", "table", "env", "words"),
    [
        ([f"u{n}@example.org" for n in range(21)], "", {}, ["at most 20", "21"]),
        ([AMY, "amy at example.org"], "", {}, ["to: 'amy'", "not an e-mail address"]),
        (["Amy <amy@example.org>"], "", {}, ["not an e-mail address"]),
        ([AMY], f'password = "{PASSWORD}"\n', {}, ["smtp.password", "ENEWS_SMTP"]),
        ([AMY], f'username = "{USER}"\n', {}, ["ENEWS_SMTP_PASSWORD", "tester"]),
        ([AMY], 'ca_file = "missing.pem"\n', {}, ["smtp.ca_file", "missing.pem"]),
    ],
    ids=["21 recipients", "not an address", "display name", "password key",
         "no password", "no CA file"],
)  # fmt: skip
def test_bad_input_is_refused_before_anything_is_sent(ws, to, table, env, words):
    with smtp_server() as (port, server):
        security = "starttls" if "username" in table else "none"
        configure(ws, smtp_table(port, security=security) + table)
        result = send(ws, *to, **env)
    one_line_error(result, *words)
    assert PASSWORD not in result.output
    assert server.mail_commands == 0


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ({"host": "x", "password": "hunter2"}, "password: .* ENEWS_SMTP_PASSWORD"),
        ({"host": "smtp example"}, "smtp.host must be a server name"),
        ({"host": "x", "port": 70000}, "smtp.port must be 1 to 65535"),
        ({"host": "x", "port": "25"}, "smtp.port must be int"),
        ({"host": "x", "security": "ssl"}, "security must be starttls, tls"),
        ({"host": "x", "from": "me@"}, "smtp.from is not an e-mail address"),
        ({"host": "x", "security": "none", "username": "u"}, "username: .*unencrypted"),
        ({"host": "x", "sender": "a@b.org"}, "unknown key smtp.sender"),
        ({"port": 25}, "smtp.host"),
    ],
)  # fmt: skip
def test_a_bad_smtp_table_is_one_line_naming_the_key(table, words):
    with pytest.raises(ConfigError, match=words) as caught:
        settings_from_dict({"smtp": table})
    assert "hunter2" not in str(caught.value) and "\n" not in str(caught.value)


def test_smtp_ports_follow_security():
    ports = {
        security: settings_from_dict({"smtp": {"host": "h", "security": security}})
        for security in ("starttls", "tls", "none")
    }
    assert {k: v.smtp.port for k, v in ports.items() if v.smtp} == {
        "starttls": 587, "tls": 465, "none": 25,
    }  # fmt: skip
    table = {"host": "h", "port": 2525, "username": "u", "from": "t@example.org"}
    assert settings_from_dict({"smtp": table}).smtp == Smtp(
        "h", 2525, "starttls", "u", "t@example.org"
    )
    assert settings_from_dict({}).smtp is None


def test_starttls_that_the_server_lacks_stops_before_mail(ws: Path):
    with smtp_server() as (port, server):
        configure(ws, smtp_table(port, security="starttls"))
        result = send(ws, AMY)
    one_line_error(result, f"127.0.0.1:{port}: STARTTLS failed")
    assert server.mail_commands == 0


def test_without_an_smtp_table_nothing_is_tried(ws: Path):
    one_line_error(send(ws, AMY), "no [smtp] table")


def test_an_issue_failing_checks_is_still_sent_with_the_checks_named(ws: Path):
    result = CliRunner().invoke(
        cli, ["-w", str(ws), "issue", "new", "Empty", "--month", "2031-01"], env=_env()
    )
    assert result.exit_code == 0, result.output
    with smtp_server() as (port, server):
        configure(ws, smtp_table(port, security="none"))
        args = ["-w", str(ws), "send-test", "2031-01", "--to", AMY]
        result = CliRunner().invoke(cli, args, env=_env())
    assert result.exit_code == 0, result.output
    assert "warning: issue 2031-01 fails checks (no items" in result.stderr
    assert len(server.received) == 1


def test_every_profile_s_tags_get_sample_values(demo: Path):
    """The pure part, for each mailing service: none of its tags is left."""
    ws = Workspace(demo)
    try:
        with ws.transaction() as session:
            for name, profile in PROFILES.items():
                settings = replace(ws.settings, profile=name, base_url=BASE_URL)
                bundle = build_issue(
                    session, DEMO_SLUG, settings=settings, workspace=demo
                )
                tags = [t for t in sample_values(settings, DEMO_SLUG)]
                assert profile.unsubscribe in tags
                assert all(tag in bundle.html + bundle.text for tag in tags), name
                eml = make_test_message(
                    bundle, settings, date=bundle.view.updated_at, message_id="<t@x>"
                )
                got = Received("x", ["x"], addressed(eml, AMY))
                body = got.part("html") + got.part("plain") + str(got.message)
                assert not [tag for tag in tags if tag in body], name
                assert "Hello Alex," in got.part("plain")
    finally:
        ws.close()


def test_a_subject_at_its_limit_still_gets_the_prefix_and_one_to(demo: Path):
    ws = Workspace(demo)
    try:
        with ws.transaction() as session:
            bundle = build_issue(
                session, DEMO_SLUG, settings=ws.settings, workspace=demo
            )
    finally:
        ws.close()
    long = replace(bundle, view=replace(bundle.view, subject="S" * 250))
    eml = make_test_message(long, ws.settings, date=bundle.view.updated_at,
                            message_id="<t@x>")  # fmt: skip
    got = Received("x", ["x"], addressed(addressed(eml, "{{email}}"), AMY))
    assert got.message["Subject"] == "[Test] " + "S" * 250
    assert got.message.get_all("To") == [AMY]


@pytest.fixture
def tab(ws: Path):
    workspace = Workspace(ws)
    app = create_app(workspace, trusted_hosts=["localhost"])
    app.config["SERVER_NAME"] = "localhost"
    browser = Browser(app)
    page = browser.get(f"/issues/{DEMO_SLUG}")
    assert page.status_code == 200
    yield browser, page.get_data(as_text=True)
    workspace.close()


def test_the_composer_has_a_send_test_form(tab):
    _, page = tab
    assert f'hx-post="/issues/{DEMO_SLUG}/send-test"' in page
    assert 'hx-target="#send-test-result"' in page
    assert ">Send test</button>" in page


def test_web_send_test(tab, ws: Path):
    browser, _ = tab
    with smtp_server(refuse={BEN}) as (port, server):
        configure(ws, smtp_table(port, security="none"), base_url=BASE_URL)
        ok = browser.post(f"/issues/{DEMO_SLUG}/send-test", {"to": AMY})
        refused = browser.post(f"/issues/{DEMO_SLUG}/send-test", {"to": BEN})
        bad = browser.post(f"/issues/{DEMO_SLUG}/send-test", {"to": "amy@"})
    assert ok.status_code == 200, ok.get_data(as_text=True)
    assert f"Test sent to {AMY}" in ok.get_data(as_text=True)
    assert_test_copy(server.received[0], AMY)
    assert refused.status_code == 424
    assert f"{BEN}: refused by 127.0.0.1:{port}: 550" in refused.get_data(as_text=True)
    assert bad.status_code == 422
    assert "&#39;amy@&#39; is not an e-mail address" in bad.get_data(as_text=True)
    assert len(server.received) == 1 and server.mail_commands == 2


def test_web_closed_port_is_a_4xx_message_beside_the_button(tab, ws: Path):
    browser, _ = tab
    with smtp_server() as (port, _):
        pass
    configure(ws, smtp_table(port, security="none"))
    answer = browser.post(f"/issues/{DEMO_SLUG}/send-test", {"to": AMY})
    assert answer.status_code == 424
    assert "HX-Retarget" not in answer.headers  # stays beside the button
    assert f"127.0.0.1:{port}: cannot connect" in answer.get_data(as_text=True)


def test_web_without_htmx_flashes_on_the_composer(tab, ws: Path):
    browser, _ = tab
    with smtp_server() as (port, server):
        configure(ws, smtp_table(port, security="none"))
        answer = browser.post(f"/issues/{DEMO_SLUG}/send-test", {"to": AMY}, htmx=False)
        page = browser.get(answer.headers["Location"]).get_data(as_text=True)
    assert answer.status_code == 303
    assert f"Test of {DEMO_SLUG} sent to {AMY}" in page
    assert len(server.received) == 1
