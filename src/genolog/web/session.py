"""Who is looking at a web page: the API token kept in the session cookie, or the development user.

Signing in checks an API token (from ``genolog token create``) and keeps it in an http-only,
``SameSite=Lax`` cookie (``Secure`` when the page came over https). The cookie holds the token itself and
the server checks its hash on every request, as for a bearer token, so the session lives exactly as long
as the token: revoking it signs the browser out, and no server secret or session table is needed.

Only the web pages and the web storage (``/web/<project>/...``, so an analysis' display link opens in the
signed-in browser) read the cookie; the REST and GraphQL APIs keep taking only ``Authorization`` headers,
so a page elsewhere cannot make the browser write through them with its cookie.
"""

from __future__ import annotations

from fastapi import Request, Response
from sqlalchemy.engine import Connection

from genolog.metadata.errors import Unauthenticated
from genolog.metadata.http import SESSION_COOKIE, caller_of
from genolog.metadata.permissions import Caller
from genolog.metadata.service import Service, identity

COOKIE = SESSION_COOKIE


class SignedOut(Exception):
    """No session (and no development user): the page asks to sign in. ``expired`` when the cookie's
    token is no longer valid."""

    def __init__(self, expired: bool = False) -> None:
        super().__init__("sign in")
        self.expired = expired


def caller_for_token(conn: Connection, token: str) -> Caller | None:
    """The token's caller; None for a token that is unknown, revoked or expired."""
    try:
        return identity.caller_for_token(conn, token)
    except Unauthenticated:
        return None


def page_caller(conn: Connection, request: Request, svc: Service) -> Caller:
    """The session's user; else a bearer token or the development user, as the API takes them."""
    token = request.cookies.get(COOKIE)
    if token:
        caller = caller_for_token(conn, token)
        if caller is None:
            raise SignedOut(expired=True)
        return caller
    if request.headers.get("authorization") or svc.settings.dev_user:
        try:
            return caller_of(conn, request, svc)
        except Unauthenticated:
            raise SignedOut(expired=True) from None
    raise SignedOut()


def file_caller(conn: Connection, request: Request, svc: Service) -> Caller:
    """For the web storage: the session's user when the cookie is valid, else the API's rules."""
    token = request.cookies.get(COOKIE)
    caller = caller_for_token(conn, token) if token else None
    return caller if caller is not None else caller_of(conn, request, svc)


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
