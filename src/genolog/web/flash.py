"""A one-time message for the page a form's POST redirects to ("Added alice as reader."), kept in a
short-lived cookie, so the URL carries no text that a link from elsewhere could put on the page."""

from __future__ import annotations

import urllib.parse

from fastapi import Request, Response

COOKIE = "genolog_flash"
_LONGEST = 400


def put(request: Request, response: Response, message: str) -> None:
    response.set_cookie(
        COOKIE,
        urllib.parse.quote(message[:_LONGEST]),
        max_age=60,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def pending(request: Request) -> str | None:
    """The waiting message, if any (``shown`` then drops it)."""
    value = request.cookies.get(COOKIE)
    return urllib.parse.unquote(value)[:_LONGEST] if value else None


def shown(request: Request, response: Response) -> None:
    """The page showing the message drops its cookie, so it shows once."""
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )
