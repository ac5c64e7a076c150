"""GraphQL queries against the metadata server, with retries for a busy or restarting server."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx
from graphql import DocumentNode, GraphQLSyntaxError, parse

from genolog.client._server import server_settings

RETRIES = 5
FIRST_DELAY_S = 0.5  # then 1.5, 4.5, ... (factor 3, as the metamist client)
TIMEOUT_S = 60.0


class QueryError(Exception):
    """The server answered the query with errors (or could not be reached)."""

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


@dataclass(frozen=True)
class GraphQLQuery:
    """A parsed query: syntax errors surface where the query is written, not when it first runs."""

    text: str
    document: DocumentNode


def gql(text: str) -> GraphQLQuery:
    try:
        return GraphQLQuery(text=text, document=parse(text))
    except GraphQLSyntaxError as e:
        raise QueryError(
            f"Invalid GraphQL query: {e.message} (line {e.locations[0].line if e.locations else '?'})"
        ) from None


def _payload(q: GraphQLQuery | str, variables: dict[str, Any] | None) -> dict[str, Any]:
    text = q.text if isinstance(q, GraphQLQuery) else gql(q).text
    return {"query": text, "variables": variables or {}}


def _result(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise QueryError(f"The server answered HTTP {response.status_code} without JSON") from None
    if response.status_code >= 400 and "errors" not in body:
        raise QueryError(f"HTTP {response.status_code}: {body.get('description', body)}")
    errors = body.get("errors")
    if errors:
        raise QueryError("; ".join(str(e.get("message", e)) for e in errors), errors)
    data: dict[str, Any] = body.get("data") or {}
    return data


def _retryable(response: httpx.Response | None) -> bool:
    return response is None or response.status_code in (502, 503, 504)


def query(q: GraphQLQuery | str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run a query and return its ``data``; raises ``QueryError`` with the server's messages."""
    server = server_settings()
    payload = _payload(q, variables)
    delay = FIRST_DELAY_S
    for attempt in range(RETRIES):
        response: httpx.Response | None = None
        try:
            response = httpx.post(
                f"{server.url}/graphql", json=payload, headers=server.headers, timeout=TIMEOUT_S
            )
        except httpx.TransportError as e:
            if attempt == RETRIES - 1:
                raise QueryError(f"Cannot reach the metadata server at {server.url}: {e}") from None
        if not _retryable(response) or attempt == RETRIES - 1:
            assert response is not None
            return _result(response)
        time.sleep(delay)
        delay *= 3
    raise AssertionError("unreachable")


async def query_async(q: GraphQLQuery | str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """As ``query``, for asyncio code."""
    server = server_settings()
    payload = _payload(q, variables)
    delay = FIRST_DELAY_S
    async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
        for attempt in range(RETRIES):
            response: httpx.Response | None = None
            try:
                response = await client.post(f"{server.url}/graphql", json=payload, headers=server.headers)
            except httpx.TransportError as e:
                if attempt == RETRIES - 1:
                    raise QueryError(f"Cannot reach the metadata server at {server.url}: {e}") from None
            if not _retryable(response) or attempt == RETRIES - 1:
                assert response is not None
                return _result(response)
            await asyncio.sleep(delay)
            delay *= 3
    raise AssertionError("unreachable")
