"""Cross-site request forgery protection for every form the web interface posts.

Each browser gets a random nonce in an http-only ``SameSite=Lax`` cookie (``genolog_form``), set by the
first page it renders. Every form carries a hidden ``csrf_token``: the HMAC-SHA256 of that nonce keyed by
the session's API token (the session cookie's value; empty before sign-in). A POST is accepted only when
its token matches the one recomputed from the cookies it came with, and, when the browser says where it
came from (``Origin``, else ``Referer``), only from this server.

Why this suffices without a server secret: another site's page cannot read our cookies or pages, so it
cannot learn the nonce, and a cross-site POST does not even carry the ``Lax`` nonce cookie; when signed
in, the token also depends on the API token, which only the browser and the server know, so a nonce
planted from elsewhere (cookie injection) is useless without the victim's session. Before sign-in (the
sign-in form, development mode) it is the double-submit cookie. The token changes with the session, so a
form rendered before signing in or out must be reloaded.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import urllib.parse

from fastapi import Request, Response

from genolog.metadata.errors import Forbidden
from genolog.web import session

COOKIE = "genolog_form"
FIELD = "csrf_token"
_NONCE = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)

REFUSED = (
    "This form is out of date or was not sent from this site, so nothing was changed: "
    "reload the page and try again."
)


def _nonce(request: Request) -> str:
    """The browser's nonce; a new one (kept on the request until the response sets it) if it has none."""
    nonce = request.cookies.get(COOKIE)
    if nonce and _NONCE.fullmatch(nonce):
        return nonce
    fresh: str | None = getattr(request.state, "csrf_nonce", None)
    if fresh is None:
        fresh = request.state.csrf_nonce = secrets.token_urlsafe(32)
    return fresh


def _session_key(request: Request) -> bytes:
    """The session cookie as the browser will send it with the form: none when this response ends it."""
    if getattr(request.state, "session_ended", False):
        return b""
    return (request.cookies.get(session.COOKIE) or "").encode()


def _token(key: bytes, nonce: str) -> str:
    return hmac.new(key, nonce.encode(), hashlib.sha256).hexdigest()


def form_token(request: Request) -> str:
    """The hidden field's value for the forms of the page being rendered."""
    return _token(_session_key(request), _nonce(request))


def keep_nonce(request: Request, response: Response) -> None:
    """Set the nonce cookie when this request made one (call on every rendered page)."""
    fresh = getattr(request.state, "csrf_nonce", None)
    if fresh is not None:
        response.set_cookie(
            COOKIE, fresh, httponly=True, samesite="lax", secure=request.url.scheme == "https", path="/"
        )


def _same_origin(request: Request) -> bool:
    """False when Origin (or, without it, Referer) names another host than the request's ``Host`` (or the
    ``X-Forwarded-Host`` a reverse proxy sets: a cross-site form cannot set that header either). The
    scheme is not compared: behind a proxy that ends TLS the server sees http while the browser says https."""
    origin = request.headers.get("origin")
    if origin is None:
        origin = request.headers.get("referer")
        if not origin:
            return True
    if origin == "null":  # a sandboxed frame, a data: URL, a redirect from elsewhere
        return False
    hosts = {request.headers.get("host") or request.url.netloc}
    forwarded = request.headers.get("x-forwarded-host")
    if forwarded:
        hosts.add(forwarded.split(",", 1)[0].strip())
    return urllib.parse.urlsplit(origin).netloc.lower() in {h.lower() for h in hosts}


async def check(request: Request) -> None:
    """Raise 403 unless this POST came from one of this server's forms in this browser session."""
    if not _same_origin(request):
        raise Forbidden(REFUSED)
    nonce = request.cookies.get(COOKIE)
    sent = (await request.form()).get(FIELD)
    if not nonce or not isinstance(sent, str):
        raise Forbidden(REFUSED)
    if not hmac.compare_digest(sent, _token(_session_key(request), nonce)):
        raise Forbidden(REFUSED)
