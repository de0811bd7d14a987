"""The web archive (enews.publish.archive): real database, real builds,
real files. Its command, ``enews archive``, is in test_archive_cli.py."""

from __future__ import annotations

import dataclasses
import datetime as dt
import xml.etree.ElementTree as ET

import feedparser
import lxml.html
import pytest

from enews.errors import NotFoundError, TemplateError, ValidationError
from enews.profiles import PROFILES
from enews.publish.build import build_issue, write_bundle
from tests.helpers_archive import (
    ATOM,
    BASE,
    RFC3339_UTC,
    add_issue,
    archive,
    entries,
    snapshot,
)

# ------------------------------------------------------------------ the library


def test_index_lists_built_issues_newest_first_with_links(session, workspace):
    add_issue(session, workspace, "2020-09", items=1)
    add_issue(session, workspace, "2020-11", items=3)
    add_issue(session, workspace, "2020-10", items=2, intro="Two lines\nof intro.")

    result = archive(session, workspace)

    assert result.issues == ("2020-11", "2020-10", "2020-09")
    page = lxml.html.fromstring(result.index.read_bytes())
    assert page.get("lang") == "en"
    assert "Co-op News" in page.findtext("head/title")
    assert page.findtext(".//h1") == "Co-op News"
    assert page.xpath("//main//a/@href") == ["2020-11/", "2020-10/", "2020-09/"]
    metas = [" ".join(m.text_content().split()) for m in page.xpath("//main//li")]
    assert metas[0].startswith("Issue 2020-11 November 2020, 3 items")
    assert metas[1] == "Issue 2020-10 October 2020, 2 items Two lines of intro."
    assert metas[2].startswith("Issue 2020-09 September 2020, 1 item")
    for href in page.xpath("//main//a/@href"):
        assert (result.out_dir / href / "index.html").is_file()


def test_issue_pages_are_the_builds_with_public_merge_tags(session, workspace):
    add_issue(session, workspace, "2020-10", items=2, intro="Hi.")
    add_issue(session, workspace, "2020-11")

    result = archive(session, workspace)

    for slug in ("2020-10", "2020-11"):
        built = (workspace.issues_dir / slug / "index.html").read_text("utf-8")
        public = (
            built.replace(  # the generic profile's tags, and only them
                "{{unsubscribe_url}}", "mailto:news@example.org?subject=Unsubscribe"
            )
            .replace("{{web_version_url}}", "index.html")
            .replace("{{first_name|there}}", "there")
        )
        assert public != built
        page = (result.out_dir / slug / "index.html").read_text("utf-8")
        assert page == public
    assert sorted(snapshot(result.out_dir)) == [
        "2020-10/index.html", "2020-11/index.html", "feed.xml", "index.html",
    ]  # fmt: skip


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_no_merge_tag_reaches_the_public_page(session, workspace, name):
    """Every service's tags become what a reader from the web should see,
    whatever fallback word the build used."""
    settings = dataclasses.replace(
        workspace.settings, profile=name, greeting_fallback="friend"
    )
    issue = add_issue(session, workspace, "2020-10", build=False, intro="Hi.")
    bundle = build_issue(session, issue.slug, settings=settings, workspace=None)
    write_bundle(bundle, workspace.issues_dir)
    profile = PROFILES[name]
    first_name = profile.first_name.replace("{fallback}", "friend")
    assert first_name in bundle.html and profile.unsubscribe in bundle.html

    archive(session, workspace, base_url=BASE)  # now configured: generic, "there"

    page = (workspace.root / "archive" / "2020-10" / "index.html").read_text()
    for tag in (first_name, profile.unsubscribe, profile.web_version):
        assert not tag or tag not in page
    doc = lxml.html.fromstring(page)
    # the email's own fallback word; mailgun's tag has none: the configured one
    word = "friend" if "{fallback}" in profile.first_name else "there"
    assert f"Hello {word}," in doc.text_content()
    links = {a.text_content(): a.get("href") for a in doc.iter("a")}
    assert links["Unsubscribe"] == "mailto:news@example.org?subject=Unsubscribe"
    if profile.web_version:
        assert links["View in browser"] == f"{BASE}/2020-10/"
    else:  # no hosted web version, and the build had no base URL for one
        assert "View in browser" not in links


def test_a_configured_unsubscribe_page_is_the_public_unsubscribe_link(
    session, workspace
):
    add_issue(session, workspace, "2020-10")
    settings = dataclasses.replace(
        workspace.settings, unsubscribe_url="https://e.org/leave?list=1&x=2"
    )
    archive(session, workspace, settings=settings)
    page = (workspace.root / "archive" / "2020-10" / "index.html").read_text()
    (href,) = lxml.html.fromstring(page).xpath("//a[.='Unsubscribe']/@href")
    assert href == "https://e.org/leave?list=1&x=2"
    assert 'href="https://e.org/leave?list=1&amp;x=2"' in page


def test_an_unsubscribe_merge_tag_in_the_settings_stays_out_of_the_page(
    session, workspace
):
    settings = dataclasses.replace(workspace.settings, unsubscribe_url="%unsub%")
    issue = add_issue(session, workspace, "2020-10", build=False)
    bundle = build_issue(session, issue.slug, settings=settings, workspace=None)
    write_bundle(bundle, workspace.issues_dir)
    assert 'href="%unsub%"' in bundle.html
    archive(session, workspace, settings=settings)
    page = (workspace.root / "archive" / "2020-10" / "index.html").read_text()
    (href,) = lxml.html.fromstring(page).xpath("//a[.='Unsubscribe']/@href")
    assert href == "mailto:news@example.org?subject=Unsubscribe"


def test_feed_with_a_base_url(session, workspace):
    october = add_issue(session, workspace, "2020-10", intro="Hello, October.")
    add_issue(session, workspace, "2020-11", preheader="Forums and field notes")

    result = archive(session, workspace, base_url=BASE + "/")  # slash is dropped

    root = ET.parse(result.out_dir / "feed.xml").getroot()
    assert root.findtext(f"{ATOM}id") == f"{BASE}/"
    links = {link.get("rel"): link.get("href") for link in root.iter(f"{ATOM}link")}
    assert links["self"] == f"{BASE}/feed.xml"
    feed = feedparser.parse((result.out_dir / "feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title == "Co-op News"
    assert [e.link for e in feed.entries] == [f"{BASE}/2020-11/", f"{BASE}/2020-10/"]
    assert [e.id for e in feed.entries] == [f"{BASE}/2020-11/", f"{BASE}/2020-10/"]
    assert [e.summary for e in feed.entries] == [
        "Forums and field notes",  # no intro: the preheader
        "Hello, October.",
    ]
    updated = entries(result)[1].findtext(f"{ATOM}updated")
    assert RFC3339_UTC.match(updated)
    stored = october.updated_at.replace(tzinfo=dt.UTC, microsecond=0)
    assert dt.datetime.fromisoformat(updated) == stored


def test_feed_without_a_base_url_has_relative_links_and_urn_ids(session, workspace):
    add_issue(session, workspace, "2020-10")
    add_issue(session, workspace, "2020-11")

    result = archive(session, workspace)

    root = ET.parse(result.out_dir / "feed.xml").getroot()
    assert root.findtext(f"{ATOM}id").startswith("urn:uuid:")
    assert "self" not in {link.get("rel") for link in root.iter(f"{ATOM}link")}
    found = entries(result)
    assert [e.find(f"{ATOM}link").get("href") for e in found] == [
        "2020-11/",
        "2020-10/",
    ]
    ids = [e.findtext(f"{ATOM}id") for e in found]
    assert all(i.startswith("urn:uuid:") for i in ids)
    assert len({*ids, root.findtext(f"{ATOM}id")}) == 3
    feed = feedparser.parse((result.out_dir / "feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert [e.id for e in feed.entries] == ids


def test_unbuilt_issues_are_skipped_and_reported(session, workspace):
    add_issue(session, workspace, "2020-10")
    add_issue(session, workspace, "2020-11", build=False)

    result = archive(session, workspace)

    assert result.issues == ("2020-10",)
    assert result.skipped == ("2020-11",)
    assert not (result.out_dir / "2020-11").exists()
    assert "2020-11" not in result.index.read_text(encoding="utf-8")
    assert len(entries(result)) == 1


def test_nothing_built_is_an_error_and_writes_nothing(session, workspace):
    add_issue(session, workspace, "2020-10", build=False)
    with pytest.raises(NotFoundError, match=r"no issue is built yet \(2020-10\)"):
        archive(session, workspace)
    assert not (workspace.root / "archive").exists()


def test_untrusted_text_is_escaped_in_the_page_and_the_feed(session, workspace):
    title = '<script>alert("x")</script> Tom & Jerry'
    intro = "<b>bold</b> & <img src=x onerror=alert(1)>"
    issue = add_issue(session, workspace, "2020-10", intro=intro)
    issue.title = title
    session.flush()

    result = archive(session, workspace, base_url=BASE)

    page = result.index.read_text(encoding="utf-8")
    assert "<script>alert" not in page and "<b>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(" in page and "Tom &amp; Jerry" in page
    assert lxml.html.fromstring(page).xpath("//main//a")[0].text == title
    raw = (result.out_dir / "feed.xml").read_text(encoding="utf-8")
    assert "<script>" not in raw and "&lt;script&gt;" in raw
    assert entries(result)[0].findtext(f"{ATOM}title") == title
    assert entries(result)[0].findtext(f"{ATOM}summary") == intro


def test_a_workspace_template_overrides_the_packaged_page(session, workspace):
    issue = add_issue(session, workspace, "2020-10")
    mine = workspace.root / "templates" / "archive" / "index.html.j2"
    mine.parent.mkdir(parents=True)
    mine.write_text(
        "MINE {{ settings.name }}{% for i in issues %} [{{ i.slug }}: {{ i.title }}]"
        "{% endfor %}\n",
        encoding="utf-8",
    )
    issue.title = "A <b> title"  # autoescape holds in overrides too

    result = archive(session, workspace)

    assert result.index.read_text(encoding="utf-8") == (
        "MINE Co-op News [2020-10: A &lt;b&gt; title]"
    )


def test_a_broken_template_fails_before_any_file_is_written(session, workspace):
    add_issue(session, workspace, "2020-10")
    archive(session, workspace)
    before = snapshot(workspace.root / "archive")
    add_issue(session, workspace, "2020-11")
    mine = workspace.root / "templates" / "archive" / "index.html.j2"
    mine.parent.mkdir(parents=True)
    mine.write_text("{% for %}", encoding="utf-8")

    with pytest.raises(TemplateError, match=r"index\.html\.j2:1"):
        archive(session, workspace)

    assert snapshot(workspace.root / "archive") == before


def test_rerunning_gives_identical_bytes(session, workspace):
    add_issue(session, workspace, "2020-10", items=2, intro="Hi & welcome")
    add_issue(session, workspace, "2020-11")
    first = snapshot(archive(session, workspace, base_url=BASE).out_dir)
    second = snapshot(archive(session, workspace, base_url=BASE).out_dir)
    assert second == first


def test_stale_slug_folders_are_removed_but_nothing_else(session, workspace):
    add_issue(session, workspace, "2020-10")
    add_issue(session, workspace, "2020-11", build=False)
    out = workspace.root / "archive"
    for name in ("2019-01", "2020-11", "2019-02", "assets", "About Us"):
        (out / name).mkdir(parents=True)
        (out / name / "index.html").write_text("old", encoding="utf-8")
    (out / "2019-02" / "notes.txt").write_text("mine", encoding="utf-8")
    (out / "assets" / "index.html").unlink()
    (out / "assets" / "logo.png").write_bytes(b"png")

    result = archive(session, workspace)

    assert result.removed == ("2019-01",)
    assert not (out / "2019-01").exists()
    assert (out / "2019-02" / "index.html").exists()  # holds more than a page
    assert (out / "2020-11" / "index.html").exists()  # its issue still exists
    assert (out / "assets" / "logo.png").exists()
    assert (out / "About Us" / "index.html").exists()  # not a slug: not ours


def test_base_url_must_be_absolute(session, workspace):
    add_issue(session, workspace, "2020-10")
    with pytest.raises(ValidationError, match="base_url"):
        archive(session, workspace, base_url="example.org/news")
