"""Signing in with the OpenID Connect provider (the real ``oidc-provider-mock`` process): the
authorization code flow with PKCE, the session it starts (a minted genolog token, revoked on signing
out), and the refusals of a callback that does not belong to this browser's sign-in."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from genolog.metadata.db import Database
from genolog.metadata.service import Service
from genolog.metadata.settings import AuthSettings, ServerSettings
from genolog.web.oidc_login import FLOW_COOKIE
from genolog.web.session import COOKIE
from tests.metadata.live import free_port
from tests.metadata.oidc_support import CLIENT_ID, mock_provider
from tests.metadata.support import Api
from tests.web.support import browser, post_form

ALICE = {"sub": "alice", "email": "alice@example.org", "groups": ["genolog-admins"]}
BOB = {"sub": "bob", "email": "bob@example.org"}


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with mock_provider(ALICE, BOB) as url:
        yield url


@pytest.fixture
def sso(db_url: str, issuer: str) -> Iterator[Api]:
    auth = AuthSettings(
        issuer=issuer,
        client_id=CLIENT_ID,
        client_secret="test-secret",
        provider_name="Test IdP",
        groups_claim="groups",
        group_roles={"genolog-admins": ["admin"]},
    )
    svc = Service.create(ServerSettings(db=db_url, auth=auth), Database(db_url))
    api = Api(svc)
    api.project("proj", members={"bob@example.org": ["reader"]})
    api.project("other")
    yield api
    svc.close()


def authorize_at_provider(client: TestClient, sub: str, next_path: str = "/") -> httpx.Response:
    """Start the sign-in, approve it as ``sub`` on the provider's page, and follow the provider back to
    the callback: the callback's answer."""
    start = client.get(f"/signin/oidc?next={urllib.parse.quote(next_path)}", follow_redirects=False)
    assert start.status_code == 303, start.text
    at_provider = start.headers["location"]
    granted = httpx.post(at_provider, data={"sub": sub}, follow_redirects=False)  # the form's "Authorize"
    assert granted.status_code == 302, granted.text
    back = urllib.parse.urlsplit(granted.headers["location"])
    assert back.path == "/signin/oidc/callback"
    return client.get(f"{back.path}?{back.query}", follow_redirects=False)


def test_the_sign_in_page_offers_the_provider(sso: Api) -> None:
    page = browser(sso).get("/signin?next=/projects/proj")
    assert "Sign in with Test IdP" in page.text
    assert 'href="/signin/oidc?next=%2Fprojects%2Fproj"' in page.text
    assert 'name="token"' in page.text  # API tokens still sign in


def test_the_flow_sends_pkce_state_and_nonce(sso: Api, issuer: str) -> None:
    start = browser(sso).get("/signin/oidc?next=//evil.example", follow_redirects=False)
    assert start.status_code == 303
    target = urllib.parse.urlsplit(start.headers["location"])
    assert f"{target.scheme}://{target.netloc}" == issuer
    query = dict(urllib.parse.parse_qsl(target.query))
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["client_id"] == CLIENT_ID and query["scope"] == "openid email profile"
    assert query["redirect_uri"] == "http://testserver/signin/oidc/callback"
    assert len(query["state"]) >= 43 and len(query["nonce"]) >= 43
    cookie = start.headers["set-cookie"]
    assert cookie.startswith(f"{FLOW_COOKIE}=") and "HttpOnly" in cookie and "Path=/signin/oidc" in cookie


def test_signing_in_and_out(sso: Api) -> None:
    client = browser(sso)
    landed = authorize_at_provider(client, "bob", "/projects/proj")
    assert landed.status_code == 303 and landed.headers["location"] == "/projects/proj", landed.text
    assert landed.headers.get_list("set-cookie")[0].startswith(f"{COOKIE}=")
    token = client.cookies[COOKIE]
    page = client.get("/projects/proj")
    assert page.status_code == 200 and "Signed in as <strong>bob@example.org</strong>" in page.text
    assert client.get("/projects/other").status_code == 404  # only bob's project roles
    # the session's token is a genolog token: it works as a bearer token until signing out revokes it
    bearer = {"Authorization": f"Bearer {token}"}
    assert sso.call("GET", "/project/", user=None, headers=bearer).json() == ["proj", "proj-test"]
    out = post_form(client, "/signout", follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/signin"
    refused = sso.call("GET", "/project/", user=None, headers=bearer)
    assert refused.status_code == 401 and "unknown or revoked" in refused.json()["description"]


def test_groups_give_the_web_session_site_roles(sso: Api) -> None:
    client = browser(sso)
    assert authorize_at_provider(client, "alice").status_code == 303
    assert client.get("/projects/other").status_code == 200  # admin through the genolog-admins group


def test_a_pasted_api_token_survives_signing_out(sso: Api) -> None:
    token = sso.user("reader")["Authorization"].removeprefix("Bearer ")
    client = browser(sso)
    assert post_form(client, "/signin", {"token": token}, follow_redirects=False).status_code == 303
    post_form(client, "/signout", follow_redirects=False)
    assert sso.call("GET", "/project/", user="reader").status_code == 200


def test_callbacks_that_are_not_this_browsers_sign_in(sso: Api) -> None:
    client = browser(sso)
    no_flow = client.get("/signin/oidc/callback?code=x&state=y")
    assert no_flow.status_code == 400 and "run out or was started in another browser" in no_flow.text
    client.get("/signin/oidc", follow_redirects=False)  # a flow cookie, for another state
    wrong_state = client.get("/signin/oidc/callback?code=x&state=y")
    assert wrong_state.status_code == 400 and "state does not match" in wrong_state.text
    client.cookies.set(FLOW_COOKIE, "forged.0000", path="/signin/oidc")
    assert client.get("/signin/oidc/callback?code=x&state=y").status_code == 400
    denied = client.get("/signin/oidc/callback?error=access_denied&error_description=No+thanks")
    assert denied.status_code == 401 and "The sign-in provider refused: No thanks" in denied.text
    assert COOKIE not in client.cookies


def test_a_bad_code_is_refused_not_a_500(sso: Api) -> None:
    client = browser(sso)
    start = client.get("/signin/oidc", follow_redirects=False)
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(start.headers["location"]).query))["state"]
    answer = client.get(f"/signin/oidc/callback?code=not-a-code&state={state}")
    assert answer.status_code == 401 and "Signing in failed" in answer.text, answer.text


def test_without_auth_settings_there_is_no_provider(api: Api) -> None:
    client = browser(api)
    assert "Sign in with" not in client.get("/signin").text
    answer = client.get("/signin/oidc")
    assert answer.status_code == 404 and "Single sign-on is not configured" in answer.text


def test_an_unreachable_provider_is_a_503_page(db_url: str) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    auth = AuthSettings(issuer=closed, client_id=CLIENT_ID, provider_name="Gone IdP")
    svc = Service.create(ServerSettings(db=db_url, auth=auth), Database(db_url))
    try:
        client = browser(Api(svc))
        assert (
            "Sign in with Gone IdP" in client.get("/signin").text
        )  # the page itself asks the provider nothing
        answer = client.get("/signin/oidc")
        assert answer.status_code == 503 and "cannot be reached" in answer.text
    finally:
        svc.close()


def test_workers_of_a_public_client_share_one_sign_in_flow_key() -> None:
    """A flow started on one worker of ``serve --workers N`` finishes on another: with no client secret,
    serve makes one flow key and every worker reads it from the settings it writes for them."""
    from genolog.metadata.server import shared_by_workers
    from genolog.metadata.service.oidc_provider import OidcProvider
    from genolog.metadata.settings import AuthSettings, ServerSettings
    from genolog.web import oidc_login

    public = ServerSettings(auth=AuthSettings(issuer="https://idp.example", client_id="genolog"))
    shared = shared_by_workers(public)
    workers = [
        OidcProvider(ServerSettings.model_validate_json(shared.model_dump_json()).auth) for _ in range(2)
    ]
    keys = {oidc_login._flow_key(worker) for worker in workers}
    assert len(keys) == 1
    assert keys != {oidc_login._flow_key(OidcProvider(public.auth))}  # not this process' own key
    confidential = AuthSettings(issuer="https://idp.example", client_id="genolog", client_secret="s")
    assert shared_by_workers(ServerSettings(auth=confidential)).auth.flow_secret is None
