"""``/graphql``: POST runs a query for the authenticated caller; GET in a browser opens GraphiQL."""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from graphql import GraphQLError, OperationDefinitionNode, OperationType
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import BaseModel, ConfigDict, Field
from strawberry.types import ExecutionResult

from genolog.metadata.context import Tx
from genolog.metadata.errors import MetadataError, client_error
from genolog.metadata.gc_pause import gc_paused
from genolog.metadata.graphql.context import GraphQLContext
from genolog.metadata.graphql.fast import FastExecutor, Prepared
from genolog.metadata.graphql.limits import (
    QueryTimeout,
    deadline_passed,
    query_deadline,
    remaining_time,
    timeout_error,
)
from genolog.metadata.graphql.query import schema
from genolog.metadata.graphql.variables import variable_errors
from genolog.metadata.http import audit_info, caller_of, request_service
from genolog.metadata.permissions import Caller
from genolog.metadata.service import Service, Session, reading, writing

router = APIRouter(tags=["graphql"])
fast_executor = FastExecutor(schema)
log = logging.getLogger("genolog.graphql")


class GraphQLRequest(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    query: str = Field(min_length=1)
    variables: dict[str, Any] | None = None
    operation_name: str | None = Field(default=None, alias="operationName")


# Directive locations that graphql-core before 3.2.7 knows. Newer versions also list DIRECTIVE_DEFINITION
# for @deprecated, and clients on older ones (the published metamist client pins graphql-core<3.2.7) then
# fail to build the schema from introspection, so introspection answers leave unknown locations out.
_CLASSIC_LOCATIONS = frozenset(
    [
        "QUERY",
        "MUTATION",
        "SUBSCRIPTION",
        "FIELD",
        "FRAGMENT_DEFINITION",
        "FRAGMENT_SPREAD",
        "VARIABLE_DEFINITION",
        "INLINE_FRAGMENT",
        "SCHEMA",
        "SCALAR",
        "OBJECT",
        "FIELD_DEFINITION",
        "ARGUMENT_DEFINITION",
        "INTERFACE",
        "UNION",
        "ENUM",
        "ENUM_VALUE",
        "INPUT_OBJECT",
        "INPUT_FIELD_DEFINITION",
    ]
)


def _readable_by_older_clients(data: Any) -> Any:
    schema = data.get("__schema") if isinstance(data, dict) else None
    if isinstance(schema, dict):
        for directive in schema.get("directives") or []:
            if isinstance(directive, dict) and "locations" in directive:
                directive["locations"] = [loc for loc in directive["locations"] if loc in _CLASSIC_LOCATIONS]
    return data


def _error(error: GraphQLError) -> dict[str, Any]:
    formatted: dict[str, Any] = dict(error.formatted)
    original = error.original_error
    if isinstance(original, QueryTimeout) or (original is not None and deadline_passed()):
        formatted["message"] = str(timeout_error())  # a statement cancelled at the deadline, too
    elif original is not None and not isinstance(original, MetadataError | GraphQLError):
        known = client_error(original)  # a database error caused by the request's values: say which
        if known is not None:
            formatted["message"] = str(known)
        else:
            log.error("unexpected error in a GraphQL resolver", exc_info=original)
            formatted["message"] = f"Unexpected server error ({type(original).__name__})"
    return formatted


def _refused(errors: list[GraphQLError]) -> Response:
    """A request refused before it ran: GraphQL's ``{"data": null, "errors": [...]}``, HTTP 200."""
    return JSONResponse({"data": None, "errors": [_error(e) for e in errors]})


def _timed_out(timeout: QueryTimeout) -> Response:
    return _refused([GraphQLError(str(timeout))])


def _no_operation(operation_name: str | None, prepared: Prepared) -> GraphQLError:
    """graphql-core's own messages for a request whose document has no operation to run."""
    if operation_name is not None:
        return GraphQLError(f"Unknown operation named '{operation_name}'.")
    assert prepared.document is not None
    if any(isinstance(d, OperationDefinitionNode) for d in prepared.document.definitions):
        return GraphQLError("Must provide operation name if query contains multiple operations.")
    return GraphQLError("Must provide an operation.")


class _RolledBack(Exception):
    def __init__(self, result: ExecutionResult) -> None:
        self.result = result


GRAPHIQL_STATIC = "/graphql/static"
_TEMPLATES = Environment(loader=PackageLoader("genolog.metadata.graphql"), autoescape=select_autoescape())
_DEFAULT_QUERY = """# Welcome to genolog's GraphQL API. For example:
query MyProjects {
  myProjects {
    name
    sequencingGroups { id type sample { externalId } }
  }
}
"""


def graphiql_assets() -> StaticFiles:
    """GraphiQL, React and the explorer plugin, served from an installed package: no CDN, works offline."""
    spec = importlib.util.find_spec("graphene_django_graphiql_static")
    if spec is None or spec.origin is None:
        raise RuntimeError("graphene-django-graphiql-static is not installed; reinstall genolog")
    return StaticFiles(directory=Path(spec.origin).parent / "static" / "graphene_django_graphiql_static")


@router.get("/graphql", include_in_schema=False)
def graphiql() -> HTMLResponse:
    page = _TEMPLATES.get_template("graphiql.html").render(
        static=GRAPHIQL_STATIC, endpoint="/graphql", default_query=_DEFAULT_QUERY
    )
    return HTMLResponse(page)


@router.post("/graphql", operation_id="graphql")
def graphql(body: GraphQLRequest, request: Request, svc: Service = Depends(request_service)) -> Response:
    """Run a GraphQL query; errors come back as ``{"errors": [...]}`` with HTTP 200, as in GraphQL over HTTP.

    The caller is authenticated before the document is even parsed: a request without a valid token is
    answered 401 having cost a token lookup. A query then runs in that same read transaction; a mutation
    writes in a transaction of its own. The whole request has ``graphql_time_limit`` seconds, and each
    SQL statement of a query at most what is left of them."""
    settings = svc.settings
    with query_deadline(settings.graphql_time_limit):
        # one connection for the caller's lookup and a query's answer, without a transaction's round trips
        with gc_paused(), svc.db.read(remaining_time(), transaction=False) as conn:
            caller = caller_of(conn, request, svc)
            tx = Tx(conn, svc.codecs)
            prepared = fast_executor.prepare(body.query, settings.graphql_max_tokens)
            if prepared.errors:
                return _refused(prepared.errors)
            operation = prepared.operation(body.operation_name)
            if operation is None:
                return _refused([_no_operation(body.operation_name, prepared)])
            wrong = variable_errors(
                fast_executor.core, operation.variable_definitions or (), body.variables or {}
            )
            if wrong:
                return _refused(wrong)
            is_mutation = operation.operation == OperationType.MUTATION
            if not is_mutation:
                answer = _fast_answer(tx, caller, prepared, body)
                if answer is not None:
                    return answer
        session = writing(svc, caller, audit_info(request, caller)) if is_mutation else reading(svc, caller)
        try:
            with session as opened:
                tx = opened.tx
                context = GraphQLContext(tx, caller)
                with _time_limited(context, not is_mutation):
                    result = schema.execute_sync(
                        body.query,
                        variable_values=body.variables,
                        operation_name=body.operation_name,
                        context_value={"genolog": context},
                    )
                context.release()
                if result.errors and tx.audit is not None:
                    raise _RolledBack(result)
        except _RolledBack as rolled_back:  # a mutation with any error writes nothing, so reports no data
            result = ExecutionResult(data=None, errors=rolled_back.result.errors)
        except QueryTimeout as timeout:
            return _timed_out(timeout)
        errors = result.errors or []
        for error in errors:  # every field after the deadline failed with it: one error says it
            if isinstance(error.original_error, QueryTimeout):
                return _timed_out(error.original_error)
        content: dict[str, Any] = {"data": _readable_by_older_clients(result.data)}
        if errors:
            content["errors"] = [_error(e) for e in errors]
        return JSONResponse(content)


def _fast_answer(tx: Tx, caller: Caller, prepared: Prepared, body: GraphQLRequest) -> Response | None:
    """The answer of the fast executor, or None when strawberry is to run the query."""
    context = GraphQLContext(tx, caller)
    try:
        with _time_limited(context, True):
            data = fast_executor.execute(prepared, body.variables, body.operation_name, {"genolog": context})
        return None if data is None else Response(orjson.dumps({"data": data}), media_type="application/json")
    except QueryTimeout as timeout:
        return _timed_out(timeout)
    finally:
        context.release()


@contextmanager
def _time_limited(session: Session, read: bool) -> Iterator[None]:
    """A read's SQL statements limited to the request's time left (a write's are not: SQLite's
    interrupt would leave its queued writes half done, and a write is bounded by its input)."""
    left = remaining_time()
    if not read or left is None:
        yield
        return
    if left <= 0:
        raise timeout_error()
    with session.statement_time_limit(left):
        yield
