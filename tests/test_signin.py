"""Sign-in for a shared workspace: accounts, the session cookie, the rate
limit (shared by every worker through the database), and the refusals of
`enews serve` and the WSGI entry point without it."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner
from werkzeug.security import check_password_hash

from enews.cli import cli
from enews.errors import ConflictError, ValidationError
from enews.store import accounts as users
from enews.store.models import User
from enews.web import create_app
from tests.test_web import Browser

PASSWORD = "correct horse battery"


@pytest.fixture
def account(workspace):
    with workspace.transaction() as session:
        users.add_user(session, "amy", PASSWORD)
    return "amy"


def signin(tab, name="amy", password=PASSWORD, next_url=""):
    tab.get("/signin")
    url = "/signin" + (f"?next={next_url}" if next_url else "")
    return tab.post(url, {"name": name, "password": password}, htmx=False)


# --- the library ---------------------------------------------------------------


def test_passwords_are_stored_hashed(workspace, account):
    with workspace.transaction() as session:
        stored = session.query(User).one().password_hash
    assert PASSWORD not in stored and stored.startswith(("scrypt:", "pbkdf2:"))
    assert check_password_hash(stored, PASSWORD)


@pytest.mark.parametrize(
    ("name", "password", "error"),
    [
        ("amy", "short", "at least 10 characters"),
        ("a b", PASSWORD, "letters, digits"),
        ("", PASSWORD, "letters, digits"),
    ],
)
def test_bad_accounts_are_refused(workspace, name, password, error):
    with (
        workspace.transaction() as session,
        pytest.raises(ValidationError, match=error),
    ):
        users.add_user(session, name, password)


def test_a_name_is_taken_once(workspace, account):
    with workspace.transaction() as session, pytest.raises(ConflictError):
        users.add_user(session, "amy", PASSWORD)


def test_the_limit_counts_failures_per_name_and_per_address(workspace, account):
    now = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
    for _ in range(users.MAX_PER_USER):
        with workspace.transaction() as session:
            assert users.sign_in(session, "amy", "wrong", address="1", now=now) is None
    with workspace.transaction() as session, pytest.raises(users.RateLimited) as hit:
        users.sign_in(session, "amy", PASSWORD, address="2", now=now)
    assert 0 < hit.value.retry_after <= 15 * 60 + 1
    later = now + users.WINDOW + dt.timedelta(seconds=1)
    with workspace.transaction() as session:  # the window has passed
        assert users.sign_in(session, "amy", PASSWORD, address="2", now=later)


# --- the web workspace ------------------------------------------------------------


@pytest.fixture
def app(workspace):
    return create_app(workspace)


def test_without_accounts_loopback_needs_no_signin(workspace, app):
    assert Browser(app).get("/issues").status_code == 200


def test_with_an_account_every_page_needs_signin(app, account):
    tab = Browser(app)
    for url in ("/issues", "/items", "/import", "/issues/2020-10/preview.html"):
        response = tab.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/signin?next=")
    assert tab.get("/signin").status_code == 200
    static = tab.get("/static/app.css")
    assert static.status_code == 200
    static.close()


def test_htmx_requests_are_sent_to_the_signin_page(app, account):
    tab = Browser(app)
    tab.get("/signin")
    response = tab.post("/issues/2020-10/fields", {"subject": "x", "version": 1})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/signin")


def test_signin_then_signout(app, account):
    tab = Browser(app)
    response = signin(tab, next_url="/items")
    assert response.status_code == 303
    assert response.headers["Location"] == "/items"
    page = tab.get("/items")
    assert page.status_code == 200 and "Sign out" in page.get_data(as_text=True)
    assert tab.post("/signout", htmx=False).status_code == 303
    assert tab.get("/items").status_code == 302


def test_a_wrong_password_is_a_401_that_does_not_say_which_part(app, account):
    wrong_password = signin(Browser(app), password="not the password")
    wrong_name = signin(Browser(app), name="bob")
    for response in (wrong_password, wrong_name):
        assert response.status_code == 401
        assert "wrong name or password" in response.get_data(as_text=True)


def test_after_five_failures_even_the_right_password_waits(app, account):
    tab = Browser(app)
    for _ in range(users.MAX_PER_USER):
        assert signin(tab, password="guess guess guess").status_code == 401
    response = signin(tab)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "too many failed sign-ins" in response.get_data(as_text=True)


def test_the_limit_is_shared_by_worker_processes(workspace, account):
    """Two apps on one database stand for two workers of gunicorn."""
    first, second = create_app(workspace), create_app(workspace)
    for _ in range(users.MAX_PER_USER):
        signin(Browser(first), password="guess guess guess")
    assert signin(Browser(second)).status_code == 429


def test_the_next_parameter_never_leaves_the_site(app, account):
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = signin(Browser(app), next_url=target)
        assert response.headers["Location"] == "/issues", target


def signin_to(app, target):
    """Sign in on a fresh tab with ``next=target`` (query-encoded, as a
    browser would send it); the Location the response gives."""
    tab = Browser(app)
    tab.get("/signin")
    url = "/signin?" + urlencode({"next": target})
    response = tab.post(url, {"name": "amy", "password": PASSWORD}, htmx=False)
    assert response.status_code == 303
    return response.headers["Location"]


CONTROL_OR_SPACE = "".join(map(chr, range(33)))


def host_of(location):
    """The host a browser goes to for this Location, from the sign-in page
    (http://localhost/signin); None for a URL that is no web page.

    The parts of the WHATWG URL parser that matter here, which urljoin
    lacks: spaces and control characters trimmed from the ends, tabs and
    newlines dropped, a backslash read as a slash, and any run of slashes
    after a scheme or at the start taken as the start of a host name.
    """
    url = location.strip(CONTROL_OR_SPACE)
    url = re.sub("[\t\n\r]", "", url).replace("\\", "/")
    scheme = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*):", url)
    if scheme:
        url = url[scheme.end() :]
        if scheme[1].lower() not in ("http", "https"):
            return None  # javascript:, data: and the like
        if scheme[1].lower() == "https":  # not the page's scheme: a host
            return authority(url)
    return authority(url) if url.startswith("//") else "localhost"


def authority(rest):
    host = re.split("[/?#]", rest.lstrip("/"), maxsplit=1)[0]
    return host.rpartition("@")[2].split(":")[0].lower() or None


OFF_SITE = [
    "///evil.example/x",
    "//evil.example/x",
    "/\\evil.example",
    "/\\\\evil.example",
    "\\\\evil.example",
    "///\\evil.example",
    "https://evil.example/",
    "https:evil.example",
    "HTTPS://evil.example/",
    "/\t/evil.example",
    "/\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "javascript:alert(1)",
]


@pytest.mark.sqlite_only  # about URLs: one database is enough
@pytest.mark.parametrize("target", OFF_SITE)
def test_after_signin_an_off_site_next_goes_to_the_issues_page(app, account, target):
    assert host_of(target) != "localhost"  # each one would leave the site
    location = signin_to(app, target)
    assert location == "/issues"
    assert host_of(location) == "localhost"


@pytest.mark.sqlite_only  # about URLs: one database is enough
@pytest.mark.parametrize(
    "target",
    [
        "/items",
        "/items?kind=News&after=3",
        "/issues/2020-10/preview.html",
        "/%2F/evil.example",  # a path on this site: %2F is not a slash
        "/.//evil.example",  # the path //evil.example, on this site
    ],
)
def test_after_signin_a_local_next_is_followed(app, account, target):
    location = signin_to(app, target)
    assert location == target
    assert host_of(location) == "localhost"


def test_the_session_cookie_is_httponly_samesite_and_secure_over_https(
    workspace, account
):
    app = create_app(workspace)
    plain = Browser(app)
    cookie = signin(plain).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http on loopback
    secure = app.test_client()
    page = secure.get("/signin", base_url="https://localhost")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.get_data(True))[1]
    response = secure.post(
        "/signin",
        data={"name": "amy", "password": PASSWORD},
        headers={"X-CSRFToken": token, "Referer": "https://localhost/signin"},
        base_url="https://localhost",
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    assert "Secure" in response.headers["Set-Cookie"]


def test_behind_a_proxy_https_and_the_client_address_come_from_it(workspace, account):
    app = create_app(workspace, behind_proxy=True)
    client = app.test_client()
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    page = client.get("/signin", headers=headers)
    assert "Secure" in page.headers["Set-Cookie"]


def test_a_removed_account_is_signed_out(workspace, app, account):
    tab = Browser(app)
    signin(tab)
    with workspace.transaction() as session:
        users.remove_user(session, "amy")
    with workspace.transaction() as session:  # may get amy's old id on SQLite
        users.add_user(session, "bob", PASSWORD)
    assert tab.get("/items").status_code == 302


def test_a_new_password_ends_the_old_sessions(workspace, app, account):
    tab = Browser(app)
    signin(tab)
    assert tab.get("/items").status_code == 200
    with workspace.transaction() as session:
        users.set_password(session, "amy", "another long password")
    assert tab.get("/items").status_code == 302


def test_required_signin_without_accounts_says_how_to_add_one(workspace):
    app = create_app(workspace, require_signin=True)
    tab = Browser(app)
    assert tab.get("/issues").status_code == 302
    assert "enews user add NAME" in tab.get("/signin").get_data(as_text=True)


# --- the commands ------------------------------------------------------------------


def enews(workspace, *args, input=None):
    return CliRunner().invoke(
        cli,
        ["-w", str(workspace.root), *args],
        input=input,
        env={"ENEWS_WORKSPACE": None},
    )


def test_user_add_list_passwd_rm(workspace):
    added = enews(workspace, "user", "add", "amy", "--password-stdin", input=PASSWORD)
    assert added.exit_code == 0, added.output
    listed = enews(workspace, "user", "list")
    assert listed.stdout.startswith("amy")
    changed = enews(
        workspace, "user", "passwd", "amy", "--password-stdin", input="a new password!"
    )
    assert changed.exit_code == 0, changed.output
    now = dt.datetime.now(dt.UTC)
    with workspace.transaction() as session:
        assert users.sign_in(session, "amy", "a new password!", address="x", now=now)
    assert enews(workspace, "user", "rm", "amy").exit_code == 0
    assert enews(workspace, "user", "list", "--json").stdout.strip() == "[]"


def test_user_add_prompts_twice_and_hides_the_password(workspace):
    result = enews(workspace, "user", "add", "amy", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("user", "add", "amy", "--password-stdin"), "short", "at least 10"),
        (("user", "rm", "nobody"), None, "no user 'nobody'"),
        (("user", "passwd", "nobody", "--password-stdin"), PASSWORD, "no user"),
    ],
)
def test_user_errors_are_one_line(workspace, args, stdin, message):
    result = enews(workspace, *args, input=stdin)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and message in result.stderr


@pytest.mark.sqlite_only
def test_serve_refuses_a_public_address_without_an_account(workspace):
    result = subprocess.run(
        [sys.executable, "-m", "enews", "-w", str(workspace.root), "serve",
         "--host", "0.0.0.0", "--port", "0"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "enews user add NAME" in result.stderr


def test_the_wsgi_entry_point_needs_a_shared_secret(workspace, monkeypatch):
    monkeypatch.setenv("ENEWS_WORKSPACE", str(workspace.root))
    monkeypatch.delenv("ENEWS_SECRET_KEY", raising=False)
    code = "import enews.web.wsgi"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and "ENEWS_SECRET_KEY" in result.stderr
    monkeypatch.setenv("ENEWS_SECRET_KEY", "k" * 40)
    code = (
        "from enews.web.wsgi import app; c = app.test_client(); "
        "r = c.get('/issues'); print(r.status_code, r.headers['Location'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ["302", "/signin?next=/issues"], result.stderr
