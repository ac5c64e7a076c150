"""A lean executor for read queries: the same resolvers as strawberry, without its per-field machinery.

graphql-core and strawberry build a resolve-info object, wrappers, extensions and type checks for each
field they resolve, which costs more than the SQL on large answers (benchmarks/README.md). Our resolvers
need none of that: object fields are attributes or plain methods
on the node classes, and relations are batched per level (``context.Siblings``). This executor
walks a validated query's selections and calls those attributes and methods directly.

It answers queries only, and gives up (returns ``None``) on anything it does not handle (mutations,
introspection, abstract types, any error), so that the caller runs the same request through
strawberry, which then reports errors with GraphQL's exact semantics. Both paths share every
resolver, so they cannot disagree about data; the tests run each query through both.
"""

from __future__ import annotations

import datetime
import functools
import operator
import sys
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from time import monotonic
from typing import Any

import orjson
import strawberry
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
)
from graphql.execution.values import get_argument_values, get_directive_values, get_variable_values
from graphql.type.directives import GraphQLIncludeDirective, GraphQLSkipDirective

from genolog.metadata._thirdparty import DEFINITION_BACKREF, convert_arguments, graphql_core_schema
from genolog.metadata.graphql.limits import (
    MAX_QUERY_LENGTH,
    QueryLimitsRule,
    QueryTimeout,
    deadline_at,
    deadline_passed,
    timeout_error,
)

PASS_THROUGH_SCALARS = frozenset({"String", "Int", "Float", "Boolean", "ID", "JSON"})


class Unsupported(Exception):
    """The query uses something this executor leaves to strawberry."""


@dataclass(frozen=True)
class _Info:
    """What our resolvers read from strawberry's ``Info``: only ``context``."""

    context: Any


@dataclass(frozen=True)
class Prepared:
    """A request's document, parsed and validated, or the errors that refuse it."""

    document: DocumentNode | None
    errors: list[GraphQLError]
    size: int  # estimated bytes held in memory, for the cache's bound

    def operation(self, name: str | None) -> OperationDefinitionNode | None:
        return None if self.document is None else get_operation_ast(self.document, name)


# The document cache holds at most this many estimated bytes (a parsed document keeps each token and node
# in memory, some 450 bytes a token), and skips documents estimated at over a sixteenth of it.
CACHE_BYTES = 32 * 1024 * 1024
_BYTES_PER_TOKEN = 500
DEFAULT_MAX_TOKENS = 10_000  # as ServerSettings.graphql_max_tokens


class FastExecutor:
    def __init__(
        self, schema: strawberry.Schema, cache_size: int = 256, cache_bytes: int = CACHE_BYTES
    ) -> None:
        self.schema = schema
        self.core = graphql_core_schema(schema)
        self._cache: OrderedDict[tuple[str, int], Prepared] = OrderedDict()
        self._cache_size = cache_size
        self._cache_bytes = cache_bytes
        self.cached_bytes = 0

    @property
    def cached_documents(self) -> int:
        return len(self._cache)

    def prepare(self, query: str, max_tokens: int = DEFAULT_MAX_TOKENS) -> Prepared:
        """Parse and validate once per distinct query text (the seeds send the same text again and again).

        At most ``max_tokens`` tokens are parsed. The limits (``QueryLimitsRule``) are checked before
        graphql-core's own rules, which are not linear in the document and run only on what passes."""
        key = (query, max_tokens)
        prepared = self._cache.get(key)
        if prepared is not None:
            self._cache.move_to_end(key)
            return prepared
        prepared = self._parse_and_validate(query, max_tokens)
        if prepared.size <= self._cache_bytes // 16:
            self._cache[key] = prepared
            self.cached_bytes += prepared.size
            while len(self._cache) > self._cache_size or self.cached_bytes > self._cache_bytes:
                self.cached_bytes -= self._cache.popitem(last=False)[1].size
        return prepared

    def _parse_and_validate(self, query: str, max_tokens: int) -> Prepared:
        if len(query) > MAX_QUERY_LENGTH:
            error = GraphQLError(
                f"The query is {len(query):,} characters long; the limit is {MAX_QUERY_LENGTH:,}. "
                "Pass long lists of values as variables."
            )
            return Prepared(None, [error], sys.getsizeof(query))
        try:
            document = parse(query, max_tokens=max_tokens)
        except GraphQLError as e:
            return Prepared(None, [e], sys.getsizeof(query))
        errors = validate(self.core, document, [QueryLimitsRule]) or validate(
            self.core, document, specified_rules
        )
        return Prepared(document, list(errors), sys.getsizeof(query) + _BYTES_PER_TOKEN * _tokens(document))

    def operation_type(self, query: str, operation_name: str | None) -> OperationType | None:
        """The operation a request would run (None when it does not parse or name one)."""
        operation = self.prepare(query).operation(operation_name)
        return operation.operation if operation is not None else None

    def execute(
        self,
        query: str | Prepared,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        context: Any,
    ) -> dict[str, Any] | None:
        """The ``data`` of a successful read query, or ``None`` to run it the full way instead.

        Raises ``QueryTimeout`` once the request's deadline (``limits.query_deadline``) has passed."""
        prepared = self.prepare(query) if isinstance(query, str) else query
        if prepared.document is None or prepared.errors:
            return None
        operation = prepared.operation(operation_name)
        if operation is None or operation.operation != OperationType.QUERY:
            return None
        coerced = get_variable_values(self.core, operation.variable_definitions or (), variables or {})
        if isinstance(coerced, list):
            return None
        fragments = {
            d.name.value: d for d in prepared.document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        walk = _Walk(self, fragments, coerced, _Info(context))
        root_type = self.core.query_type
        assert root_type is not None
        try:
            return walk.object(None, root_type, [operation.selection_set])
        except QueryTimeout:
            raise
        except Unsupported:
            return None
        except Exception:
            if deadline_passed():  # a statement cancelled at the deadline: strawberry would only repeat it
                raise timeout_error() from None
            return None

    def getter(
        self, type_: GraphQLObjectType, name: str, field: GraphQLField, raw_args: dict[str, Any], info: _Info
    ) -> Getter:
        """How to get a field's value from a node, as a one-argument function: an attribute, or the
        resolver method with the query's arguments (converted to Python once per selection: every row of
        a list gets the same ones) and ``info`` where it asks for it."""
        definition = (field.extensions or {}).get(DEFINITION_BACKREF)
        if definition is None or name.startswith("__"):
            raise Unsupported(name)
        raw_attribute = (definition.metadata or {}).get("raw_json")
        if raw_attribute:  # JSON kept as text: embed it in the answer as it is, never parsed
            text_of = operator.attrgetter(raw_attribute)

            def raw_json(node: Any) -> Any:
                text = text_of(node)
                return None if text is None else orjson.Fragment(text)

            return raw_json
        base = definition.base_resolver
        if base is None:  # C-level getters: these run once per field of every row
            return operator.attrgetter(definition.python_name)
        kwargs = (
            convert_arguments(
                raw_args,
                definition.arguments,
                self.schema.schema_converter.scalar_registry,
                self.schema.config,
            )
            if raw_args
            else {}
        )
        if base.info_parameter is not None:
            kwargs[base.info_parameter.name] = info
        function: Getter = base.wrapped_func
        return functools.partial(function, **kwargs) if kwargs else function


class _Walk:
    def __init__(
        self,
        executor: FastExecutor,
        fragments: dict[str, FragmentDefinitionNode],
        variables: Any,
        info: _Info,
    ):
        self.executor = executor
        self.fragments = fragments
        self.variables = variables
        self.info = info
        self.deadline = deadline_at()
        self._plans: dict[tuple[str, tuple[int, ...]], list[_Step]] = {}

    def _included(self, node: FieldNode | FragmentSpreadNode | InlineFragmentNode) -> bool:
        if not node.directives:
            return True
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include and include.get("if") is False)

    def _collect(
        self, type_: GraphQLObjectType, selection_sets: list[SelectionSetNode]
    ) -> dict[str, list[FieldNode]]:
        fields: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()  # as graphql-core's collect_fields: a fragment once per selection

        def visit(selection_set: SelectionSetNode) -> None:
            for selection in selection_set.selections:
                if not self._included(selection):  # type: ignore[arg-type]
                    continue
                if isinstance(selection, FieldNode):
                    key = selection.alias.value if selection.alias else selection.name.value
                    fields.setdefault(key, []).append(selection)
                elif isinstance(selection, InlineFragmentNode):
                    condition = selection.type_condition
                    if condition is not None and condition.name.value != type_.name:
                        raise Unsupported(condition.name.value)
                    visit(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    if name in visited:
                        continue
                    visited.add(name)
                    fragment = self.fragments[name]
                    if fragment.type_condition.name.value != type_.name:
                        raise Unsupported(name)  # on an interface or union: strawberry decides
                    visit(fragment.selection_set)

        for selection_set in selection_sets:
            visit(selection_set)
        return fields

    def object(
        self, node: Any, type_: GraphQLObjectType, selection_sets: list[SelectionSetNode]
    ) -> dict[str, Any]:
        return {key: step(node) for key, step in self._plan(type_, selection_sets)}

    def _plan(self, type_: GraphQLObjectType, selection_sets: list[SelectionSetNode]) -> list[_Step]:
        """How to answer a selection on a type: for each response key, a function from a node to the
        key's finished JSON value (its getter, followed by its completer unless that does nothing).

        Built once per request and selection; every row of a list reuses it, so a row costs one call per
        field."""
        key = (type_.name, tuple(id(s) for s in selection_sets))
        plan = self._plans.get(key)
        if plan is not None:
            return plan
        plan = []
        for response_key, nodes in self._collect(type_, selection_sets).items():
            name = nodes[0].name.value
            if name == "__typename":
                plan.append((response_key, _typename(type_.name)))
                continue
            field = type_.fields.get(name)
            if field is None:
                raise Unsupported(name)
            args = get_argument_values(field, nodes[0], self.variables) if field.args else {}
            getter = self.executor.getter(type_, name, field, args, self.info)
            plan.append((response_key, _then(getter, self._completer(field.type, nodes))))
        self._plans[key] = plan
        return plan

    def _completer(self, type_: GraphQLOutputType, nodes: list[FieldNode]) -> Callable[[Any], Any] | None:
        """Turns a resolved value into its JSON form for this output type (``None``: it already is)."""
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if isinstance(type_, GraphQLList):
            item = self._completer(type_.of_type, nodes)
            if item is None:
                return lambda value: None if value is None else list(value)
            return lambda value: None if value is None else [item(v) for v in value]
        if isinstance(type_, GraphQLObjectType):
            object_type = type_
            selection_sets = [n.selection_set for n in nodes if n.selection_set]
            plans: list[list[_Step]] = []  # planned on first use, then shared by every row
            deadline = self.deadline

            def complete_object(value: Any) -> Any:
                if value is None:
                    return None
                if monotonic() > deadline:
                    raise timeout_error()
                if not plans:
                    plans.append(self._plan(object_type, selection_sets))
                return {key: step(value) for key, step in plans[0]}

            return complete_object
        if isinstance(type_, GraphQLScalarType):
            if type_.name in PASS_THROUGH_SCALARS:
                return None
            scalar = type_
            return lambda value: None if value is None else _serialize_scalar(scalar, value)
        if isinstance(type_, GraphQLEnumType):
            enum_type = type_
            return lambda value: None if value is None else enum_type.serialize(value)
        raise Unsupported(str(type_))  # interfaces and unions


Getter = Callable[[Any], Any]
_Step = tuple[str, Getter]


def _then(getter: Getter, complete: Callable[[Any], Any] | None) -> Getter:
    if complete is None:
        return getter
    return lambda node: complete(getter(node))


def _typename(name: str) -> Getter:
    return lambda _node: name


def _serialize_scalar(scalar: GraphQLScalarType, value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return scalar.serialize(value)


def _tokens(document: DocumentNode) -> int:
    """The tokens of a parsed document (it keeps them all, linked, in memory)."""
    count, token = 0, document.loc.start_token if document.loc else None
    while token is not None:
        count, token = count + 1, token.next
    return count
