"""Rendering the web pages: templates, their filters, the session of a page, and errors as pages.

Every page route uses ``PageRoute``: a genolog error becomes an HTML page with its status (404 for a
project the caller has no role on, as in the API), and a page asked for without a session goes to the
sign-in page.
"""

from __future__ import annotations

import datetime
import urllib.parse
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape

from genolog import __version__
from genolog.metadata.errors import client_error
from genolog.metadata.http import check_request_text
from genolog.metadata.inputs import check_text
from genolog.metadata.permissions import Caller
from genolog.metadata.service import Service, Session
from genolog.metadata.service.browser import SignedOut, page_reading, page_writing
from genolog.metadata.service.page_numbers import PER_PAGE_CHOICES
from genolog.web import csrf, flash, session

STATIC = "/static/web"


def static_files() -> StaticFiles:
    """The pages' stylesheet and script, from the package: no CDN."""
    return StaticFiles(packages=[("genolog.web", "static")])


def _when(value: Any) -> str:
    """A time as ``2026-12-02 01:10:33 UTC`` (ISO text from GraphQL, or a datetime)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC)
    return f"{value:%Y-%m-%d %H:%M:%S} UTC"


def _size(value: Any) -> str:
    if not isinstance(value, int | float):
        return ""
    size = float(value)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return ""


def link_target(value: Any) -> str | None:
    """A URL from the data (an analysis' ``meta.display_url``) that is safe as a link: http(s) or a path
    on this server; anything else (``javascript:``, ``data:``) is shown as text, never linked."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    scheme = urllib.parse.urlsplit(text).scheme.lower()
    if scheme in ("http", "https") or (not scheme and text.startswith("/") and not text.startswith("//")):
        return text
    return None


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()


def _value(value: Any) -> str:
    return value if isinstance(value, str) else orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


templates = Environment(loader=PackageLoader("genolog.web"), autoescape=select_autoescape(["html"]))
templates.filters.update(
    when=_when, size=_size, json=_json, value=_value, q=lambda v: urllib.parse.quote(str(v), safe="")
)
templates.globals.update(
    static=STATIC, version=__version__, link_target=link_target, per_page_choices=PER_PAGE_CHOICES
)


def render(
    request: Request, name: str, caller: Caller | None, status: int = 200, **context: Any
) -> HTMLResponse:
    svc: Service = request.app.state.service
    notice = flash.pending(request)
    page = templates.get_template(name).render(
        request=request,
        user=caller.user if caller is not None else None,
        dev_user=svc.settings.dev_user,
        signed_in=session.is_signed_in(request),
        csrf_token=csrf.form_token(request),  # every form's hidden csrf_token field
        flash=notice,
        **context,
    )
    response = HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})
    csrf.keep_nonce(request, response)
    if notice is not None:
        flash.shown(request, response)
    return response


@contextmanager
def page_read(request: Request) -> Iterator[Session]:
    """The page's caller and one read transaction for the whole page."""
    svc: Service = request.app.state.service
    with page_reading(svc, session.credentials(request)) as opened:
        yield opened


@contextmanager
def page_write(request: Request) -> Iterator[Session]:
    """The caller and one write transaction for a form's POST: all or nothing, recorded in the audit log
    as the signed-in user's."""
    svc: Service = request.app.state.service
    where = {"path": request.url.path, "ip": request.client.host if request.client else None}
    with page_writing(svc, session.credentials(request), {**where, "via": "web"}) as opened:
        yield opened


_TITLES = {400: "Bad request", 401: "Not signed in", 403: "Forbidden", 404: "Not found", 409: "Conflict"}


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    return render(
        request,
        "error.html",
        None,
        status,
        title=_TITLES.get(status, "Error"),
        code=status,
        message=message,
    )


def sign_in_page(
    request: Request, status: int = 200, message: str | None = None, next_path: str = "/"
) -> HTMLResponse:
    svc: Service = request.app.state.service
    provider = svc.settings.auth.provider_name if svc.oidc is not None else None
    return render(
        request, "signin.html", None, status, message=message, next_path=next_path, sso_provider=provider
    )


class PageRoute(APIRoute):
    """Errors of a page as HTML pages; no session: to the sign-in page; a POST without this session's
    CSRF token (or from another site): a 403 page, before the handler runs."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                check_request_text(request)
                if request.method == "POST":  # every form of the interface carries the CSRF token
                    await csrf.check(request)
                    for name, value in (await request.form()).multi_items():  # parsed once, by csrf
                        if isinstance(value, str):
                            check_text(value, f"The form field {name!r}")
                return await handler(request)
            except SignedOut as signed_out:
                here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                if signed_out.expired:
                    request.state.session_ended = True  # the sign-in form's token without the old session
                    page = sign_in_page(
                        request, 401, "Your API token is unknown or revoked: sign in again.", here
                    )
                    session.end(page, request)
                    return page
                return RedirectResponse(f"/signin?{urllib.parse.urlencode({'next': here})}", status_code=303)
            except Exception as error:  # a MetadataError, or a database error the request caused
                known = client_error(error)
                if known is None:
                    raise
                return error_page(request, known.status_code, str(known))

        return handle
