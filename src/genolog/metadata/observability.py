"""Watching the metadata service run: per-request metrics, request ids, the JSON access log and
``/metrics``.

``ObservabilityMiddleware`` is the outermost of the application's middleware: it times every request
from its arrival to the end of its answer, counts it by method, route template and status class
(``metrics``), gives it a request id (a sane incoming ``X-Request-ID``, else a new one, echoed in the
answer), adds ``X-Process-Time: <ms>ms`` to the answer as Metamist does and, with ``log_format = "json"``, writes one JSON line for it to the ``genolog.access`` logger.

Who may read ``/metrics``: callers on the loopback interface, and anyone presenting ``metrics_token`` as
a bearer token. The figures name no project, user or path (labels are route templates, status classes
and entity kinds), but request rates and pool use still tell an outsider how busy the service is and
when, so they are not public. A dedicated token, rather than an admin's, is what a scraper's
configuration should hold: it grants nothing else.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import FastAPI, Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from genolog.metadata import metrics, request_info
from genolog.metadata._thirdparty import route_templates
from genolog.metadata.errors import Forbidden, Unauthenticated
from genolog.metadata.http import bearer_token
from genolog.metadata.settings import ServerSettings, is_loopback

ACCESS_LOGGER = "genolog.access"
REQUEST_ID_HEADER = b"x-request-id"
PROCESS_TIME_HEADER = b"x-process-time"  # Metamist's: the time to the answer's start
AR_GUID_HEADER = b"sm-ar-guid"  # the analysis runner's run, sent with the requests of its jobs
# an incoming request id is kept when it is this: what ids from proxies and tracers look like, nothing
# that could break a log line or a header
_SANE_ID = re.compile(rb"[A-Za-z0-9][A-Za-z0-9._:/+=-]{0,127}")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "<unmatched>"  # the route label of a path no route serves (a 404): one label for all

access_log = logging.getLogger(ACCESS_LOGGER)


class ObservabilityMiddleware:
    """A plain ASGI middleware: the decorator form re-streams every body through a queue, which cost
    more than the whole query on large GraphQL answers."""

    def __init__(self, app: ASGIApp, json_log: bool) -> None:
        self.app = app
        self.json_log = json_log
        self._templates: dict[int, str] | None = None  # the application's, read at its first request

    def route_of(self, scope: Scope) -> str:
        """The template of the route that served the request (``/api/v1/sample/{id}``), or ``UNMATCHED``:
        never the raw path, which would name projects and samples and make a label per id."""
        route = scope.get("route")
        if route is None:
            return UNMATCHED
        if self._templates is None:
            self._templates = route_templates(scope["app"].routes)
        template = self._templates.get(id(route)) or getattr(route, "path_format", None)
        return template if isinstance(template, str) and template else UNMATCHED

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        incoming_id = ar_guid = None
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER:
                incoming_id = value
            elif name == AR_GUID_HEADER:
                ar_guid = value
        request_id = (
            incoming_id.decode()
            if incoming_id is not None and _SANE_ID.fullmatch(incoming_id)
            else uuid.uuid4().hex
        )
        info = request_info.RequestInfo(request_id)
        status = 500  # unless an answer starts: the error middleware outside answers an exception so

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                elapsed = f"{(time.perf_counter() - started) * 1000:.1f}ms"
                message.setdefault("headers", []).extend(
                    [(REQUEST_ID_HEADER, request_id.encode()), (PROCESS_TIME_HEADER, elapsed.encode())]
                )
            await send(message)

        token = request_info.begin(info)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_info.end(token)
            seconds = time.perf_counter() - started
            method = scope["method"] if scope["method"] in _METHODS else "other"
            route = self.route_of(scope)
            metrics.REQUESTS.labels(method, route, f"{status // 100}xx").inc()
            metrics.LATENCY.labels(method, route).observe(seconds)
            metrics.sample_pools()
            if self.json_log:
                client = scope.get("client")
                access_log.info(
                    "%s %s %s",
                    scope["method"],
                    scope["path"],
                    status,
                    extra={
                        "access": {
                            "request_id": request_id,
                            "method": scope["method"],
                            "route": route,
                            "path": scope["path"],
                            "status": status,
                            "duration_ms": round(seconds * 1000, 2),
                            "user": info.user,
                            "ar_guid": ar_guid.decode("latin-1")[:200] if ar_guid else None,
                            "client": client[0] if client else None,
                            "pid": os.getpid(),
                        }
                    },
                )


def install(app: FastAPI, settings: ServerSettings) -> None:
    """The middleware (add it last: the outermost) and ``GET /metrics``."""
    app.add_middleware(ObservabilityMiddleware, json_log=settings.log_format == "json")

    @app.get("/metrics", tags=["meta"], include_in_schema=False)
    def read_metrics(request: Request) -> Response:
        check_metrics_reader(request, settings.metrics_token)
        return Response(metrics.render(), media_type=metrics.CONTENT_TYPE)


def check_metrics_reader(request: Request, metrics_token: str | None) -> None:
    """Nothing for a loopback caller or one presenting ``metrics_token``; else a 403 (401 for a
    malformed Authorization header) saying how to be let in."""
    if request.client is not None and is_loopback(request.client.host):
        return
    header = request.headers.get("authorization")
    if header and metrics_token:
        if secrets.compare_digest(bearer_token(header).encode(), metrics_token.encode()):
            return
        raise Unauthenticated("This is not the server's metrics_token")
    how = "send the server's metrics_token as a bearer token" if metrics_token else "set metrics_token"
    raise Forbidden(f"/metrics is open to loopback callers only; from elsewhere, {how}")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: an access record's fields (``extra={"access": ...}``), or any other
    record's level, logger and message (uvicorn's own)."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        access = getattr(record, "access", None)
        line: dict[str, Any]
        if isinstance(access, dict):
            line = {"time": moment, **access}
        else:
            line = {
                "time": moment,
                "level": record.levelname.lower(),
                "logger": record.name,
                "message": record.getMessage(),
            }
            if record.exc_info:
                line["error"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


def uvicorn_logging(log_format: str) -> dict[str, Any]:
    """The ``log_config`` and ``access_log`` of ``uvicorn.run``: uvicorn's own for text; for json, every
    line JSON, the access log ours (on stdout, where uvicorn writes its access log) instead of
    uvicorn's, and uvicorn's other messages on stderr."""
    if log_format != "json":
        return {"access_log": True}
    formatter = f"{__name__}.{JsonFormatter.__name__}"
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": formatter}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
            "stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"},
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            ACCESS_LOGGER: {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        },
    }
    return {"access_log": False, "log_config": config}
