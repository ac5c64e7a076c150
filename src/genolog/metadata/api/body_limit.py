"""Request bodies: bounded in size, and not read for a caller who could not be authenticated.

FastAPI reads and parses a JSON body before a route's dependencies (``authenticate``) run, so without this
an unauthenticated body of any size was read and parsed, many times its size in Python objects, before
the 401 (the figures are in ``benchmarks/README.md``). Before the application sees a request with a body,
this middleware (plain ASGI, as ``observability.ObservabilityMiddleware``):

1. answers 401 to a body sent to the API (``/api/...``, ``/graphql``) with no ``Authorization`` header
   when there is no development user: nothing to look up, the request cannot succeed;
2. for a body over ``CHECK_CREDENTIALS_ABOVE`` or of unannounced length (chunked), looks the credentials
   up first (the bearer token; on the pages and the web storage also the session cookie) and answers 401
   unless they are valid. Smaller bodies are read as before, so a GraphQL query pays no second lookup;
3. answers 413 when ``Content-Length`` is over ``max_request_bytes``;
4. counts the bytes as they arrive and answers 413 as soon as they pass ``max_request_bytes``, whatever
   the headers said.

The streamed ingest (``POST /api/v1/ingest/{project}``) is exempt from the total: it is read a line at a
time after authentication and bounds each record instead (``max_ingest_record_bytes``).
"""

from __future__ import annotations

import contextlib

from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from genolog.metadata.api.errors import error_response
from genolog.metadata.errors import Unauthenticated
from genolog.metadata.http import SESSION_COOKIE, bearer_token
from genolog.metadata.service import Service
from genolog.metadata.service.identity import AUTHENTICATION_REQUIRED, check_token

# A body up to this size may be parsed before a bad token is refused (a bounded number of Python objects,
# see benchmarks/README.md): the price of not looking the token up twice for every GraphQL query.
CHECK_CREDENTIALS_ABOVE = 64 * 1024


def _is_api(path: str) -> bool:
    """The REST and GraphQL APIs, which take only ``Authorization`` headers (never the session cookie)."""
    return path.startswith("/api/") or path == "/graphql"


def describe_size(size: int) -> str:
    return f"{size // (1024 * 1024)} MiB" if size % (1024 * 1024) == 0 else f"{size:,} bytes"


class _TooLarge(Exception):
    """Raised from ``receive`` when the body passes the limit: the application stops reading it."""


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, svc: Service, streamed: tuple[str, ...] = ()) -> None:
        """``streamed``: path prefixes of POST routes that read their body as a stream and bound it
        themselves."""
        self.app = app
        self.svc = svc
        self.streamed = streamed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        headers = connection.headers
        declared = _declared_length(headers)
        if declared == 0 or (
            declared is None and "chunked" not in headers.get("transfer-encoding", "").lower()
        ):
            await self.app(scope, receive, send)  # no body
            return
        path: str = scope["path"]
        settings = self.svc.settings
        if _is_api(path) and "authorization" not in headers and not settings.dev_user:
            await error_response(401, "Unauthenticated", AUTHENTICATION_REQUIRED)(scope, receive, send)
            return
        if declared is None or declared > CHECK_CREDENTIALS_ABOVE:
            problem = await run_in_threadpool(self._credentials_problem, connection, _is_api(path))
            if problem is not None:
                await error_response(401, "Unauthenticated", problem)(scope, receive, send)
                return
        streamed = scope["method"] == "POST" and path.startswith(self.streamed) if self.streamed else False
        limit = None if streamed else settings.max_request_bytes
        if limit is not None and declared is not None and declared > limit:
            await _too_large(limit)(scope, receive, send)
            return
        if limit is None:
            await self.app(scope, receive, send)
            return
        await self._bounded(scope, receive, send, limit)

    async def _bounded(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Run the application, answering 413 instead of whatever it says once the body passes `limit`."""
        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _TooLarge
            return message

        async def send_unless_exceeded(message: Message) -> None:
            nonlocal started
            if exceeded:  # the application's own answer to the interrupted read (a 400, a 500) is dropped
                if not started:
                    started = True
                    await _too_large(limit)(scope, receive, send)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        with contextlib.suppress(_TooLarge):  # escaped from the application: answered below
            await self.app(scope, counting_receive, send_unless_exceeded)
        if exceeded and not started:
            await _too_large(limit)(scope, receive, send)

    def _credentials_problem(self, connection: HTTPConnection, api: bool) -> str | None:
        """Why the request's credentials would be refused, or None when they are valid (the session
        cookie counts outside the API, as on the pages and the web storage)."""
        header = connection.headers.get("authorization")
        cookie = None if api else connection.cookies.get(SESSION_COOKIE)
        if not header and not cookie:
            return None if self.svc.settings.dev_user else AUTHENTICATION_REQUIRED
        try:
            check_token(self.svc, cookie if cookie else bearer_token(header or ""))
        except Unauthenticated as error:
            return str(error)
        return None


def _declared_length(headers: Headers) -> int | None:
    try:
        return int(headers["content-length"])
    except (KeyError, ValueError):
        return None


def _too_large(limit: int) -> JSONResponse:
    return error_response(
        413,
        "PayloadTooLarge",
        f"The request body is over this server's limit of {describe_size(limit)} (max_request_bytes); "
        "send large uploads as NDJSON to POST /api/v1/ingest/{project}, which is read a record at a time",
    )
