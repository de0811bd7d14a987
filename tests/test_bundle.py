"""The send-ready bundle: merge tags per mailing-service profile, .eml, manifest."""

from __future__ import annotations

import email
import json
from email import policy

import pytest

from enews.config import Settings, settings_from_dict
from enews.errors import ConfigError, ValidationError
from enews.profiles import PROFILES
from enews.publish.build import build_issue, write_bundle
from tests.factories import make_issue, make_item


@pytest.fixture
def issue(session):
    make_item(session, title="Forum opens", date="2020-10-05")
    make_item(session, title="No link", url=None, date="2020-10-06")
    made = make_issue(session)
    made.intro = "Welcome."
    session.flush()
    return made


def build(session, **settings):
    return build_issue(
        session, "2020-10", settings=Settings(**settings), workspace=None
    )


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_each_profile_places_its_tags_byte_for_byte(session, issue, name):
    profile = PROFILES[name]
    bundle = build(session, profile=name)
    assert f'href="{profile.unsubscribe}"' in bundle.html
    assert f"Unsubscribe: {profile.unsubscribe}" in bundle.text
    first_name = profile.first_name.replace("{fallback}", "there")
    assert f"Hello {first_name}," in bundle.html
    assert f"Hello {first_name}," in bundle.text
    if profile.web_version:
        assert f'href="{profile.web_version}"' in bundle.html
    else:  # no hosted web version and no base URL: no dead link
        assert "View in browser" not in bundle.html
    assert "[[enews:" not in bundle.html + bundle.text


def test_web_version_falls_back_to_the_archive_page(session, issue):
    bundle = build(session, profile="mailgun", base_url="https://news.example.org/a/")
    assert 'href="https://news.example.org/a/2020-10/"' in bundle.html


def test_fixed_unsubscribe_url_overrides_the_tag(session, issue):
    bundle = build(session, profile="mailchimp", unsubscribe_url="https://e.org/u?x=1")
    assert 'href="https://e.org/u?x=1"' in bundle.html
    assert "*|UNSUB|*" not in bundle.html


def test_unknown_profile_is_a_config_error_naming_it():
    with pytest.raises(ConfigError, match=r"'mailjet'.*mailchimp"):
        settings_from_dict({"profile": "mailjet"})


def test_eml_parses_back_as_multipart_alternative(session, issue):
    bundle = build(session, profile="listmonk")
    message = email.message_from_bytes(bundle.eml, policy=policy.default)
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.get_payload()
    assert (text.get_content_type(), html.get_content_type()) == (
        "text/plain",
        "text/html",
    )
    assert text.get_content_charset() == html.get_content_charset() == "utf-8"
    # SMTP wants CRLF line ends; the content is otherwise exactly the bundle's
    assert text.get_content().replace("\r\n", "\n") == bundle.text
    # (the email package ends the part with a line break)
    assert html.get_content().replace("\r\n", "\n").rstrip("\n") == bundle.html
    assert message["Subject"] == "October issue, 2020"
    assert message["From"] == "Co-op News <news@example.org>"
    assert message["To"] == "news@example.org"  # neutral: the service sets it
    # A merge tag is no URI: listmonk writes its own List-Unsubscribe.
    assert message["List-Unsubscribe"] is None
    assert message["List-Unsubscribe-Post"] is None
    assert message["Message-ID"].startswith("<2020-10.")
    assert message["Date"]
    assert all(len(line) <= 998 for line in bundle.eml.split(b"\r\n"))


def test_manifest_describes_the_bundle(session, issue, tmp_path):
    bundle = build(session)
    folder = write_bundle(bundle, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["subject"] == "October issue, 2020"
    assert manifest["bytes"]["html"] == (folder / "index.html").stat().st_size
    assert manifest["bytes"]["eml"] == (folder / "message.eml").stat().st_size
    assert sorted(manifest["items"]) == sorted(i.id for i in bundle.view.items)
    assert len(manifest["sha256"]) == 64


def test_rebuild_is_byte_identical_including_eml(session, issue, tmp_path):
    first = build(session).files()
    assert build(session).files() == first


def test_subject_too_long_for_headers_is_refused(session, issue):
    issue.subject = "x" * 251
    session.flush()
    with pytest.raises(ValidationError, match="subject"):
        build(session)


def test_bad_sender_address_is_a_config_error(session, issue):
    with pytest.raises(ConfigError, match="sender_email"):
        build(session, sender_email="not an address@")


def test_zip_holds_the_bundle_and_is_deterministic(session, issue, tmp_path):
    import zipfile

    from enews.publish.build import write_zip

    bundle = build(session)
    path = write_zip(bundle, tmp_path)
    first = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == [
            "2020-10/index.html", "2020-10/index.txt",
            "2020-10/manifest.json", "2020-10/message.eml",
        ]  # fmt: skip
        assert archive.read("2020-10/index.html") == bundle.html.encode()
    assert write_zip(build(session), tmp_path).read_bytes() == first


def test_build_zip_from_the_cli(tmp_path):
    from click.testing import CliRunner

    from enews.cli import cli

    ws = str(tmp_path / "ws")
    runner = CliRunner()
    assert runner.invoke(cli, ["-w", ws, "demo"]).exit_code == 0
    result = runner.invoke(cli, ["-w", ws, "build", "2020-10", "--zip", "--force"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "ws" / "issues" / "2020-10.zip").is_file()
    assert "zip: " in result.stderr


def test_non_ascii_headers_are_encoded_and_parse_back(session, issue):
    issue.subject = "Zoë and the Coopérative: a long subject line " * 3
    session.flush()
    bundle = build(session, sender_name="Coopérative Écho")
    raw = bundle.eml.split(b"\r\n\r\n", 1)[0]
    assert raw.isascii()  # headers are 7-bit, RFC 2047-encoded
    assert all(len(line) <= 78 for line in raw.split(b"\r\n"))
    message = email.message_from_bytes(bundle.eml, policy=policy.default)
    assert message["Subject"] == issue.subject
    assert message["From"] == "Coopérative Écho <news@example.org>"


def test_build_refuses_an_issue_with_no_items(tmp_path):
    from click.testing import CliRunner

    from enews.cli import cli

    ws = str(tmp_path / "ws")
    runner = CliRunner()
    runner.invoke(cli, ["-w", ws, "init"])
    assert (
        runner.invoke(
            cli, ["-w", ws, "issue", "new", "Empty", "--month", "2030-01"]
        ).exit_code
        == 0
    )
    result = runner.invoke(cli, ["-w", ws, "build", "2030-01"])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: issue 2030-01 has no items; add some with 'enews issue add 2030-01 ID' "
        "(or build with --force)"
    )
    assert not (tmp_path / "ws" / "issues" / "2030-01").exists()
