"""OpenID providers for the tests: the real ``oidc-provider-mock`` process, and a small provider of the
test's own whose keys the test holds (to sign expired, wrong-audience or rotated-key tokens, which the
mock never issues, and to fail on purpose)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.metadata.live import free_port, wait_until_healthy

CLIENT_ID = "genolog-test"
WELL_KNOWN = "/.well-known/openid-configuration"
CALLBACK = "http://127.0.0.1/signin/oidc/callback"  # the mock accepts any redirect URI of a new client


@contextmanager
def mock_provider(*users: dict[str, Any]) -> Iterator[str]:
    """``oidc-provider-mock`` on a free loopback port (its issuer URL), with ``users`` (claims with a
    ``sub``) offered on its authorization page."""
    port = free_port()
    command = [sys.executable, "-m", "oidc_provider_mock", "--port", str(port), "--host", "127.0.0.1"]
    for user in users:
        command += ["--user-claims", json.dumps(user)]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, lambda: proc.poll() is None, path=WELL_KNOWN)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def mock_id_token(issuer: str, sub: str, client_id: str = CLIENT_ID) -> str:
    """An ID token the mock issues for ``sub``: its authorization code flow, as a browser and a client
    would run it (the authorization page's form posted, the code traded at the token endpoint)."""
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "scope": "openid email profile",
        "state": "s",
        "nonce": "n",
    }
    authorize = f"{issuer}/oauth2/authorize?{urllib.parse.urlencode(query)}"
    granted = httpx.post(authorize, data={"sub": sub}, follow_redirects=False)
    assert granted.status_code == 302, granted.text
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(granted.headers["location"]).query)["code"][0]
    answer = httpx.post(
        f"{issuer}/oauth2/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK},
        auth=(client_id, "any-secret"),
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["id_token"]
    return token


@dataclass
class OwnProvider:
    """A provider of the test's own: a discovery document and a JWKS of ``keys`` (changed at will, to
    rotate them), and ``sign`` to issue tokens with any claims. ``jwks_requests`` counts key fetches."""

    issuer: str = ""
    keys: list[RSAKey] = field(default_factory=lambda: [RSAKey.generate_key(2048, auto_kid=True)])
    jwks_requests: int = 0
    down: bool = False  # the key set answers 503

    def sign(self, key: RSAKey | None = None, **claims: Any) -> str:
        now = int(time.time())
        payload = {"iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 600, **claims}
        payload = {name: value for name, value in payload.items() if value is not None}
        key = key or self.keys[0]
        return jwt.encode({"alg": "RS256", "kid": key.kid}, payload, key)

    def rotate(self) -> RSAKey:
        """A new signing key replaces the old ones in the published set."""
        self.keys = [RSAKey.generate_key(2048, auto_kid=True)]
        return self.keys[0]

    def app(self) -> Starlette:
        def discovery(_: Request) -> JSONResponse:
            return JSONResponse(
                {
                    "issuer": self.issuer,
                    "authorization_endpoint": f"{self.issuer}/authorize",
                    "token_endpoint": f"{self.issuer}/token",
                    "jwks_uri": f"{self.issuer}/jwks",
                }
            )

        def jwks(_: Request) -> JSONResponse:
            self.jwks_requests += 1
            if self.down:
                return JSONResponse({"error": "down"}, status_code=503)
            return JSONResponse(KeySet(list(self.keys)).as_dict(private=False))

        return Starlette(routes=[Route("/.well-known/openid-configuration", discovery), Route("/jwks", jwks)])


@contextmanager
def own_provider() -> Iterator[OwnProvider]:
    provider = OwnProvider()
    port = free_port()
    provider.issuer = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(uvicorn.Config(provider.app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until_healthy(provider.issuer, thread.is_alive, path=WELL_KNOWN)
        provider.jwks_requests = 0
        yield provider
    finally:
        server.should_exit = True
        thread.join(timeout=10)
