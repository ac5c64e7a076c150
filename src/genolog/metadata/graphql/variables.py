"""A request's variable values checked before it runs, with the messages Metamist's GraphQL answers.

Metamist's server runs on graphql-core 3.2, whose messages clients see (and some match):
``Variable '$p' of required type 'String!' was not provided.``, ``Variable '$p' of non-null type 'String!'
must not be null.``, ``Variable '$f' got invalid value 'x' at 'f.eq'; Int cannot represent non-integer
value: 'x'``. genolog's graphql-core (3.3) words the same checks differently (``Variable '$p' has invalid
value: ...``), so the router checks the variables here first, in 3.2's words; what passes here is coerced
by graphql-core as before.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    Undefined,
    VariableDefinitionNode,
    is_input_type,
    type_from_ast,
)
from graphql.pyutils import did_you_mean, inspect, suggestion_list

Path = list[str | int]


def variable_errors(
    schema: GraphQLSchema, definitions: Collection[VariableDefinitionNode], values: Mapping[str, Any]
) -> list[GraphQLError]:
    """The errors of the operation's variable ``values``, each located at its variable's definition."""
    errors: list[GraphQLError] = []
    for definition in definitions:
        name = definition.variable.name.value
        var_type = type_from_ast(schema, definition.type)
        if var_type is None or not is_input_type(var_type):
            continue  # an unknown or output type: the document's validation has said so already
        if name not in values:
            if definition.default_value is None and isinstance(var_type, GraphQLNonNull):
                errors.append(
                    GraphQLError(
                        f"Variable '${name}' of required type '{inspect(var_type)}' was not provided.",
                        definition,
                    )
                )
            continue
        value = values[name]
        if value is None and isinstance(var_type, GraphQLNonNull):
            errors.append(
                GraphQLError(
                    f"Variable '${name}' of non-null type '{inspect(var_type)}' must not be null.", definition
                )
            )
            continue
        try:
            problems = _problems(value, var_type, [])
        except RecursionError:  # nested too deeply to walk: graphql-core's own check reports it
            continue
        for path, invalid, message in problems:
            where = f" at '{name}{_printed(path)}'" if path else ""
            errors.append(
                GraphQLError(
                    f"Variable '${name}' got invalid value {inspect(invalid)}{where}; {message}", definition
                )
            )
    return errors


def _printed(path: Path) -> str:
    return "".join(f"[{key}]" if isinstance(key, int) else f".{key}" for key in path)


def _problems(value: Any, type_: GraphQLInputType, path: Path) -> list[tuple[Path, Any, str]]:
    """(path, the value there, message) for each part of ``value`` that ``type_`` does not accept."""
    if isinstance(type_, GraphQLNonNull):
        if value is None:
            return [(path, value, f"Expected non-nullable type '{inspect(type_)}' not to be None.")]
        return _problems(value, type_.of_type, path)
    if value is None:
        return []
    if isinstance(type_, GraphQLList):
        if isinstance(value, list | tuple):
            return [p for i, item in enumerate(value) for p in _problems(item, type_.of_type, [*path, i])]
        return _problems(value, type_.of_type, path)  # a single value is a list of one
    if isinstance(type_, GraphQLInputObjectType):
        return _object_problems(value, type_, path)
    assert isinstance(type_, GraphQLScalarType | GraphQLEnumType)
    return _leaf_problems(value, type_, path)


def _object_problems(value: Any, type_: GraphQLInputObjectType, path: Path) -> list[tuple[Path, Any, str]]:
    if not isinstance(value, dict):
        return [(path, value, f"Expected type '{type_.name}' to be a mapping.")]
    found: list[tuple[Path, Any, str]] = []
    for field_name, field in type_.fields.items():
        if field_name in value:
            found += _problems(value[field_name], field.type, [*path, field_name])
        elif field.default_value is Undefined and isinstance(field.type, GraphQLNonNull):
            found.append(
                (
                    path,
                    value,
                    f"Field '{field_name}' of required type '{inspect(field.type)}' was not provided.",
                )
            )
    for field_name in value:
        if field_name not in type_.fields:
            hint = did_you_mean(suggestion_list(field_name, list(type_.fields)))
            found.append((path, value, f"Field '{field_name}' is not defined by type '{type_.name}'.{hint}"))
    return found


def _leaf_problems(
    value: Any, type_: GraphQLScalarType | GraphQLEnumType, path: Path
) -> list[tuple[Path, Any, str]]:
    """A scalar's or an enum's ``parse_value`` decides (a GraphQLError's message is shown as it is)."""
    name = type_.name
    try:
        parsed = type_.parse_value(value)
    except GraphQLError as error:
        return [(path, value, error.message)]
    except Exception as error:
        return [(path, value, f"Expected type '{name}'. {error}")]
    if parsed is Undefined:
        return [(path, value, f"Expected type '{name}'.")]
    return []
