"""Routes of the browser workspace: issues, the composer, the preview,
checks, downloads, builds, live reload and ``enews serve``.

Real SQLite file, real pipeline (mjml-python, premailer), CSRF protection on.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from sqlalchemy import func, select

from enews.compose.issues import get_issue
from enews.publish.build import build_issue
from enews.render.templates import PACKAGED_TEMPLATES
from enews.store.models import Issue
from enews.web.preview import force_dark
from tests.factories import make_issue
from tests.helpers_web import (
    Browser,
    approve,
    count_items,
    item_id,
    order,
    stored,
    version,
)

# Fixtures, found by pytest under these names (``as``: a deliberate re-export).
from tests.helpers_web import app as app
from tests.helpers_web import issue as issue
from tests.helpers_web import tab as tab

# --- issues and the composer ------------------------------------------------------


def test_create_an_issue_from_a_month(tab, workspace, issue):
    response = tab.post(
        "/issues", {"title": "Autumn", "month": "2020-10", "slug": "autumn"}, htmx=False
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/issues/autumn")
    assert order(workspace, "autumn") == [
        "News of day 21",
        "News of day 9",
        "News of day 3",
    ]
    composer = tab.get("/issues/autumn").get_data(as_text=True)
    assert "Autumn" in composer and "Article 12" in composer


@pytest.mark.parametrize(
    ("form", "status", "field", "message"),
    [
        ({"title": "X", "month": "2020-10"}, 409, "slug", "already exists"),
        ({"title": "X", "month": "October"}, 422, "month", "is not a month"),
        ({"title": " ", "month": "2020-11"}, 422, "title", "must not be empty"),
        (
            {"title": "X", "month": "2020-11", "slug": "No Way"},
            422,
            "slug",
            "lower-case",
        ),
    ],
)
def test_bad_new_issue_forms_show_the_problem_beside_the_field(
    tab, issue, form, status, field, message
):
    response = tab.post("/issues", form, htmx=False)
    body = response.get_data(as_text=True)
    assert response.status_code == status
    assert f'id="e-{field}"' in body and message in body


def test_the_composer_lists_sections_and_the_months_items_left_out(
    tab, workspace, issue
):
    target = item_id(workspace, "Article 5")
    tab.post(
        f"/issues/{issue}/entries/{target}",
        {"action": "remove", "version": version(workspace)},
    )
    page = tab.get(f"/issues/{issue}").get_data(as_text=True)
    outside = page.split('class="outside"')[1]
    assert "Article 5" in outside and "News of day 3" not in outside
    assert "September news" not in page  # another month's item


def test_saving_texts_bumps_the_version_and_asks_for_a_preview_reload(
    tab, workspace, issue
):
    before = version(workspace)
    response = tab.post(
        f"/issues/{issue}/fields",
        {"subject": "Co-op news, October", "intro": "Hello.", "version": before},
    )
    assert response.status_code == 200
    assert "preview-changed" in response.headers["HX-Trigger"]
    body = response.get_data(as_text=True)
    assert f'value="{before + 1}" hx-swap-oob="true"' in body
    assert stored(workspace).subject == "Co-op news, October"
    preview = tab.get(f"/issues/{issue}/preview.html").get_data(as_text=True)
    assert "<title>Co-op news, October</title>" in preview


def test_a_stale_version_gets_a_conflict_and_loses_nothing(tab, app, workspace, issue):
    seen = version(workspace)
    other = Browser(app)
    other.get(f"/issues/{issue}")
    first = other.post(
        f"/issues/{issue}/fields", {"subject": "From tab A", "version": seen}
    )
    assert first.status_code == 200
    second = tab.post(
        f"/issues/{issue}/fields", {"subject": "From tab B", "version": seen}
    )
    assert second.status_code == 409
    assert "changed in another tab" in second.get_data(as_text=True)
    assert stored(workspace).subject == "From tab A"


def test_a_form_without_a_version_is_refused(tab, workspace, issue):
    response = tab.post(f"/issues/{issue}/fields", {"subject": "x"})
    assert response.status_code == 422
    assert stored(workspace).subject is None


def test_invalid_text_values_are_4xx_and_not_saved(tab, workspace, issue):
    response = tab.post(
        f"/issues/{issue}/fields", {"title": "", "version": version(workspace)}
    )
    assert response.status_code == 422
    assert "title: must not be empty" in response.get_data(as_text=True)
    assert stored(workspace).title == "October issue"


def test_move_puts_an_item_at_a_position(tab, workspace, issue):
    target = item_id(workspace, "News of day 3")
    response = tab.post(
        f"/issues/{issue}/move",
        {"item_id": target, "position": 1, "version": version(workspace)},
    )
    assert response.status_code == 200
    assert order(workspace) == ["News of day 3", "News of day 21", "News of day 9"]
    listed = re.findall(r'class="title">([^<]+)<', response.get_data(as_text=True))
    assert listed[:3] == ["News of day 3", "News of day 21", "News of day 9"]


@pytest.mark.parametrize(
    ("form", "status"),
    [({"position": 9}, 422), ({"position": "two"}, 422), ({"item_id": 999}, 404)],
)
def test_bad_moves_are_4xx_and_change_nothing(tab, workspace, issue, form, status):
    data = {"item_id": item_id(workspace, "News of day 3"), "position": 1}
    data |= form | {"version": version(workspace)}
    response = tab.post(f"/issues/{issue}/move", data)
    assert response.status_code == status
    assert order(workspace) == ["News of day 21", "News of day 9", "News of day 3"]


def test_up_down_feature_remove_include(tab, workspace, issue):
    def act(title, action):
        response = tab.post(
            f"/issues/{issue}/entries/{item_id(workspace, title)}",
            {"action": action, "version": version(workspace)},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        return response

    act("News of day 3", "up")
    assert order(workspace) == ["News of day 21", "News of day 3", "News of day 9"]
    act("News of day 21", "down")
    assert order(workspace) == ["News of day 3", "News of day 21", "News of day 9"]
    act("News of day 3", "up")  # already first: stays
    assert order(workspace)[0] == "News of day 3"
    act("News of day 9", "feature")
    with workspace.transaction() as session:
        featured = [
            e.item.title for e in get_issue(session, issue).entries if e.featured
        ]
    assert featured == ["News of day 9"]
    act("News of day 9", "unfeature")
    with workspace.transaction() as session:
        assert not any(e.featured for e in get_issue(session, issue).entries)
    act("News of day 9", "remove")
    assert "News of day 9" not in order(workspace)
    body = tab.post(
        f"/issues/{issue}/include/{item_id(workspace, 'News of day 9')}",
        {"version": version(workspace)},
    ).get_data(as_text=True)
    assert order(workspace)[-1] == "News of day 9"
    assert "<html" not in body  # the fragment, not a page


def test_an_unknown_action_is_a_422(tab, workspace, issue):
    target = item_id(workspace, "News of day 3")
    response = tab.post(
        f"/issues/{issue}/entries/{target}",
        {"action": "explode", "version": version(workspace)},
    )
    assert response.status_code == 422


def test_delete_an_issue_keeps_its_items(tab, workspace, issue):
    response = tab.post(
        f"/issues/{issue}/delete", {"version": version(workspace)}, htmx=False
    )
    assert response.status_code == 303
    with workspace.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Issue)) == 0
    assert count_items(workspace) == 6


def test_an_unknown_issue_is_a_404_page(tab):
    response = tab.get("/issues/2099-01")
    assert response.status_code == 404
    assert "no issue with slug &#39;2099-01&#39;" in response.get_data(as_text=True)


# --- preview, checks, downloads, build --------------------------------------------


def built(workspace, slug="2020-10"):
    with workspace.transaction() as session:
        return build_issue(
            session, slug, settings=workspace.settings, workspace=workspace.root
        )


def test_the_raw_preview_is_the_built_email_byte_for_byte(tab, workspace, issue):
    bundle = built(workspace)
    html = tab.get(f"/issues/{issue}/preview.html?raw=1")
    assert html.get_data(as_text=True) == bundle.html
    text = tab.get(f"/issues/{issue}/preview.txt?raw=1")
    assert text.headers["Content-Type"].startswith("text/plain")
    assert text.get_data(as_text=True) == bundle.text


def test_the_preview_shows_what_a_subscriber_sees(tab, workspace, issue):
    from enews.compose.issues import set_fields

    with workspace.transaction() as session:
        set_fields(session, issue, intro="A word first.")  # brings the greeting
    bundle = built(workspace)
    assert "{{first_name|there}}" in bundle.html  # the generic profile's tags
    html = tab.get(f"/issues/{issue}/preview.html").get_data(as_text=True)
    text = tab.get(f"/issues/{issue}/preview.txt").get_data(as_text=True)
    for part in (html, text):
        assert "Hello Alex," in part and "{{" not in part
        assert "https://example.invalid/unsubscribe" in part
    assert html.count("<a ") == bundle.html.count("<a ")  # only the values differ


def test_the_dark_preview_applies_the_dark_palette_unconditionally(tab, issue):
    dark = tab.get(f"/issues/{issue}/preview.html?dark=1").get_data(as_text=True)
    assert "prefers-color-scheme: dark" not in dark
    assert "@media all" in dark and "#11181d" in dark


def test_force_dark_only_touches_the_dark_media_query():
    phone = "@media only screen and (max-width: 480px) {}"
    html = f"{phone} @media (prefers-color-scheme:dark) {{}}"
    assert force_dark(html) == f"{phone} @media all {{}}"


def test_the_check_report_is_shown(tab, issue):
    body = tab.get(f"/issues/{issue}/check").get_data(as_text=True)
    assert 'class="check-summary fail"' not in body
    for name in ("unsubscribe", "items", "contrast", "unsubscribe-header", "clients"):
        assert f"<strong>{name}</strong>" in body
    # The test workspace is left at enews init's examples: said so.
    assert "still at enews init&#39;s examples" in body


def test_an_empty_issue_is_not_shown_as_passing(tab, workspace):
    with workspace.transaction() as session:
        make_issue(session)
    body = tab.get("/issues/2020-10/check").get_data(as_text=True)
    assert 'class="check-summary fail"' in body
    assert "the issue has no items" in body


@pytest.mark.parametrize(
    ("fmt", "name", "mime"),
    [
        ("html", "2020-10-index.html", "text/html"),
        ("txt", "2020-10-index.txt", "text/plain"),
        ("eml", "2020-10-message.eml", "message/rfc822"),
        ("zip", "2020-10.zip", "application/zip"),
    ],
)
def test_downloads_are_the_bundle_files(tab, workspace, issue, fmt, name, mime):
    approve(workspace)
    response = tab.get(f"/issues/{issue}/download/{fmt}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(mime)
    assert f'filename="{name}"' in response.headers["Content-Disposition"]
    files = built(workspace).files()
    if fmt == "zip":
        with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
            assert archive.read("2020-10/index.html") == files["index.html"]
    else:
        expected = {"html": "index.html", "txt": "index.txt", "eml": "message.eml"}
        assert response.data == files[expected[fmt]]


def test_an_empty_issue_is_not_downloaded_unless_forced(tab, workspace):
    with workspace.transaction() as session:
        make_issue(session, month="2021-01")
    refused = tab.get("/issues/2021-01/download/html")
    assert refused.status_code == 409
    assert "has no items" in refused.get_data(as_text=True)
    assert tab.get("/issues/2021-01/download/html?force=1").status_code == 200


def test_an_unknown_download_format_is_a_404(tab, issue):
    assert tab.get(f"/issues/{issue}/download/pdf").status_code == 404


def test_build_writes_the_bundle(tab, workspace, issue):
    approve(workspace)
    response = tab.post(f"/issues/{issue}/build", {"zip": "1"})
    assert response.status_code == 200
    folder = workspace.issues_dir / issue
    assert (folder / "index.html").read_bytes() == built(workspace).files()[
        "index.html"
    ]
    assert (workspace.issues_dir / f"{issue}.zip").is_file()
    assert "Built 5 items" in response.get_data(as_text=True)


def test_build_refuses_failing_checks_and_writes_nothing(tab, workspace, issue):
    (workspace.root / "enews.toml").write_text(
        'unsubscribe_url = "https://coop.example/bye"\n'
        'base_url = "https://coop.example"\n',
        encoding="utf-8",
    )
    override = workspace.root / "templates" / "partials" / "footer.mjml.j2"
    override.parent.mkdir(parents=True, exist_ok=True)
    # A footer without the unsubscribe link fails the check.
    override.write_text(
        "<mj-section><mj-column><mj-text>Bye</mj-text></mj-column></mj-section>"
    )
    response = tab.post(f"/issues/{issue}/build", {})
    assert response.status_code == 409
    assert "unsubscribe" in response.get_data(as_text=True)
    assert not (workspace.issues_dir / issue).exists()
    forced = tab.post(f"/issues/{issue}/build", {"force": "1"})
    assert forced.status_code == 200
    assert (workspace.issues_dir / issue / "index.html").is_file()


def test_a_broken_template_shows_in_the_preview_as_a_4xx(tab, workspace, issue):
    override = workspace.root / "templates" / "partials" / "footer.mjml.j2"
    override.parent.mkdir(parents=True, exist_ok=True)
    override.write_text("{% if %}")
    response = tab.get(f"/issues/{issue}/preview.html")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "footer.mjml.j2" in body and "could not be built" in body
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert tab.get(f"/issues/{issue}/check").status_code == 422


# --- live reload ----------------------------------------------------------------


def test_live_reload_stamp_changes_with_templates_and_enews_toml(tab, workspace, issue):
    stamp = tab.get("/_reload").get_json()["stamp"]
    assert tab.get(f"/_reload?since=x{stamp}").get_json()["stamp"] == stamp
    config = workspace.root / "enews.toml"
    config.write_text('name = "Renamed News"\n', encoding="utf-8")
    after_config = tab.get(f"/_reload?since={stamp}").get_json()["stamp"]
    assert after_config != stamp
    preview = tab.get(f"/issues/{issue}/preview.html").get_data(as_text=True)
    assert "Renamed News" in preview  # settings read again
    override = workspace.root / "templates" / "partials" / "footer.mjml.j2"
    override.parent.mkdir(parents=True, exist_ok=True)
    override.write_text(
        (PACKAGED_TEMPLATES / "partials" / "footer.mjml.j2").read_text() + "\n"
    )
    assert tab.get(f"/_reload?since={after_config}").get_json()["stamp"] != after_config


def test_a_broken_enews_toml_is_shown_not_a_500(tab, workspace, issue):
    (workspace.root / "enews.toml").write_text("name = [unclosed\n", encoding="utf-8")
    response = tab.get(f"/issues/{issue}/preview.html")
    assert response.status_code == 422
    assert "enews.toml" in response.get_data(as_text=True)
    assert tab.get(f"/issues/{issue}").status_code == 422


def test_an_issue_not_approved_is_not_handed_off_unless_forced(tab, workspace, issue):
    refused = tab.get(f"/issues/{issue}/download/html")
    assert refused.status_code == 409
    assert "is draft, not approved" in refused.get_data(as_text=True)
    assert tab.get(f"/issues/{issue}/download/html?force=1").status_code == 200
    assert tab.post(f"/issues/{issue}/build").status_code == 409
    assert not (workspace.issues_dir / issue).exists()
