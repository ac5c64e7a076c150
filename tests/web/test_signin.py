"""Signing in with an API token, the session cookie, signing out, and development mode."""

from __future__ import annotations

from genolog.metadata.db import Database
from genolog.metadata.service import Service
from genolog.metadata.settings import ServerSettings
from genolog.metadata.store import identity
from genolog.web.session import COOKIE
from tests.metadata.support import Api
from tests.web.support import Site, browser, post_form, signed_in, token_of


def test_pages_ask_to_sign_in(site: Site) -> None:
    client = browser(site.api)
    for path in (
        "/",
        "/projects/proj",
        f"/projects/proj/samples/{site.samples[0]}",
        "/projects/proj/samples.csv",
    ):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/signin?next=%2F"), response.headers["location"]
    form = client.get("/signin")
    assert form.status_code == 200 and 'name="token"' in form.text and 'type="password"' in form.text


def test_sign_in_keeps_the_token_in_an_http_only_lax_cookie(site: Site) -> None:
    client = browser(site.api)
    response = post_form(
        client,
        "/signin",
        data={"token": token_of(site.api, "reader"), "next": "/projects/proj"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/projects/proj"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie and "Path=/" in cookie  # plain http: a Secure cookie would never come back
    home = client.get("/")
    assert home.status_code == 200 and "Signed in as <strong>reader</strong>" in home.text
    assert "Sign out" in home.text


def test_the_cookie_is_secure_over_https(site: Site) -> None:
    client = browser(site.api, base_url="https://testserver")
    response = post_form(client, "/signin", {"token": token_of(site.api, "reader")}, follow_redirects=False)
    assert "Secure" in response.headers["set-cookie"]


def test_sign_out_forgets_the_session(site: Site) -> None:
    client = signed_in(site.api, "reader")
    response = post_form(client, "/signout", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/signin"
    assert f'{COOKIE}=""' in response.headers["set-cookie"] and "Max-Age=0" in response.headers["set-cookie"]
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_bad_token_is_a_clear_error_page(site: Site) -> None:
    client = browser(site.api)
    response = post_form(client, "/signin", {"token": "not-a-token"}, follow_redirects=False)
    assert response.status_code == 401 and response.headers["content-type"].startswith("text/html")
    assert "That API token is unknown or revoked." in response.text and "set-cookie" not in response.headers
    empty = post_form(client, "/signin", {"token": "  "}, follow_redirects=False)
    assert empty.status_code == 400 and "Enter an API token" in empty.text


def test_a_revoked_token_ends_the_session(site: Site) -> None:
    client = signed_in(site.api, "reader")
    with site.api.svc.db.write() as conn:
        for row in identity.list_tokens(conn):
            if row["user"] == "reader":
                identity.revoke_token(conn, row["id"])
    response = client.get("/projects/proj", follow_redirects=False)
    assert response.status_code == 401 and "unknown or revoked" in response.text
    assert f'{COOKIE}=""' in response.headers["set-cookie"]  # the stale cookie is dropped


def test_after_sign_in_only_local_paths(site: Site) -> None:
    client = browser(site.api)
    for target in ("//evil.example/x", "https://evil.example/", "\\\\evil", "javascript:alert(1)"):
        response = post_form(
            client,
            "/signin",
            data={"token": token_of(site.api, "reader"), "next": target},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/", target


def test_development_mode_browses_as_the_dev_user(db_url: str) -> None:
    svc = Service.create(ServerSettings(db=db_url, dev_user="dev"), Database(db_url))
    try:
        api = Api(svc)
        api.project()
        client = browser(api)
        home = client.get("/")
        assert home.status_code == 200 and "Signed in as <strong>dev</strong> (development mode)" in home.text
        assert 'href="/projects/proj"' in home.text
        # a token still signs in as its own user, and signing out goes back to the dev user
        post_form(client, "/signin", {"token": token_of(api, "nobody")})
        assert "Signed in as <strong>nobody</strong>" in client.get("/").text
        assert 'href="/projects/proj"' not in client.get("/").text
        response = post_form(client, "/signout", follow_redirects=False)
        assert response.headers["location"] == "/"
    finally:
        svc.db.dispose()
