"""Every use of a third-party library's private or undocumented API, in one place.

The rule: code elsewhere uses only libraries' public APIs; what has no public equivalent at a cost the
benchmarks allow is wrapped here, one function or name per use, each saying why it is needed and which
versions it was checked against. The versions of these libraries are pinned tightly in pyproject.toml, and
``tests/metadata/test_thirdparty.py`` checks every use here against the installed versions, failing with a
message naming the library and version when an upgrade removes or changes one. On such a failure, fix the
use here (or drop it for a public API) before widening the pin.

Uses checked against: strawberry-graphql 0.341, graphql-core 3.3, FastAPI 0.165 with Starlette 1.10.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import version
from typing import Any

import strawberry
from fastapi import routing as fastapi_routing
from graphql import GraphQLSchema
from starlette.requests import Request
from starlette.routing import BaseRoute
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import convert_arguments as _convert_arguments

# The libraries whose private APIs this module uses, as pyproject.toml names them: the test reports the
# installed version of each one that breaks.
LIBRARIES = ("strawberry-graphql", "fastapi", "starlette")


def installed(library: str) -> str:
    """``library`` and its installed version, as the test's failure messages name them."""
    return f"{library} {version(library)}"


# --- strawberry: the lean GraphQL executor (graphql/fast.py) ---------------------------------------------
# The lean executor walks graphql-core's schema itself and calls strawberry's resolvers directly, skipping
# strawberry's per-field machinery (that is its whole point): strawberry has no public API for either.


def graphql_core_schema(schema: strawberry.Schema) -> GraphQLSchema:
    """The graphql-core schema strawberry built: strawberry keeps it as ``Schema._schema`` and exposes it
    only through its own execution methods."""
    core = schema._schema
    assert isinstance(core, GraphQLSchema)
    return core


# The key, in a graphql-core field's ``extensions``, of the strawberry field (``StrawberryField``) it was
# made from: the executor reads the field's ``base_resolver`` (``wrapped_func``, ``info_parameter``),
# ``python_name``, ``arguments`` and ``metadata`` there.
DEFINITION_BACKREF: str = GraphQLCoreConverter.DEFINITION_BACKREF

# Converts a field's GraphQL argument values to the Python values its resolver takes (input types,
# enums, scalars), as strawberry does before calling a resolver: not exported by strawberry. Called as
# ``convert_arguments(values, field.arguments, schema.schema_converter.scalar_registry, schema.config)``.
convert_arguments = _convert_arguments


# --- Starlette / FastAPI: the request's JSON body (metadata/http.py) -------------------------------------
# The text check of a JSON body runs in the first dependency of every route, after FastAPI has read and
# decoded the body of a route that takes one (``await request.json()``, which Starlette caches on the
# request as ``_body`` and ``_json``). Starlette's public ``await request.body()`` would instead read a
# body nobody has read yet: the ingest's streamed body, whole, into memory.


def parsed_json_body(request: Request) -> tuple[bytes, Any] | None:
    """The request's body and its decoded JSON if FastAPI has already read and decoded them, else None
    (no JSON body, or one the endpoint streams itself)."""
    cached = request.__dict__
    body = cached.get("_body")
    if body and "_json" in cached:
        return body, cached["_json"]
    return None


# --- FastAPI: the full template of the route that served a request (metadata/observability.py) ----------
# The metrics and the access log name a request's route by its template. FastAPI 0.165 keeps an included
# router nested: the route it leaves in ``scope["route"]`` is the router's own ``APIRoute``, whose
# ``path`` lacks the prefix it was included under (``/project/`` for ``/api/v1/project/``), and only the
# undocumented ``fastapi.routing.iter_route_contexts`` pairs each such route with its full template.
# Versions that copy an included route with its full path (before 0.16x) have no such function: there
# the route's own template is the full one.


def route_templates(routes: Sequence[BaseRoute]) -> dict[int, str]:
    """``id()`` of every route object a request's ``scope["route"]`` may hold -> its full path template
    (``/api/v1/sample/{id}``; a mount's ``/static/web/{path}``)."""
    walk = getattr(fastapi_routing, "iter_route_contexts", None)
    if walk is None:
        return {}
    found: dict[int, str] = {}
    for context in walk(routes):
        template = context.path_format
        if isinstance(template, str):
            found.setdefault(id(context.original_route), template)
    return found
