"""CSRF protection of every form POST (sign-in, sign-out, members, edits): a missing, wrong or foreign
token, a missing form cookie, or another site's Origin/Referer is a 403 page and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest

from genolog.web import csrf
from genolog.web.session import COOKIE as SESSION
from tests.metadata.support import dump
from tests.web.support import Site, browser, form_token, post_form, signed_in, token_of


@pytest.fixture
def admin_site(site: Site) -> Site:
    """proj with ``keeper`` a member admin and writer."""
    members = {m["member"]: m["roles"] for m in site.api.ok("GET", "/project/proj/members")}
    members["keeper"] = ["reader", "writer", "project_member_admin"]
    site.api.ok(
        "PATCH", "/project/proj/members", json=[{"member": m, "roles": r} for m, r in members.items()]
    )
    return site


def forms(site: Site) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("/projects/proj/members", {"action": "add", "member": "intruder", "roles": ["reader"]}),
        (f"/projects/proj/samples/{site.samples[0]}/meta", {"action": "set", "key": "k", "value": "1"}),
        ("/projects/proj/participants/1/meta", {"action": "set", "key": "k", "value": "1"}),
        (f"/projects/proj/analyses/{site.analysis}/status", {"status": "failed"}),
        ("/signout", {}),
    ]


def snapshot(site: Site) -> dict[str, Any]:
    with site.api.svc.db.read() as conn:
        return dump(conn)


def test_a_missing_wrong_or_foreign_token_is_refused(admin_site: Site) -> None:
    keeper = signed_in(admin_site.api, "keeper")
    good = form_token(keeper)
    foreign = form_token(signed_in(admin_site.api, "reader"))  # another session's token
    before = snapshot(admin_site)
    for path, fields in forms(admin_site):
        for token in (None, "", "0" * 64, good[:-1] + ("0" if good[-1] != "0" else "1"), foreign):
            data = fields if token is None else {**fields, "csrf_token": token}
            response = keeper.post(path, data=data, follow_redirects=False)
            assert response.status_code == 403, (path, token, response.status_code)
            assert (
                "text/html" in response.headers["content-type"]
                and csrf.REFUSED.split(",")[0] in response.text
            )
    assert snapshot(admin_site) == before
    assert "Signed in as <strong>keeper</strong>" in keeper.get("/").text  # sign-out was refused too
    # the same forms with the session's token go through
    for path, fields in forms(admin_site):
        assert (
            keeper.post(path, data={**fields, "csrf_token": good}, follow_redirects=False).status_code == 303
        )


def test_another_sites_origin_or_referer_is_refused(admin_site: Site) -> None:
    keeper = signed_in(admin_site.api, "keeper")
    before = snapshot(admin_site)
    path, fields = forms(admin_site)[0]
    data = {**fields, "csrf_token": form_token(keeper)}
    for headers in (
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://testserver.evil.example"},
        {"Referer": "https://evil.example/page"},
        {"Origin": "https://evil.example", "Referer": "http://testserver/projects/proj/members"},
    ):
        response = keeper.post(path, data=data, headers=headers, follow_redirects=False)
        assert response.status_code == 403, headers
    assert snapshot(admin_site) == before
    ok = keeper.post(path, data=data, headers={"Origin": "http://testserver"}, follow_redirects=False)
    assert ok.status_code == 303
    proxied = {"Origin": "https://genolog.example.org", "X-Forwarded-Host": "genolog.example.org"}
    data["member"] = "proxied"
    assert keeper.post(path, data=data, headers=proxied, follow_redirects=False).status_code == 303
    referred = {**data, "member": "guest"}
    headers = {"Referer": "http://testserver/projects/proj/members"}
    assert keeper.post(path, data=referred, headers=headers, follow_redirects=False).status_code == 303


def test_without_the_form_cookie_a_post_is_refused(admin_site: Site) -> None:
    keeper = signed_in(admin_site.api, "keeper")
    path, fields = forms(admin_site)[0]
    token = form_token(keeper)
    keeper.cookies.delete(csrf.COOKIE)
    response = keeper.post(path, data={**fields, "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 403 and "intruder" not in str(
        admin_site.api.ok("GET", "/project/proj/members")
    )


def test_sign_in_needs_the_token_too(site: Site) -> None:
    client = browser(site.api)
    form = client.get("/signin")
    assert f"{csrf.COOKIE}=" in form.headers["set-cookie"] and "HttpOnly" in form.headers["set-cookie"]
    assert "SameSite=lax" in form.headers["set-cookie"]
    assert client.get("/signin").headers.get("set-cookie") is None  # the nonce is kept, not renewed
    response = client.post("/signin", data={"token": token_of(site.api, "reader")}, follow_redirects=False)
    assert response.status_code == 403 and SESSION not in response.headers.get("set-cookie", "")
    assert post_form(client, "/signin", {"token": token_of(site.api, "reader")}).status_code == 200
    assert "Signed in as <strong>reader</strong>" in client.get("/").text


def test_the_token_follows_the_session(site: Site) -> None:
    client = browser(site.api)
    before = form_token(client)
    post_form(client, "/signin", {"token": token_of(site.api, "reader")}, follow_redirects=False)
    during = form_token(client)
    assert during != before  # a form rendered before sign-in must be reloaded
    stale = client.post("/signout", data={"csrf_token": before}, follow_redirects=False)
    assert stale.status_code == 403
    assert post_form(client, "/signout", follow_redirects=False).status_code == 303
    assert form_token(client) == before  # signed out: the nonce alone again


def test_an_expired_session_gets_a_sign_in_form_that_works(site: Site) -> None:
    """The sign-in page shown for a revoked token drops the session cookie; its token must match."""
    client = signed_in(site.api, "reader")
    client.cookies.set(SESSION, "revoked-or-unknown")
    page = client.get("/projects/proj", follow_redirects=False)
    assert page.status_code == 401
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    client.cookies.delete(SESSION)  # as the browser does on the page's Set-Cookie
    signed = client.post(
        "/signin", data={"token": token_of(site.api, "reader"), "csrf_token": token}, follow_redirects=False
    )
    assert signed.status_code == 303
