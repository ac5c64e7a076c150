"""``/graphql``: POST runs a query for the authenticated caller; GET in a browser opens GraphiQL."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from graphql import GraphQLError, OperationType
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import BaseModel, ConfigDict, Field
from strawberry.types import ExecutionResult

from genolog.metadata.api.service import RequestContext, Service, authenticate, authenticated_read, service
from genolog.metadata.collector import gc_paused
from genolog.metadata.errors import MetadataError, client_error
from genolog.metadata.graphql.context import GraphQLContext
from genolog.metadata.graphql.fast import FastExecutor
from genolog.metadata.graphql.query import schema

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
    if original is not None and not isinstance(original, MetadataError):
        known = client_error(original)  # a database error caused by the request's values: say which
        if known is not None:
            formatted["message"] = str(known)
        else:
            log.error("unexpected error in a GraphQL resolver", exc_info=original)
            formatted["message"] = f"Unexpected server error ({type(original).__name__})"
    return formatted


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
def graphql(body: GraphQLRequest, request: Request, svc: Service = Depends(service)) -> Response:
    """Run a GraphQL query; errors come back as ``{"errors": [...]}`` with HTTP 200, as in GraphQL over HTTP.

    A query authenticates in its own read transaction (``authenticated_read``); a mutation first, as
    the REST endpoints do, then writes in a transaction of its own."""
    # parsed once and cached by the executor; a syntax error is reported by the full execution below
    is_mutation = fast_executor.operation_type(body.query, body.operation_name) == OperationType.MUTATION
    ctx: RequestContext | None = None
    if not is_mutation:
        with gc_paused(), authenticated_read(request, svc) as (ctx, tx):
            context = GraphQLContext(tx, ctx.caller)
            data = fast_executor.execute(
                body.query, body.variables, body.operation_name, {"genolog": context}
            )
            answer = orjson.dumps({"data": data}) if data is not None else None
            context.release()
        if answer is not None:
            return Response(answer, media_type="application/json")
    if ctx is None:  # a query the fast executor left to strawberry keeps its caller
        ctx = RequestContext(svc, authenticate(request, svc), request)
    transaction = ctx.write if is_mutation else ctx.read
    try:
        with transaction() as tx:
            context = GraphQLContext(tx, ctx.caller)
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
    content: dict[str, Any] = {"data": _readable_by_older_clients(result.data)}
    if result.errors:
        content["errors"] = [_error(e) for e in result.errors]
    return JSONResponse(content)
