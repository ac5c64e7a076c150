"""The published metamist schema is the contract: every type, field and argument it has, ours has too,
with the same type (genolog may add fields and optional arguments, such as pagination)."""

from __future__ import annotations

from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    build_schema,
)

from genolog.metadata.graphql.query import schema


def published_schema_text(python: Path) -> str:
    [found] = (python.parent.parent / "lib").glob("python3*/site-packages/metamist/graphql/schema.graphql")
    return found.read_text()


KINDS = (GraphQLObjectType, GraphQLInputObjectType, GraphQLEnumType, GraphQLUnionType, GraphQLScalarType)


def _kind(type_: object) -> str:
    return next((k.__name__ for k in KINDS if isinstance(type_, k)), type(type_).__name__)


def differences(contract_text: str) -> list[str]:
    contract, ours = build_schema(contract_text), schema._schema
    problems = []
    for name, expected in contract.type_map.items():
        if name.startswith("__"):
            continue
        actual = ours.type_map.get(name)
        if actual is None or _kind(actual) != _kind(expected):
            problems.append(f"type {name}: missing or of another kind")
            continue
        if isinstance(expected, GraphQLObjectType | GraphQLInputObjectType):
            for field_name, field in expected.fields.items():
                mine = actual.fields.get(field_name)  # type: ignore[union-attr]
                if mine is None:
                    problems.append(f"{name}.{field_name}: missing")
                    continue
                if str(mine.type) != str(field.type):
                    problems.append(f"{name}.{field_name}: {mine.type}, not {field.type}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    my_arg = mine.args.get(arg_name)
                    if my_arg is None or str(my_arg.type) != str(arg.type):
                        problems.append(f"{name}.{field_name}({arg_name}): missing or not {arg.type}")
                for arg_name, my_arg in getattr(mine, "args", {}).items():
                    if arg_name not in field.args and str(my_arg.type).endswith("!"):
                        problems.append(
                            f"{name}.{field_name}({arg_name}): an extra argument must be optional"
                        )
        elif isinstance(expected, GraphQLEnumType):
            if set(expected.values) != set(actual.values):  # type: ignore[union-attr]
                problems.append(f"enum {name}: {sorted(actual.values)} not {sorted(expected.values)}")  # type: ignore[union-attr]
        elif isinstance(expected, GraphQLUnionType):
            mine_types = {t.name for t in actual.types}  # type: ignore[union-attr]
            if mine_types != {t.name for t in expected.types}:
                problems.append(f"union {name}: {sorted(mine_types)}")
    return problems


def test_every_type_field_and_argument_of_the_published_schema_is_served(metamist_python: Path) -> None:
    assert differences(published_schema_text(metamist_python)) == []


def test_the_comparison_notices_a_missing_field() -> None:
    contract = "type Query { viewer: GraphQLViewer! }\ntype GraphQLViewer { username: String! shoeSize: Int }"
    assert differences(contract) == ["GraphQLViewer.shoeSize: missing"]
