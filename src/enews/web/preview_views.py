"""The live preview, the check report and the live link check, downloads,
the build, and live reload.

Each of them runs the one ``build_issue`` in memory, so the preview is
what ``enews build`` writes: byte for byte with ``?raw=1``, and by default
with the merge tags replaced by sample values, as a subscriber sees it.
The preview is served with a Content-Security-Policy that allows no
script, no form and no plugin, and is shown in an iframe sandboxed without
scripts: item text is untrusted.
"""

from __future__ import annotations

import html
from dataclasses import replace
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    render_template,
    request,
    send_file,
)

from enews.compose.assets import ASSETS_DIR, asset_path
from enews.config import Settings
from enews.errors import EnewsError, ValidationError
from enews.publish import linkcheck
from enews.publish.build import (
    EML_FILE,
    HTML_FILE,
    TEXT_FILE,
    Bundle,
    build_issue,
    write_bundle,
    write_zip,
    zip_bytes,
)
from enews.publish.bundle_check import check_bundle
from enews.publish.handoff import Refusal, review
from enews.publish.samples import sample_values, with_samples
from enews.web.common import transaction
from enews.web.error_pages import error_response
from enews.web.preview import INBOX_VIEWS, force_dark
from enews.web.state import state

blueprint = Blueprint("preview", __name__)
PREVIEW_CSP = (
    "default-src 'none'; img-src http: https: data:; style-src 'unsafe-inline'; "
    "font-src http: https: data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'self'; sandbox"
)
LONG_POLL_SECONDS = 20.0
# format: (file of the bundle, None for the ZIP; download name; content type)
DOWNLOADS = {
    "html": (HTML_FILE, "{slug}-index.html", "text/html; charset=utf-8"),
    "txt": (TEXT_FILE, "{slug}-index.txt", "text/plain; charset=utf-8"),
    "eml": (EML_FILE, "{slug}-message.eml", "message/rfc822"),
    "zip": (None, "{slug}.zip", "application/zip"),
}


def build(slug: str, settings: Settings, *, preview: bool = False) -> Bundle:
    """The bundle as handed off; ``preview``: stored images served from here
    (the archive that base_url names may not be published yet)."""
    assets_url = request.host_url.rstrip("/") + "/assets" if preview else None
    with transaction() as session:
        return build_issue(
            session,
            slug,
            settings=settings,
            workspace=state().ws.root,
            assets_url=assets_url,
        )


@blueprint.get("/assets/<name>")
def asset(name: str) -> Response:
    """A stored image, for the preview; named by its content, so cached."""
    try:
        path = asset_path(state().ws.root, f"{ASSETS_DIR}/{name}")
    except ValidationError:
        abort(404)
    if not path.is_file():
        abort(404)
    return send_file(path, max_age=31_536_000)


@blueprint.get("/issues/<slug>/preview.html")
def preview_html(slug: str) -> Response:
    return _preview(slug, "html")


@blueprint.get("/issues/<slug>/preview.txt")
def preview_text(slug: str) -> Response:
    return _preview(slug, "text")


def _preview(slug: str, part: str) -> Response:
    view = request.args.get("view", "")  # an inbox view; "" as designed
    if view and view not in INBOX_VIEWS:
        raise EnewsError(f"must be one of {', '.join(INBOX_VIEWS)}", field="view")
    try:
        bundle = build(slug, state().settings(), preview=True)
    except EnewsError as exc:
        return _preview_error(str(exc))
    html_part, text_part = bundle.html, bundle.text
    if request.args.get("raw") != "1":  # what a subscriber sees, by default
        swaps = sample_values(state().settings(), slug)
        html_part = with_samples(html_part, swaps, escape=True)
        text_part = with_samples(text_part, swaps, escape=False)
    if part == "text":
        return _sandboxed(text_part, "text/plain; charset=utf-8")
    page = INBOX_VIEWS[view](html_part) if view else html_part
    # After the view: forced dark has turned the email's own dark block off.
    page = force_dark(page) if request.args.get("dark") == "1" else page
    return _sandboxed(page, "text/html; charset=utf-8")


@blueprint.get("/issues/<slug>/check")
def check(slug: str) -> Any:
    settings = state().settings()
    bundle = build(slug, settings)
    report = check_bundle(
        bundle.html, bundle.text, settings, bundle.manifest, eml=bundle.eml
    )
    return render_template(
        "_check.html", report=report, size=len(bundle.html.encode()), slug=slug
    )


@blueprint.post("/issues/<slug>/links")
def check_links(slug: str) -> Any:
    """Request every link of the issue as the preview builds it (the
    composer's "Check links" button); the answer is a fragment for it."""
    settings = state().settings()
    bundle = build(slug, settings)
    links, skipped = linkcheck.issue_links(
        bundle.html, bundle.view.items, settings, slug
    )
    report = linkcheck.check_links(
        links,
        cache=state().ws.root / linkcheck.CACHE_FILE,
        fresh=request.form.get("fresh") == "1",
    )
    report = replace(report, skipped=tuple(skipped))
    return render_template("_links.html", report=report, slug=slug)


@blueprint.get("/issues/<slug>/download/<fmt>")
def download(slug: str, fmt: str) -> Response:
    if fmt not in DOWNLOADS:
        return error_response(f"no download format {fmt!r}", 404)
    settings = state().settings()
    bundle = build(slug, settings)
    refusal = _refusal(bundle, settings, force=request.args.get("force") == "1")
    if refusal:
        return error_response(refusal.message, 409, force_url="?force=1")
    name, filename, mime = DOWNLOADS[fmt]
    data = bundle.files()[name] if name else zip_bytes(bundle)
    response = Response(data)
    response.headers["Content-Type"] = mime
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{filename.format(slug=slug)}"'
    )
    return response


@blueprint.post("/issues/<slug>/build")
def build_bundle(slug: str) -> Any:
    settings = state().settings()
    bundle = build(slug, settings)
    refusal = _refusal(bundle, settings, force=request.form.get("force") == "1")
    if refusal:
        message = f"{refusal.message}; tick 'build anyway' to write it"
        return error_response(message, 409)
    issues_dir = state().ws.issues_dir
    folder = write_bundle(bundle, issues_dir)
    zipped = write_zip(bundle, issues_dir) if request.form.get("zip") == "1" else None
    return render_template(
        "_message.html",
        kind="ok",
        message=f"Built {len(bundle.view.items)} items into {folder}"
        + (f" and {zipped}" if zipped else ""),
    )


@blueprint.get("/_reload")
def reload_stamp() -> Response:
    """Long poll: answers when a template or enews.toml changes (or after
    a while with the same stamp, and the page asks again)."""
    since = request.args.get("since", "")
    timeout = LONG_POLL_SECONDS if since else 0.0
    return jsonify(stamp=state().wait_for_change(since, timeout))


def _refusal(bundle: Bundle, settings: Settings, *, force: bool) -> Refusal | None:
    """Why a bundle must not be handed off (``handoff.review``), unless forced."""
    return None if force else review(bundle, settings)[1]


def _sandboxed(body: str, mime: str) -> Response:
    response = Response(body)
    response.headers["Content-Type"] = mime
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    response.headers["Cache-Control"] = "no-store"
    return response


def _preview_error(message: str) -> Response:
    """A broken template or enews.toml, shown where the email would be."""
    page = (
        '<!doctype html><html lang="en"><meta charset="utf-8">'
        "<title>Preview failed</title>"
        '<body style="font:16px/1.5 sans-serif;margin:24px;color:#7a1010">'
        "<h1 style='font-size:20px'>The preview could not be built</h1>"
        f"<p>{html.escape(message)}</p>"
        "<p style='color:#333'>Fix it and save: the preview reloads by itself.</p>"
    )
    response = _sandboxed(page, "text/html; charset=utf-8")
    response.status_code = 422
    return response
