"""Who is looking at a web page: the API token kept in the session cookie, or the development user.

Signing in checks an API token (from ``genolog token create``) and keeps it in an http-only,
``SameSite=Lax`` cookie (``Secure`` when the page came over https). The cookie holds the token itself and
the server checks its hash on every request, as for a bearer token, so the session lives exactly as long
as the token: revoking it signs the browser out, and no server secret or session table is needed.

Only the web pages and the web storage (``/web/<project>/...``, so an analysis' display link opens in the
signed-in browser) read the cookie; the REST and GraphQL APIs keep taking only ``Authorization`` headers,
so a page elsewhere cannot make the browser write through them with its cookie. Who the caller is, from
the credentials read here, is decided in ``service.browser``.
"""

from __future__ import annotations

from fastapi import Request, Response

from genolog.metadata.errors import Unauthenticated
from genolog.metadata.http import SESSION_COOKIE, bearer_token
from genolog.metadata.service.browser import Credentials

COOKIE = SESSION_COOKIE


def credentials(request: Request) -> Credentials:
    """The session cookie's token, and the bearer token of the Authorization header (or why it is not
    one: a page then asks to sign in again, the web storage answers the API's 401)."""
    token = request.cookies.get(COOKIE)
    header = request.headers.get("authorization")
    if not header:
        return Credentials(token)
    try:
        return Credentials(token, bearer_token(header))
    except Unauthenticated as bad:
        return Credentials(token, bad_header=bad)


def is_signed_in(request: Request) -> bool:
    return bool(request.cookies.get(COOKIE))


def start(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def end(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this server only (never ``//host`` or a full URL)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
