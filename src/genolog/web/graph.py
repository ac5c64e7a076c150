"""The pages' GraphQL: queries run in-process, for the signed-in caller, on the API's own executor.

The answer is the same JSON the ``/graphql`` endpoint sends (orjson round trip: meta fields come out of
the fast executor as raw JSON text), so the templates see exactly what API users see, with the same
permission checks and the same batched SQL (a fixed number of statements per query, whatever the rows).
"""

from __future__ import annotations

from typing import Any

import orjson

from genolog.metadata.context import Tx
from genolog.metadata.errors import MetadataError
from genolog.metadata.graphql.context import GraphQLContext
from genolog.metadata.graphql.query import schema
from genolog.metadata.graphql.router import fast_executor
from genolog.metadata.permissions import Caller


class QueryFailed(RuntimeError):
    """A page's query failed for a reason other than the caller's request (a bug in the page)."""


def query(tx: Tx, caller: Caller, text: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """``data`` of a read query; a genolog error (a 404 for an unreadable project, a 400 for a bad id)
    is raised as itself, so the page shows it."""
    context = GraphQLContext(tx, caller)
    try:
        data = fast_executor.execute(text, variables, None, {"genolog": context})
        if data is None:  # an error: strawberry runs it again and reports it exactly
            result = schema.execute_sync(text, variable_values=variables, context_value={"genolog": context})
            for error in result.errors or ():
                if isinstance(error.original_error, MetadataError):
                    raise error.original_error
            if result.errors:
                raise QueryFailed("; ".join(e.message for e in result.errors))
            data = result.data
        answer: dict[str, Any] = orjson.loads(orjson.dumps(data))
    finally:
        context.release()
    return answer
