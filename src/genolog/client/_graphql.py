"""GraphQL queries against the metadata server, with retries for a busy or restarting server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from graphql import DocumentNode, GraphQLSyntaxError, parse

from genolog.client._http import AsyncMetadataClient, GenologApiError, MetadataClient, ServerUnreachableError

ATTEMPTS = 5  # a query is sent up to this many times while the server is unreachable or busy
TIMEOUT_S = 60.0


class QueryError(GenologApiError):
    """The server answered the query with errors (or could not be reached)."""

    def __init__(
        self,
        message: str,
        errors: list[dict[str, Any]] | None = None,
        status: int | None = None,
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(message, status, name=name, description=description)
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
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        raise QueryError(f"The server answered HTTP {status} without JSON", status=status) from None
    if status >= 400 and "errors" not in body:
        description = body.get("description")
        raise QueryError(
            f"HTTP {status}: {body.get('description', body)}",
            status=status,
            name=body.get("name"),
            description=description,
        )
    errors = body.get("errors")
    if errors:
        raise QueryError("; ".join(str(e.get("message", e)) for e in errors), errors, status)
    data: dict[str, Any] = body.get("data") or {}
    return data


def query(q: GraphQLQuery | str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run a query and return its ``data``; raises ``QueryError`` with the server's messages."""
    payload = _payload(q, variables)
    try:
        response = MetadataClient().send(
            "POST", "/graphql", json=payload, timeout=TIMEOUT_S, attempts=ATTEMPTS
        )
    except ServerUnreachableError as e:
        raise QueryError(str(e)) from None
    return _result(response)


async def query_async(q: GraphQLQuery | str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """As ``query``, for asyncio code."""
    payload = _payload(q, variables)
    async with AsyncMetadataClient() as client:
        try:
            response = await client.send(
                "POST", "/graphql", json=payload, timeout=TIMEOUT_S, attempts=ATTEMPTS
            )
        except ServerUnreachableError as e:
            raise QueryError(str(e)) from None
    return _result(response)
