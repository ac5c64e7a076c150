"""Signing in with the OpenID Connect provider of ``[auth]``: the authorization code flow with PKCE.

``GET /signin/oidc?next=...`` sends the browser to the provider with a fresh ``state``, ``nonce`` and PKCE
challenge; their secrets (the state, the nonce, the code verifier, where to go next) wait in a short-lived
http-only cookie, HMAC-signed (``_flow_key``) and limited to these two paths. ``GET /signin/oidc/callback``
checks the state against that cookie, trades the code (with the verifier) for an ID token, verifies it
(signature, issuer, audience = the client id, expiry, nonce) and starts the browser session as
``service.oidc.start_web_session`` describes: from then on the session is the one a pasted API token
gives (``web.session``), signing out included.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from genolog.metadata.errors import MetadataError
from genolog.metadata.service import Service
from genolog.metadata.service.oidc import start_web_session
from genolog.metadata.service.oidc_provider import OidcProvider
from genolog.web import session
from genolog.web.render import PageRoute, sign_in_page

router = APIRouter(route_class=PageRoute, include_in_schema=False)

FLOW_COOKIE = "genolog_oidc_flow"
FLOW_PATH = "/signin/oidc"
FLOW_SECONDS = 600  # how long the provider's page may take
# without a flow or client secret (a public client) the flow cookie is signed with a key of this process
_PROCESS_KEY = secrets.token_bytes(32)


def _provider(request: Request) -> tuple[Service, OidcProvider | None]:
    svc: Service = request.app.state.service
    return svc, svc.oidc


def _flow_key(provider: OidcProvider) -> bytes:
    secret = provider.settings.flow_secret or provider.settings.client_secret
    if not secret:
        return _PROCESS_KEY
    return hashlib.sha256(b"genolog sign-in flow\0" + secret.encode()).digest()


def _signed(payload: dict[str, Any], key: bytes) -> str:
    body = base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")
    return body + "." + hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def _unsigned(value: str | None, key: bytes) -> dict[str, Any] | None:
    """The flow cookie's payload, if this server signed it and it has not run out."""
    if not value or "." not in value:
        return None
    body, _, mac = value.rpartition(".")
    if not hmac.compare_digest(mac, hmac.new(key, body.encode(), hashlib.sha256).hexdigest()):
        return None
    try:
        payload = orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("until"), int | float):
        return None
    return payload if payload["until"] > time.time() else None


def _callback_url(request: Request, provider: OidcProvider) -> str:
    return provider.settings.redirect_url or str(request.url_for("oidc_callback"))


def _challenge(verifier: str) -> str:
    """PKCE's S256 code challenge (RFC 7636)."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def _not_configured(request: Request) -> Response:
    return sign_in_page(request, 404, "Single sign-on is not configured on this server ([auth] issuer).")


@router.get(FLOW_PATH)
def oidc_start(request: Request, next: str = "/") -> Response:
    _, provider = _provider(request)
    if provider is None:
        return _not_configured(request)
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48)
    flow = {
        "state": state,
        "nonce": nonce,
        "verifier": verifier,
        "next": session.safe_next(next),
        "until": int(time.time()) + FLOW_SECONDS,
    }
    target = provider.authorization_url(_callback_url(request, provider), state, nonce, _challenge(verifier))
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        FLOW_COOKIE,
        _signed(flow, _flow_key(provider)),
        max_age=FLOW_SECONDS,
        httponly=True,
        samesite="lax",  # the provider's redirect back is a top-level GET: the cookie comes with it
        secure=request.url.scheme == "https",
        path=FLOW_PATH,
    )
    return response


@router.get(FLOW_PATH + "/callback", name="oidc_callback")
def oidc_callback(request: Request) -> Response:
    svc, provider = _provider(request)
    if provider is None:
        return _not_configured(request)
    params = request.query_params
    flow = _unsigned(request.cookies.get(FLOW_COOKIE), _flow_key(provider))
    target = flow["next"] if flow else "/"
    if params.get("error"):
        reason = params.get("error_description") or params["error"]
        return _failed(request, 401, f"The sign-in provider refused: {reason}.", target)
    code, state = params.get("code"), params.get("state")
    if flow is None:
        return _failed(request, 400, "This sign-in has run out or was started in another browser: try again.")
    if not code or not state or not hmac.compare_digest(state, str(flow["state"])):
        return _failed(
            request, 400, "This sign-in's state does not match the one this browser started.", target
        )
    try:
        id_token = provider.exchange_code(code, _callback_url(request, provider), str(flow["verifier"]))
        claims = provider.verify(id_token, [provider.client_id], nonce=str(flow["nonce"]))
        _, token = start_web_session(svc, claims)
    except MetadataError as problem:  # refused (401) or the provider unreachable (503)
        return _failed(request, problem.status_code, f"Signing in failed: {problem}", target)
    response = RedirectResponse(session.safe_next(target), status_code=303)
    session.start(response, request, token)
    _forget_flow(request, response)
    return response


def _forget_flow(request: Request, response: Response) -> None:
    response.delete_cookie(
        FLOW_COOKIE, path=FLOW_PATH, httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )


def _failed(request: Request, status: int, message: str, next_path: str = "/") -> Response:
    page = sign_in_page(request, status, message, session.safe_next(next_path))
    _forget_flow(request, page)
    return page
