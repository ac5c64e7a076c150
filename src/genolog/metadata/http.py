"""What the HTTP front ends (REST, GraphQL, pages, web storage) take from a request: its text checked,
its caller and its audit details. Shared here so that no front end imports another."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection
from starlette.requests import Request

from genolog.metadata import inputs
from genolog.metadata._thirdparty import parsed_json_body
from genolog.metadata.context import AuditInfo
from genolog.metadata.errors import Unauthenticated
from genolog.metadata.permissions import Caller
from genolog.metadata.service import Service
from genolog.metadata.service.identity import authenticate

#: the cookie that holds a signed-in browser's API token (``web.session``): the pages and the web storage
#: take it, the REST and GraphQL APIs never do
SESSION_COOKIE = "genolog_session"


def check_request_text(request: Request) -> None:
    """Refuse a NUL or a lone surrogate in a parameter or in a JSON body (``inputs.text_problem``): every
    REST and GraphQL request passes here (the ``service`` dependency), and every page (``PageRoute``),
    before the endpoint sees its input. A JSON body is FastAPI's: read and decoded before the
    dependencies run, cached on the request (the ingest's streamed body is checked record by record)."""
    for name, value in [*request.path_params.items(), *request.query_params.multi_items()]:
        inputs.check_text(str(value), f"The parameter {name!r}")
    parsed = parsed_json_body(request)
    if parsed is not None and inputs.json_text_may_be_bad(parsed[0]):
        inputs.check_json(parsed[1], "The request body", max_depth=None)


async def request_service(request: Request) -> Service:
    """The ``Service`` of the application, once the request's text is checked: every front end's first
    dependency. ``async``: FastAPI runs a plain ``def`` dependency in its threadpool, a hop per request."""
    check_request_text(request)
    svc: Service = request.app.state.service
    return svc


def bearer_token(header: str) -> str:
    """The token of an ``Authorization: Bearer <token>`` header."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("The Authorization header must be 'Bearer <token>'")
    return token.strip()


def caller_of(conn: Connection, request: Request, svc: Service) -> Caller:
    """The caller: the owner of the bearer token (a genolog API token, or a JWT of the OpenID provider),
    or the development user when that mode is on."""
    header = request.headers.get("authorization")
    return authenticate(conn, bearer_token(header) if header else None, svc.settings.dev_user, svc.oidc)


def audit_info(request: Request, caller: Caller) -> AuditInfo:
    """The audit entry of a write: the caller, and whom and which analysis-runner run it acts for."""
    # what the server itself records: the caller's ``sm-extra-values`` cannot overwrite it
    recorded: dict[str, Any] = {
        "path": request.url.path,
        "ip": request.client.host if request.client else None,
    }
    meta: dict[str, Any] = {}
    extra = request.headers.get("sm-extra-values")
    if extra:
        meta.update(inputs.parse_json_object(extra, "The sm-extra-values header"))
    meta.update(recorded)
    return AuditInfo(
        author=caller.user,
        on_behalf_of=request.headers.get("sm-on-behalf-of"),
        ar_guid=request.headers.get("sm-ar-guid"),
        meta=meta,
    )
