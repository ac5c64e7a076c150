"""API callers named by an OpenID Connect provider: JWT bearer tokens on REST and GraphQL, verified
against the provider's published keys, on SQLite and PostgreSQL.

The happy paths use tokens the real ``oidc-provider-mock`` process issues through its authorization code
flow; expired, wrong-audience, wrong-issuer and rotated-key tokens are signed by a provider of the test's
own (``oidc_support.own_provider``), which the mock cannot be made to issue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from genolog.metadata import admin
from genolog.metadata.api.body_limit import CHECK_CREDENTIALS_ABOVE
from genolog.metadata.db import Database
from genolog.metadata.errors import BadRequest
from genolog.metadata.service import Service
from genolog.metadata.settings import AuthSettings, ServerSettings, SettingsError, load_settings
from genolog.metadata.store.identity import WEB_SESSION_LABEL
from tests.metadata.live import free_port
from tests.metadata.oidc_support import CLIENT_ID, OwnProvider, mock_id_token, mock_provider, own_provider
from tests.metadata.support import Api, assert_rejected

ALICE = {"sub": "alice", "email": "alice@example.org", "groups": ["genolog-admins", "staff"]}
BOB = {"sub": "bob", "email": "bob@example.org", "groups": ["staff"]}
GROUP_ROLES = {"genolog-admins": ["admin"], "staff": []}


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with mock_provider(ALICE, BOB) as url:
        yield url


def _api(db_url: str, **auth: Any) -> Iterator[Api]:
    settings = ServerSettings(db=db_url, auth=AuthSettings(client_id=CLIENT_ID, **auth))
    svc = Service.create(settings, Database(db_url))
    yield Api(svc)
    svc.close()


@pytest.fixture
def mock_api(db_url: str, issuer: str) -> Iterator[Api]:
    """A service that accepts the mock provider's tokens; bob reads ``proj``, nobody else but admin."""
    for api in _api(db_url, issuer=issuer, groups_claim="groups", group_roles=GROUP_ROLES):
        api.project("proj", members={"bob@example.org": ["reader"]})
        api.project("other")
        yield api


@pytest.fixture
def own() -> Iterator[OwnProvider]:
    with own_provider() as provider:
        yield provider


@pytest.fixture
def own_api(db_url: str, own: OwnProvider) -> Iterator[Api]:
    yield from _api(db_url, issuer=own.issuer, jwks_refetch_seconds=0)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def rest(api: Api, token: str, method: str = "GET", path: str = "/project/", **kwargs: Any) -> httpx.Response:
    return api.call(method, path, user=None, headers=bearer(token), **kwargs)


def graphql(api: Api, token: str, query: str) -> httpx.Response:
    return api.call("POST", "", user=None, base="/graphql", headers=bearer(token), json={"query": query})


def test_provider_token_on_rest_and_graphql_with_project_roles(mock_api: Api, issuer: str) -> None:
    token = mock_id_token(issuer, "bob")
    assert set(rest(mock_api, token).json()) == {"proj", "proj-test"}
    # a reader of proj: reading works, writing is forbidden, another project does not exist for bob
    named = rest(mock_api, token, path="/project/all").json()
    assert {p["name"]: p["roles"] for p in named}["proj"] == ["reader"]
    assert "other" not in {p["name"] for p in named}
    assert_rejected(
        rest(mock_api, token, "PUT", "/participant/proj/upsert-many", json=[{"external_ids": {"": "P9"}}]),
        403,
        "bob@example.org",
    )
    answer = graphql(mock_api, token, '{ project(name: "proj") { name } }')
    assert answer.status_code == 200 and answer.json()["data"] == {"project": {"name": "proj"}}, answer.text
    hidden = graphql(mock_api, token, '{ project(name: "other") { name } }').json()
    assert "Could not find projects" in hidden["errors"][0]["message"]
    # genolog's own API tokens keep working beside the provider's
    assert mock_api.ok("GET", "/project/", user="admin")


def test_groups_give_site_roles(mock_api: Api, issuer: str) -> None:
    token = mock_id_token(issuer, "alice")  # in genolog-admins: admin, though no role is recorded for her
    seen = {p["name"] for p in rest(mock_api, token, path="/project/all").json()}
    assert {"proj", "other"} <= seen
    created = rest(mock_api, token, "PUT", "/project/", params={"name": "alices", "dataset": "alices"})
    assert created.status_code == 200, created.text
    answer = graphql(mock_api, token, '{ project(name: "other") { name } }').json()
    assert answer["data"] == {"project": {"name": "other"}}


def test_refusals_name_the_problem(own_api: Api, own: OwnProvider) -> None:
    good = own.sign(email="carol@example.org")
    assert rest(own_api, good).status_code == 200
    cases = {
        "expired": (own.sign(email="carol@example.org", exp=1_700_000_000, iat=1_699_999_000), "expired at"),
        "audience": (own.sign(email="carol@example.org", aud="someone-else"), "audience someone-else"),
        "issuer": (
            own.sign(email="carol@example.org", iss="https://evil.example"),
            "issued by 'https://evil",
        ),
        "future": (own.sign(email="carol@example.org", nbf=4_000_000_000), "not valid yet"),
        "no user": (own.sign(sub="carol"), "no 'email' claim"),
        "no exp": (own.sign(email="carol@example.org", exp=None), "no 'exp' claim"),
    }
    header, payload, signature = good.split(".")
    other_payload = own.sign(email="admin").split(".")[1]
    cases["tampered"] = (f"{header}.{other_payload}.{signature}", "signature does not verify")
    stranger = OwnProvider(issuer=own.issuer)  # same issuer, a key the provider never published
    cases["unknown key"] = (stranger.sign(email="carol@example.org"), "which the provider")
    cases["hmac"] = (f"eyJhbGciOiJIUzI1NiJ9.{payload}.{signature}", "'HS256'")
    cases["garbage"] = ("a.b.c", "not a well-formed JWT")
    for name, (token, reason) in cases.items():
        for response in (rest(own_api, token), graphql(own_api, token, "{ myProjects { name } }")):
            body = assert_rejected(response, 401, reason)
            assert body["name"] == "Unauthenticated", name


def test_key_rotation_is_picked_up(own_api: Api, own: OwnProvider) -> None:
    assert rest(own_api, own.sign(email="carol@example.org")).status_code == 200
    old = own.keys[0]
    new = own.rotate()
    assert rest(own_api, own.sign(new, email="carol@example.org")).status_code == 200
    assert own.jwks_requests == 2  # the first use, then once for the new key id
    assert_rejected(rest(own_api, own.sign(old, email="carol@example.org")), 401, "does not publish")


def test_unknown_key_ids_do_not_hammer_the_provider(db_url: str, own: OwnProvider) -> None:
    for api in _api(db_url, issuer=own.issuer):  # the default: at most one refetch per 30 s
        assert rest(api, own.sign(email="carol@example.org")).status_code == 200
        for _ in range(20):
            stranger = OwnProvider(issuer=own.issuer, keys=[own.rotate()])
            assert_rejected(rest(api, stranger.sign(email="carol@example.org")), 401, "does not publish")
        assert own.jwks_requests == 1


def test_unreachable_provider_is_503(db_url: str) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    for api in _api(db_url, issuer=closed):
        token = OwnProvider(issuer=closed).sign(email="carol@example.org")
        for _ in range(
            2
        ):  # the second answered from the first failure (asked again after 30 s at the earliest)
            response = rest(api, token)
            assert response.status_code == 503, response.text
            assert response.json()["name"] == "Unavailable"
            assert "cannot be reached" in response.json()["description"]


def test_keys_held_outlive_a_failed_refresh(db_url: str, own: OwnProvider) -> None:
    for api in _api(db_url, issuer=own.issuer, jwks_cache_seconds=0, jwks_refetch_seconds=0):
        assert rest(api, own.sign(email="carol@example.org")).status_code == 200
        own.down = True
        assert rest(api, own.sign(email="carol@example.org")).status_code == 200  # the refresh failed
        assert own.jwks_requests == 2
        unknown = OwnProvider(issuer=own.issuer).sign(email="carol@example.org")
        response = rest(api, unknown)  # a new key id cannot be looked up: retry later, not "bad token"
        assert response.status_code == 503 and "answered 503" in response.json()["description"]


def test_jwt_without_auth_settings(api: Api) -> None:
    token = OwnProvider(issuer="https://idp.example").sign(email="carol@example.org")
    assert_rejected(rest(api, token), 401, "no [auth] issuer is configured")


def test_auth_table_of_the_config_file(toml_file: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    path = toml_file(
        "server.toml",
        '[server]\nport = 8100\n[auth]\nissuer = "https://idp.example"\nclient_id = "genolog"\n'
        'groups_claim = "groups"\n[auth.group_roles]\nops = ["admin"]\n',
    )
    monkeypatch.setenv("GENOLOG_AUTH__CLIENT_SECRET", "s3cret")
    settings = load_settings(Path(path))
    assert settings.auth.issuer == "https://idp.example"
    assert settings.auth.client_secret == "s3cret"  # the environment, key by key into the table
    assert settings.auth.accepted_audiences == ["genolog"]
    assert settings.auth.group_roles == {"ops": ["admin"]}
    assert settings.auth.scopes == "openid email profile" and settings.auth.user_claim == "email"
    bad = toml_file(
        "bad.toml",
        '[server]\n[auth]\nissuer = "https://idp"\nclient_id = "g"\ngroups_claim = "g"\n'
        '[auth.group_roles]\nops = ["superuser"]\n',
    )
    with pytest.raises(SettingsError, match="unknown site roles"):
        load_settings(Path(bad))


def test_a_large_body_with_a_provider_token(own_api: Api, own: OwnProvider) -> None:
    """Bodies over CHECK_CREDENTIALS_ABOVE have their credentials checked before they are read
    (``api.body_limit``): a provider's token passes that check, a bad one is refused there with its reason."""
    padding = {"padding": "x" * (2 * CHECK_CREDENTIALS_ABOVE)}
    body = {"query": "{ myProjects { name } }", "variables": padding}
    good = own.sign(email="carol@example.org")
    answer = own_api.call("POST", "", user=None, base="/graphql", headers=bearer(good), json=body)
    assert answer.status_code == 200 and answer.json()["data"] == {"myProjects": []}, answer.text
    expired = own.sign(email="carol@example.org", exp=1_700_000_000, iat=1_699_999_000)
    refused = own_api.call("POST", "", user=None, base="/graphql", headers=bearer(expired), json=body)
    assert_rejected(refused, 401, "expired at")


def test_the_web_session_label_is_kept_for_sign_ins(db_url: str) -> None:
    """Only a sign-in with the provider mints a token with that label (its site roles are read from it)."""
    with pytest.raises(BadRequest, match="kept for web sign-ins"):
        admin.create_token(
            ServerSettings(db=db_url), "mallory", f"{WEB_SESSION_LABEL}; site roles: admin", "1d"
        )
