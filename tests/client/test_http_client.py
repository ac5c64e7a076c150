"""The shared HTTP client: retries and backoff, the error hierarchy, and the async twin's same answers.

Most tests put an ``httpx.MockTransport`` under the client (a scripted server, no database); the waits
between attempts are recorded instead of slept, so nothing here depends on time.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from genolog.client import (
    ApiError,
    AsyncMetadataClient,
    BadRequestError,
    ConflictError,
    ForbiddenError,
    GenologApiError,
    IngestError,
    MetadataClient,
    NotFoundError,
    QueryError,
    ServerUnavailableError,
    ServerUnreachableError,
    UnauthenticatedError,
    _http,
    query,
    server_settings,
)
from genolog.client._server import ServerSettings
from genolog.metadata.db import Database
from genolog.metadata.service import Service
from genolog.metadata.settings import ServerSettings as ServiceSettings
from genolog.metadata.store import identity
from tests.metadata.live import live_server

URL = "http://meta.test"
SETTINGS = ServerSettings(url=URL, token="t0k")
Answer = httpx.Response | Exception


class ScriptedServer:
    """Answers requests from a script, one entry per request (the last one repeats); records them."""

    def __init__(self, *script: Answer) -> None:
        self.script = list(script)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        answer = self.script[min(len(self.requests), len(self.script)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer


def refusal(status: int, name: str, description: str) -> httpx.Response:
    return httpx.Response(status, json={"name": name, "description": description})


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits between attempts, recorded by both clients instead of slept."""
    recorded: list[float] = []

    async def wait_async(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(_http.time, "sleep", recorded.append)
    monkeypatch.setattr(_http.asyncio, "sleep", wait_async)
    return recorded


def send_sync(server: ScriptedServer, method: str, path: str, **request: Any) -> httpx.Response:
    return MetadataClient(SETTINGS, transport=httpx.MockTransport(server)).send(method, path, **request)


def send_async(server: ScriptedServer, method: str, path: str, **request: Any) -> httpx.Response:
    async def send() -> httpx.Response:
        async with AsyncMetadataClient(SETTINGS, transport=httpx.MockTransport(server)) as client:
            return await client.send(method, path, **request)

    return asyncio.run(send())


def call_sync(server: ScriptedServer, method: str, path: str, **request: Any) -> Any:
    return MetadataClient(SETTINGS, transport=httpx.MockTransport(server)).call(method, path, **request)


def call_async(server: ScriptedServer, method: str, path: str, **request: Any) -> Any:
    async def call() -> Any:
        async with AsyncMetadataClient(SETTINGS, transport=httpx.MockTransport(server)) as client:
            return await client.call(method, path, **request)

    return asyncio.run(call())


SENDERS = pytest.mark.parametrize("send", [send_sync, send_async], ids=["sync", "async"])
CALLERS = pytest.mark.parametrize("call", [call_sync, call_async], ids=["sync", "async"])


@SENDERS
def test_busy_answers_are_retried_with_backoff(
    send: Callable[..., httpx.Response], waits: list[float]
) -> None:
    server = ScriptedServer(
        refusal(502, "HTTPError", "bad gateway"),
        refusal(503, "DatabaseUnavailable", "retry later"),
        httpx.ConnectError("connection refused"),
        refusal(504, "HTTPError", "gateway timeout"),
        httpx.Response(200, json={"data": {"ok": True}}),
    )
    response = send(server, "POST", "/graphql", json={"query": "{ ok }"}, attempts=5)
    assert response.json() == {"data": {"ok": True}}
    assert waits == [0.5, 1.5, 4.5, 13.5]
    assert len(server.requests) == 5
    # every attempt is the same request: the body, the token
    assert {(r.method, str(r.url), r.content, r.headers["Authorization"]) for r in server.requests} == {
        ("POST", f"{URL}/graphql", b'{"query":"{ ok }"}', "Bearer t0k")
    }


@SENDERS
def test_the_last_busy_answer_is_returned_once_the_attempts_are_spent(
    send: Callable[..., httpx.Response], waits: list[float]
) -> None:
    server = ScriptedServer(refusal(503, "DatabaseUnavailable", "retry later"))
    response = send(server, "GET", "/health", attempts=3)
    assert response.status_code == 503
    assert (len(server.requests), waits) == (3, [0.5, 1.5])


@SENDERS
def test_without_attempts_nothing_is_retried(send: Callable[..., httpx.Response], waits: list[float]) -> None:
    server = ScriptedServer(refusal(503, "DatabaseUnavailable", "retry later"))
    assert send(server, "GET", "/health").status_code == 503
    assert (len(server.requests), waits) == (1, [])


@SENDERS
def test_other_refusals_are_not_retried(send: Callable[..., httpx.Response], waits: list[float]) -> None:
    for status in (400, 401, 404, 500):
        server = ScriptedServer(refusal(status, "X", "no"), httpx.Response(200, json={}))
        assert send(server, "GET", "/health", attempts=5).status_code == status
        assert len(server.requests) == 1
    assert waits == []


@SENDERS
def test_an_unreachable_server_is_named_after_the_attempts(
    send: Callable[..., httpx.Response], waits: list[float]
) -> None:
    server = ScriptedServer(httpx.ConnectError("connection refused"))
    with pytest.raises(ServerUnreachableError) as caught:
        send(server, "GET", "/health", attempts=2)
    error = caught.value
    assert str(error) == f"Cannot reach the metadata server at {URL}: connection refused"
    assert (error.status, error.url, error.reason) == (None, URL, "connection refused")
    assert isinstance(error, GenologApiError) and isinstance(error, ApiError)
    assert (len(server.requests), waits) == (2, [0.5])


@SENDERS
def test_errors_that_are_no_transport_failure_are_not_retried(
    send: Callable[..., httpx.Response], waits: list[float]
) -> None:
    server = ScriptedServer(httpx.DecodingError("garbled"), httpx.Response(200, json={}))
    with pytest.raises(ServerUnreachableError, match="garbled"):
        send(server, "GET", "/health", attempts=5)
    assert (len(server.requests), waits) == (1, [])


@CALLERS
@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, BadRequestError),
        (401, UnauthenticatedError),
        (403, ForbiddenError),
        (404, NotFoundError),
        (409, ConflictError),
        (413, GenologApiError),
        (500, GenologApiError),
        (503, ServerUnavailableError),
    ],
)
def test_refusals_carry_the_status_and_the_servers_name_and_description(
    call: Callable[..., Any], status: int, kind: type[GenologApiError], waits: list[float]
) -> None:
    server = ScriptedServer(refusal(status, "SomeName", "what went wrong"))
    with pytest.raises(GenologApiError) as caught:
        call(server, "PATCH", "/analysis/7/", json={"status": "failed"})
    error = caught.value
    assert type(error) is kind
    assert str(error) == f"PATCH /analysis/7/: HTTP {status}: what went wrong"
    assert (error.status, error.name, error.description) == (status, "SomeName", "what went wrong")
    assert str(server.requests[0].url) == f"{URL}/api/v1/analysis/7/"


@CALLERS
def test_refusals_without_the_servers_json_show_the_body_or_the_reason(
    call: Callable[..., Any], waits: list[float]
) -> None:
    server = ScriptedServer(httpx.Response(502, text="  <html>proxy says no</html>\n"))
    with pytest.raises(ServerUnavailableError) as caught:
        call(server, "GET", "/x")
    assert (caught.value.name, caught.value.description) == (None, "<html>proxy says no</html>")
    assert str(caught.value) == "GET /x: HTTP 502: <html>proxy says no</html>"

    server = ScriptedServer(httpx.Response(404, json=["not", "an", "object"]))
    with pytest.raises(NotFoundError, match=r'GET /x: HTTP 404: \["not","an","object"\]'):
        call(server, "GET", "/x")

    server = ScriptedServer(httpx.Response(403))
    with pytest.raises(ForbiddenError, match="GET /x: HTTP 403: Forbidden"):
        call(server, "GET", "/x")


@CALLERS
def test_answers_are_the_json_and_requests_carry_the_token_and_the_callers_headers(
    call: Callable[..., Any], waits: list[float]
) -> None:
    server = ScriptedServer(httpx.Response(200, json={"id": 3}))
    answer = call(
        server, "PUT", "/analysis/p/", json={"a": 1}, params={"x": "y"}, headers={"sm-ar-guid": "g"}
    )
    assert answer == {"id": 3}
    [request] = server.requests
    assert str(request.url) == f"{URL}/api/v1/analysis/p/?x=y"
    assert (request.headers["Authorization"], request.headers["sm-ar-guid"]) == ("Bearer t0k", "g")
    assert json.loads(request.content) == {"a": 1}


def test_without_a_token_no_authorization_is_sent() -> None:
    server = ScriptedServer(httpx.Response(200, json={}))
    MetadataClient(ServerSettings(url=URL, token=None), transport=httpx.MockTransport(server)).call(
        "GET", "/x"
    )
    assert "Authorization" not in server.requests[0].headers


def test_clients_share_the_process_connections_and_the_configured_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GENOLOG_URL", "http://elsewhere.test:9000/")
    monkeypatch.setenv("GENOLOG_TOKEN", "env-token")
    first, second = MetadataClient(), MetadataClient()
    assert first._http is second._http
    assert first.settings == server_settings() == ServerSettings("http://elsewhere.test:9000", "env-token")


def test_the_callers_own_errors_are_kinds_of_the_base_error() -> None:
    assert issubclass(QueryError, GenologApiError) and issubclass(IngestError, GenologApiError)
    assert ApiError is GenologApiError
    legacy = ApiError("refused", 404)  # constructed as before the client was shared
    assert (str(legacy), legacy.status, legacy.description) == ("refused", 404, "refused")


@pytest.fixture
def live(db_url: str) -> Iterator[tuple[str, str]]:
    """A live server without development mode, and a token of an admin."""
    svc = Service.create(ServiceSettings(db=db_url), Database(db_url))
    with svc.db.write() as conn:
        _, token = identity.create_token(conn, "alice")
        identity.grant_site_role(conn, "alice", "admin")
    with live_server(svc) as url:
        yield url, token
    svc.db.dispose()


def test_a_real_server_s_refusals_map_to_the_hierarchy_in_both_clients(
    live: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, token = live

    def both(settings: ServerSettings, path: str) -> list[GenologApiError]:
        errors: list[GenologApiError] = []
        with pytest.raises(GenologApiError) as caught:
            MetadataClient(settings).call("GET", path)
        errors.append(caught.value)

        async def call() -> None:
            async with AsyncMetadataClient(settings) as client:
                await client.call("GET", path)

        with pytest.raises(GenologApiError) as caught:
            asyncio.run(call())
        errors.append(caught.value)
        return errors

    for error in both(ServerSettings(url, token), "/analysis/999999/details"):
        assert type(error) is NotFoundError
        assert (error.status, error.name) == (404, "NotFound")
        assert str(error) == f"GET /analysis/999999/details: HTTP 404: {error.description}"
    unauthenticated = both(ServerSettings(url, None), "/analysis/999999/details")
    assert [type(e) for e in unauthenticated] == [UnauthenticatedError, UnauthenticatedError]
    assert {(e.status, e.name, e.description) for e in unauthenticated} == {
        (401, "Unauthenticated", "Authentication required: send 'Authorization: Bearer <token>'")
    }

    monkeypatch.setenv("GENOLOG_URL", url)
    monkeypatch.delenv("GENOLOG_TOKEN", raising=False)
    with pytest.raises(QueryError) as refused:
        query("{ viewer { username } }")
    assert isinstance(refused.value, GenologApiError)
    assert (refused.value.status, refused.value.name) == (401, "Unauthenticated")
    assert refused.value.description == unauthenticated[0].description
