"""The private third-party APIs ``genolog.metadata._thirdparty`` uses still work as it uses them: an upgrade
that removes or changes one fails here, naming the library and the installed version."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import strawberry
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.testclient import TestClient
from graphql import GraphQLObjectType, GraphQLSchema, get_argument_values, parse
from pydantic import BaseModel
from strawberry.types import Info

from genolog.metadata import _thirdparty


@contextmanager
def private_api_of(what: str, *libraries: str) -> Iterator[None]:
    """Fail naming the libraries, their installed versions and the use that broke, whatever the error."""
    try:
        yield
    except Exception as error:
        named = " / ".join(map(_thirdparty.installed, libraries))
        pytest.fail(
            f"{named} changed a private API genolog uses ({what}): "
            f"{type(error).__name__}: {error}. Fix genolog/metadata/_thirdparty.py (and the pin in "
            "pyproject.toml) for this version.",
            pytrace=False,
        )


# --- strawberry ------------------------------------------------------------------------------------------


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.input
class Paint:
    colour: Colour
    coats: int = 1


@strawberry.type
class Query:
    plain: int = 7

    @strawberry.field
    def painted(self, info: Info, paint: Paint) -> str:
        return f"{paint.colour.value} x{paint.coats}"


def test_strawberry_keeps_the_graphql_core_schema_and_field_definitions() -> None:
    schema = strawberry.Schema(query=Query)
    with private_api_of("Schema._schema, the graphql-core schema", "strawberry-graphql"):
        core = _thirdparty.graphql_core_schema(schema)
        assert isinstance(core, GraphQLSchema)
        query = core.query_type
        assert isinstance(query, GraphQLObjectType)
        assert set(query.fields) == {"plain", "painted"}
    with private_api_of("the strawberry field in a graphql-core field's extensions", "strawberry-graphql"):
        plain = query.fields["plain"].extensions[_thirdparty.DEFINITION_BACKREF]
        assert plain.base_resolver is None
        assert plain.python_name == "plain"
        assert not plain.metadata
        painted = query.fields["painted"].extensions[_thirdparty.DEFINITION_BACKREF]
        resolver = painted.base_resolver
        assert resolver.info_parameter is not None and resolver.info_parameter.name == "info"
        assert resolver.wrapped_func.__name__ == "painted"
        assert [a.python_name for a in painted.arguments] == ["paint"]
    with private_api_of("strawberry.types.arguments.convert_arguments", "strawberry-graphql"):
        # as the lean executor calls it: on the values graphql-core coerced from the query
        document = parse("{ painted(paint: {colour: BLUE, coats: 2}) }")
        node = document.definitions[0].selection_set.selections[0]  # type: ignore[attr-defined]
        kwargs = _thirdparty.convert_arguments(
            get_argument_values(query.fields["painted"], node),
            painted.arguments,
            schema.schema_converter.scalar_registry,
            schema.config,
        )
        assert kwargs["paint"] == Paint(colour=Colour.BLUE, coats=2)
        assert resolver.wrapped_func(Query(), info=None, **kwargs) == "blue x2"


# --- Starlette / FastAPI ---------------------------------------------------------------------------------


class Body(BaseModel):
    name: str


def _app() -> tuple[FastAPI, list[Any]]:
    seen: list[Any] = []

    async def first_dependency(request: Request) -> None:
        seen.append(_thirdparty.parsed_json_body(request))

    app = FastAPI()

    @app.post("/model")
    def with_body(body: Body, _: None = Depends(first_dependency)) -> dict[str, str]:
        return {"name": body.name}

    @app.post("/stream")
    async def streamed(request: Request, _: None = Depends(first_dependency)) -> dict[str, int]:
        return {"bytes": sum([len(chunk) async for chunk in request.stream()])}

    return app, seen


def test_fastapi_leaves_the_json_body_it_decoded_on_the_request() -> None:
    app, seen = _app()
    what = "the JSON body FastAPI decoded before the dependencies, cached as Request._body and ._json"
    with private_api_of(what, "fastapi", "starlette"), TestClient(app) as client:
        assert client.post("/model", json={"name": "x"}).json() == {"name": "x"}
        assert seen.pop() == (b'{"name":"x"}', {"name": "x"})
        # a body the endpoint streams itself is not read ahead of it
        assert client.post("/stream", content=b'{"name": "x"}').json() == {"bytes": 13}
        assert seen.pop() is None
        # nor is a body FastAPI does not decode as JSON
        response = client.post("/model", content=b"name=x", headers={"content-type": "text/plain"})
        assert response.status_code == 422
        assert seen.pop() is None


def test_fastapi_pairs_an_included_route_with_its_full_template() -> None:
    inner = APIRouter(prefix="/thing")

    @inner.get("/{thing_id}/parts")
    def parts(thing_id: int) -> list[int]:
        return [thing_id]

    app = FastAPI()
    app.include_router(inner, prefix="/api/v1")
    seen: list[Any] = []

    @app.middleware("http")
    async def keep_route(request: Request, call_next: Any) -> Any:
        response = await call_next(request)
        seen.append(request.scope.get("route"))
        return response

    with (
        private_api_of("fastapi.routing.iter_route_contexts", "fastapi", "starlette"),
        TestClient(app) as client,
    ):
        assert client.get("/api/v1/thing/3/parts").json() == [3]
        templates = _thirdparty.route_templates(app.routes)
        served = seen.pop()
        assert templates.get(id(served), getattr(served, "path", None)) == "/api/v1/thing/{thing_id}/parts"
