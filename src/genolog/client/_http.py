"""The one HTTP client of the metadata server: requests, retries with backoff, and the error hierarchy.

`MetadataClient` sends over one process-wide ``httpx.Client`` (its connections are kept alive between
calls); `AsyncMetadataClient` is its asyncio twin. Both run the same generator (`_exchange`), which
decides what to send, whether to retry and how long to wait first: only the waiting and the sending
differ between them. The server and the token come from `genolog.client.server_settings` unless the
caller passes settings.

Every refusal of the server becomes a `GenologApiError` (or the subclass for its status) carrying the
HTTP status and the server's ``name``/``description`` (every error leaves the server as JSON
``{name, description}``); a server that cannot be reached is a `ServerUnreachableError`.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import threading
import time
from collections.abc import Generator
from typing import Any

import httpx

from genolog.client._server import ServerSettings, server_settings

API = "/api/v1"
DEFAULT_TIMEOUT_S = 60.0
# Retries are for a busy or restarting server: what a proxy or the server says while it cannot answer
# yet (the server answers 503 while its database is unavailable), or no connection at all.
RETRY_STATUSES = frozenset({502, 503, 504})
FIRST_DELAY_S = 0.5  # then 1.5, 4.5, ... (factor 3, as the metamist client)
BACKOFF_FACTOR = 3.0

# What a caller may pass as a request's timeout: seconds, or httpx's per-phase timeouts.
Timeout = float | httpx.Timeout


class GenologApiError(Exception):
    """The metadata server refused a call (``status`` is its HTTP status, ``name``/``description`` its
    reason) or could not be reached (``status`` is ``None``)."""

    def __init__(
        self,
        message: str,
        status: int | None = None,
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.name = name
        self.description = message if description is None else description


class BadRequestError(GenologApiError):
    """HTTP 400: the server found the request invalid."""


class UnauthenticatedError(GenologApiError):
    """HTTP 401: no token, or one the server does not know (anymore)."""


class ForbiddenError(GenologApiError):
    """HTTP 403: the caller may not do this."""


class NotFoundError(GenologApiError):
    """HTTP 404: no such thing, or one the caller may not read."""


class ConflictError(GenologApiError):
    """HTTP 409: the request conflicts with what the server holds."""


class ServerUnavailableError(GenologApiError):
    """HTTP 502/503/504 after the retries: the server (or its database) could not answer now."""


class ServerUnreachableError(GenologApiError):
    """No answer at all: no connection, or none in time (``reason`` says what httpx saw)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"Cannot reach the metadata server at {url}: {reason}", None, description=reason)
        self.url = url
        self.reason = reason


_ERROR_BY_STATUS: dict[int, type[GenologApiError]] = {
    400: BadRequestError,
    401: UnauthenticatedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    **dict.fromkeys(RETRY_STATUSES, ServerUnavailableError),
}


def error_for(method: str, path: str, response: httpx.Response) -> GenologApiError:
    """The error for a refusal (status >= 400): ``"{method} {path}: HTTP {status}: {description}"``;
    the description is the server's, else the body's text, else the HTTP reason phrase."""
    name: str | None = None
    description: str | None = None
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        name = str(body["name"]) if body.get("name") else None
        description = str(body["description"]) if body.get("description") else None
    if description is None:
        description = response.text.strip() or response.reason_phrase
    status = response.status_code
    return _ERROR_BY_STATUS.get(status, GenologApiError)(
        f"{method} {path}: HTTP {status}: {description}", status, name=name, description=description
    )


# One step of an exchange: a request to send, or seconds to wait before the next attempt.
_Step = httpx.Request | float
# What a sent request gave: the answer, or httpx's error when there was none.
_Outcome = httpx.Response | httpx.RequestError


def _exchange(
    request: httpx.Request, url: str, attempts: int
) -> Generator[_Step, _Outcome | None, httpx.Response]:
    """Send `request` up to `attempts` times while the server is unreachable or answers 502/503/504,
    waiting FIRST_DELAY_S, then BACKOFF_FACTOR times longer, between tries. Returns the last answer
    (a 502/503/504 one too, once the attempts are spent); raises `ServerUnreachableError` when there
    was none. Shared by the sync and async clients, which only do the sending and the waiting."""
    delay = FIRST_DELAY_S  # read at each exchange: tests shorten it
    for attempt in range(1, attempts + 1):
        outcome = yield request
        last = attempt == attempts
        if isinstance(outcome, httpx.Response):
            if last or outcome.status_code not in RETRY_STATUSES:
                return outcome
        elif last or not isinstance(outcome, httpx.TransportError):
            raise ServerUnreachableError(url, str(outcome))
        yield delay
        delay *= BACKOFF_FACTOR
    raise ValueError(f"attempts must be at least 1, not {attempts}")


class _Requests:
    """Request building and answer reading, the same for both clients."""

    settings: ServerSettings

    def _request(
        self,
        http: httpx.Client | httpx.AsyncClient,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None,
        json: Any,
        content: Any,
        files: Any,
        headers: dict[str, str] | None,
        timeout: Timeout,
    ) -> httpx.Request:
        return http.build_request(
            method,
            f"{self.settings.url}{path}",
            params=params,
            json=json,
            content=content,
            files=files,
            headers={**self.settings.headers, **(headers or {})},
            timeout=timeout,
        )

    @staticmethod
    def _answer(method: str, path: str, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            raise error_for(method, path, response)
        return response.json()


class MetadataClient(_Requests):
    """Calls to the metadata server over the process's shared connections (or over `transport`)."""

    def __init__(
        self, settings: ServerSettings | None = None, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.settings = settings or server_settings()
        self._own = None if transport is None else httpx.Client(transport=transport)

    @property
    def _http(self) -> httpx.Client:
        # looked up at each call: a forked child gets its own
        return self._own or _shared_client()

    def close(self) -> None:
        """Close the connections of a client made over its own `transport` (the shared ones stay)."""
        if self._own is not None:
            self._own.close()

    def send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        content: Any = None,
        files: Any = None,
        headers: dict[str, str] | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT_S,
        attempts: int = 1,
    ) -> httpx.Response:
        """The server's answer to `method` on `path` (from the server's root), whatever its status;
        tried `attempts` times while the server is unreachable or busy (see `_exchange`)."""
        request = self._request(
            self._http,
            method,
            path,
            params=params,
            json=json,
            content=content,
            files=files,
            headers=headers,
            timeout=timeout,
        )
        exchange = _exchange(request, self.settings.url, attempts)
        step = next(exchange)
        while True:
            outcome: _Outcome | None = None
            if isinstance(step, httpx.Request):
                try:
                    outcome = self._http.send(step)
                except httpx.RequestError as error:
                    outcome = error
            else:
                time.sleep(step)
            try:
                step = exchange.send(outcome)
            except StopIteration as done:
                response: httpx.Response = done.value
                return response

    def call(self, method: str, path: str, *, attempts: int = 1, **request: Any) -> Any:
        """The JSON answer of the REST route `path` (below ``/api/v1``); a `GenologApiError` (the
        subclass for its status) when the server refuses, naming `method` and `path`."""
        response = self.send(method, f"{API}{path}", attempts=attempts, **request)
        return self._answer(method, path, response)


class AsyncMetadataClient(_Requests):
    """`MetadataClient` for asyncio code: ``async with AsyncMetadataClient() as client: ...``; its
    connections live as long as the ``async with`` (an asyncio client belongs to one event loop)."""

    def __init__(
        self, settings: ServerSettings | None = None, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings or server_settings()
        self._http = httpx.AsyncClient(transport=transport, timeout=DEFAULT_TIMEOUT_S)

    async def __aenter__(self) -> AsyncMetadataClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._http.aclose()

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        content: Any = None,
        files: Any = None,
        headers: dict[str, str] | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT_S,
        attempts: int = 1,
    ) -> httpx.Response:
        """As `MetadataClient.send`."""
        request = self._request(
            self._http,
            method,
            path,
            params=params,
            json=json,
            content=content,
            files=files,
            headers=headers,
            timeout=timeout,
        )
        exchange = _exchange(request, self.settings.url, attempts)
        step = next(exchange)
        while True:
            outcome: _Outcome | None = None
            if isinstance(step, httpx.Request):
                try:
                    outcome = await self._http.send(step)
                except httpx.RequestError as error:
                    outcome = error
            else:
                await asyncio.sleep(step)
            try:
                step = exchange.send(outcome)
            except StopIteration as done:
                response: httpx.Response = done.value
                return response

    async def call(self, method: str, path: str, *, attempts: int = 1, **request: Any) -> Any:
        """As `MetadataClient.call`."""
        response = await self.send(method, f"{API}{path}", attempts=attempts, **request)
        return self._answer(method, path, response)


_shared: tuple[int, httpx.Client] | None = None
_shared_lock = threading.Lock()


def _shared_client() -> httpx.Client:
    """The process's ``httpx.Client``; a forked child makes its own (sockets are not shared across a fork)."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared[0] != os.getpid():
            _shared = (os.getpid(), httpx.Client(timeout=DEFAULT_TIMEOUT_S))
        return _shared[1]


@atexit.register
def _close_shared_client() -> None:
    if _shared is not None and _shared[0] == os.getpid():
        _shared[1].close()
