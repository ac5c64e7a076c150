"""Signing in with the OpenID provider in a real browser: chromium clicks "Sign in with …" on genolog's
sign-in page, approves the sign-in on the real ``oidc-provider-mock``'s page, lands back signed in on the
page it asked for, and signs out.

The server is this module's own (the shared demo server runs without ``[auth]``): a live genolog on
SQLite whose ``[auth]`` names the mock provider, started in-process on a free port.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from genolog.metadata.db import Database
from genolog.metadata.service import Service
from genolog.metadata.settings import AuthSettings, ServerSettings
from tests.metadata.live import live_server
from tests.metadata.oidc_support import CLIENT_ID, mock_provider
from tests.metadata.support import Api
from tests.web.browser import shot

pytestmark = pytest.mark.slow

BOB = {"sub": "bob", "email": "bob@example.org"}


@pytest.fixture(scope="module")
def sso_server(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[tuple[str, str]]:
    """(genolog's URL, the provider's URL); bob reads the project ``sso-proj``."""
    path = tmp_path_factory.mktemp("oidc-browser") / "genolog.sqlite"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    with mock_provider(BOB) as issuer:
        auth = AuthSettings(issuer=issuer, client_id=CLIENT_ID, client_secret="s", provider_name="Test IdP")
        svc = Service.create(ServerSettings(db=url, auth=auth), Database(url))
        Api(svc).project("sso-proj", members={"bob@example.org": ["reader"]})
        with live_server(svc) as genolog:
            yield genolog, issuer
        svc.close()


@pytest.fixture
def sso_page(browser: Any, sso_server: tuple[str, str]) -> Iterator[Any]:
    url, issuer = sso_server
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=url)
    # the mock provider's own page links a stylesheet on a CDN: not fetched (tests stay offline)
    context.route("https://cdn.jsdelivr.net/**", lambda route: route.abort())
    requests: list[tuple[str, str]] = []
    context.on("request", lambda request: requests.append((request.url, request.frame.url)))
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()
    # genolog's pages ask only genolog (and send the browser to the provider to sign in)
    strays = [r for r, on in requests if on.startswith(url) and not r.startswith((url, issuer))]
    assert not strays, f"genolog's pages asked other servers: {strays}"


def test_sign_in_with_the_provider_and_out(sso_page: Any, sso_server: tuple[str, str]) -> None:
    url, issuer = sso_server
    page = sso_page
    page.goto("/projects/sso-proj")
    assert page.url.endswith("/signin?next=%2Fprojects%2Fsso-proj")
    shot(page, "oidc-sign-in-page")
    page.get_by_role("link", name="Sign in with Test IdP").click()
    page.wait_for_url(f"{issuer}/oauth2/authorize?**")
    assert "Authorize Client" in page.content()
    page.get_by_role("button", name="bob", exact=True).click()  # the provider's predefined user
    page.wait_for_url(f"{url}/projects/sso-proj")
    assert "Signed in as" in page.content() and "bob@example.org" in page.content()
    assert page.get_by_role("heading", level=1).inner_text().startswith("sso-proj")
    shot(page, "oidc-signed-in")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{url}/signin")
    page.goto("/projects/sso-proj")
    assert "/signin?next=" in page.url  # the session is gone
