"""Refusing abusive queries before they run, and stopping those that run too long.

A document is parsed with a token budget (the ``graphql_max_tokens`` setting), then measured by
``QueryLimitsRule`` before graphql-core's own rules run (``FastExecutor.prepare``). The cost of a query
estimates the objects it could return: every field costs 1, and the selection under a list field is
multiplied by that list's expected length (its ``first`` argument when given, else ``LIST_FACTOR``); a
connection (``xsConnection(first: n) { nodes }``) counts as its list. The seeds' queries cost a few
hundred; ten nested lists cost 10^10.

The measure follows execution: depth and cost are those of each response path (fields with one response
key merge, their selections too), and a fragment spread twice into one selection is counted once, as
graphql-core's ``collect_fields`` runs it once. Each fragment's own selections and each merged field's
subtree are measured once (memoised), so the measure is linear in the document however its fragments nest.
It also caps what makes graphql-core's ``OverlappingFieldsCanBeMerged`` quadratic: one response key
repeated, or many fragments, in one selection.

``query_deadline`` bounds a request's time: the executors call ``check_deadline`` as they go.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VisitorAction,
    is_composite_type,
)
from graphql.language.visitor import SKIP
from strawberry.extensions import SchemaExtension

from genolog.metadata.errors import BadRequest

MAX_DEPTH = 10
MAX_COST = 100_000
LIST_FACTOR = 10
# One response key selected more often than this in one selection is refused: graphql-core's check that
# such fields merge (OverlappingFieldsCanBeMerged) compares them pairwise, and 1,000 copies took seconds.
MAX_REPEATS = 50
# So are more fragments than this in one selection: that check also compares them pairwise.
MAX_FRAGMENTS = 100
# Fields looked at while measuring, at most: far more than any real query needs, and a bound on the time
# a document built to defeat the memoisation could take.
MAX_WORK = 200_000
# A document longer than this is refused before it is parsed (its tokens are bounded by a setting).
MAX_QUERY_LENGTH = 1_000_000


def _unwrap(type_: GraphQLOutputType) -> tuple[Any, bool]:
    """The named type under NonNull/List wrappers, and whether a list was among them."""
    is_list = False
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        is_list = is_list or isinstance(type_, GraphQLList)
        type_ = type_.of_type
    return type_, is_list


@dataclass
class _Selection:
    """The fields of a selection on one type, before its fragment spreads are expanded."""

    fields: list[tuple[GraphQLCompositeType, FieldNode]] = field(default_factory=list)
    spreads: list[str] = field(default_factory=list)


@dataclass
class Measure:
    """Depth (levels, counting the root selection as 1), cost, and the response key repeated most often
    in one selection with its count."""

    depth: int
    cost: int
    repeated: tuple[str, int] = ("", 0)
    fragments: int = 0  # the most fragments spread into one selection


class _TooComplex(Exception):
    """The measure itself took more than ``MAX_WORK`` steps."""


class _Measurer:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.schema = schema
        self.fragments = fragments
        self.work = 0
        self._fragment_selections: dict[str, _Selection] = {}
        self._subtrees: dict[tuple[tuple[int, ...], str], Measure] = {}
        self._measuring: set[tuple[tuple[int, ...], str]] = set()

    def selection(
        self, type_: GraphQLCompositeType, selection_sets: list[SelectionSetNode], in_connection: bool
    ) -> Measure:
        """The measure of a selection on ``type_`` (``in_connection``: its lists are already counted by
        the connection's length)."""
        collected = _Selection()
        for selection_set in selection_sets:
            self._gather(type_, selection_set, collected)
        expanded: set[str] = set()
        while collected.spreads:  # each fragment once per selection, however often it is spread
            name = collected.spreads.pop()
            if name in expanded or name not in self.fragments:  # unknown: other rules report it
                continue
            expanded.add(name)
            if len(expanded) > MAX_FRAGMENTS:  # no need to look further
                break
            own = self._fragment_selection(name, type_)
            collected.fields.extend(own.fields)
            collected.spreads.extend(own.spreads)
        self.work += len(collected.fields)
        if self.work > MAX_WORK:
            raise _TooComplex
        # fields with one response key merge into one, their selections too, as execution merges them
        by_key: dict[str, dict[str, list[FieldNode]]] = {}
        parents: dict[str, GraphQLCompositeType] = {}
        for parent, node in collected.fields:
            key = node.alias.value if node.alias else node.name.value
            by_key.setdefault(key, {}).setdefault(parent.name, []).append(node)
            parents[parent.name] = parent
        result = Measure(1, 0, fragments=len(expanded))
        for key, by_parent in by_key.items():
            count = sum(map(len, by_parent.values()))
            if count > result.repeated[1]:
                result.repeated = (key, count)
            result.cost += 1
            for parent_name, nodes in by_parent.items():  # on a union, each member's fields: all counted
                sub = self._subtree(parents[parent_name], nodes)
                if sub is None:
                    continue
                sub_measure, is_list, is_connection = sub
                counted = is_connection or (is_list and not in_connection)
                result.cost += sub_measure.cost * (_list_length(nodes[0]) if counted else 1)
                result.depth = max(result.depth, 1 + sub_measure.depth)
                if sub_measure.repeated[1] > result.repeated[1]:
                    result.repeated = sub_measure.repeated
                result.fragments = max(result.fragments, sub_measure.fragments)
        return result

    def _gather(self, type_: GraphQLCompositeType, selection_set: SelectionSetNode, into: _Selection) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                into.fields.append((type_, selection))
            elif isinstance(selection, InlineFragmentNode):
                self._gather(self._condition(selection, type_), selection.selection_set, into)
            elif isinstance(selection, FragmentSpreadNode):
                into.spreads.append(selection.name.value)

    def _condition(
        self, fragment: InlineFragmentNode | FragmentDefinitionNode, type_: GraphQLCompositeType
    ) -> GraphQLCompositeType:
        """The type a fragment's fields are looked up on: its condition, else the enclosing type."""
        if fragment.type_condition is None:
            return type_
        named = self.schema.get_type(fragment.type_condition.name.value)
        return named if is_composite_type(named) else type_

    def _fragment_selection(self, name: str, type_: GraphQLCompositeType) -> _Selection:
        own = self._fragment_selections.get(name)
        if own is None:
            fragment = self.fragments[name]
            own = _Selection()
            self._gather(self._condition(fragment, type_), fragment.selection_set, own)
            self._fragment_selections[name] = own
        return _Selection(own.fields, list(own.spreads))

    def _subtree(
        self, parent: GraphQLCompositeType, nodes: list[FieldNode]
    ) -> tuple[Measure, bool, bool] | None:
        """The measure under merged fields with selections (memoised per fields and type), whether the
        field is a list, and whether it is a connection."""
        selection_sets = [n.selection_set for n in nodes if n.selection_set is not None]
        if not selection_sets or not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return None
        definition = parent.fields.get(nodes[0].name.value)
        if definition is None:
            return None
        inner, is_list = _unwrap(definition.type)
        if not is_composite_type(inner):
            return None
        is_connection = inner.name.endswith("Connection")
        key = (tuple(map(id, nodes)), parent.name)
        measured = self._subtrees.get(key)
        if measured is None:
            if key in self._measuring:  # a fragment cycle: NoFragmentCyclesRule reports it
                return None
            self._measuring.add(key)
            measured = self.selection(inner, selection_sets, is_connection)
            self._measuring.discard(key)
            self._subtrees[key] = measured
        return measured, is_list, is_connection


def _list_length(node: FieldNode) -> int:
    for argument in node.arguments or ():
        if argument.name.value == "first" and isinstance(argument.value, IntValueNode):
            value = int(argument.value.value)
            if value < 2**31:  # beyond GraphQL's Int: graphql-core's rules report it
                return max(1, value)
    return LIST_FACTOR


class QueryLimitsRule(ValidationRule):
    """Reports operations deeper than ``MAX_DEPTH``, costlier than ``MAX_COST``, or selecting one response
    key more than ``MAX_REPEATS`` times or more than ``MAX_FRAGMENTS`` fragments in one selection."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        fragments = {
            d.name.value: d for d in context.document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.measurer = _Measurer(context.schema, fragments)

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> VisitorAction:
        schema = self.context.schema
        root = {"query": schema.query_type, "mutation": schema.mutation_type}.get(node.operation.value)
        if root is None:
            return SKIP
        name = f"'{node.name.value}' " if node.name else ""
        try:
            measure = self.measurer.selection(root, [node.selection_set], False)
        except _TooComplex:
            self.report_error(
                GraphQLError(
                    f"Query {name}is too complex to run: it expands to over {MAX_WORK:,} fields", node
                )
            )
            return SKIP
        if measure.depth > MAX_DEPTH:
            self.report_error(
                GraphQLError(f"Query {name}is {measure.depth} levels deep; the limit is {MAX_DEPTH}", node)
            )
        if measure.cost > MAX_COST:
            self.report_error(
                GraphQLError(
                    f"Query {name}could return about {measure.cost:,} objects; the limit is {MAX_COST:,}. "
                    "Ask for fewer nested lists, or page with first/after.",
                    node,
                )
            )
        key, count = measure.repeated
        if count > MAX_REPEATS:
            self.report_error(
                GraphQLError(
                    f"Query {name}selects '{key}' {count} times in one selection; the limit is "
                    f"{MAX_REPEATS}. Give each copy its own alias, or merge them into one.",
                    node,
                )
            )
        if measure.fragments > MAX_FRAGMENTS:
            self.report_error(
                GraphQLError(
                    f"Query {name}spreads more than {MAX_FRAGMENTS} fragments into one selection; "
                    "merge some of them.",
                    node,
                )
            )
        return SKIP


class QueryTimeout(BadRequest):
    """A query ran past its time limit: the caller is to ask for less."""


_deadline: ContextVar[tuple[float, float] | None] = ContextVar("graphql_deadline", default=None)


@contextmanager
def query_deadline(seconds: float) -> Iterator[None]:
    """Within this block ``check_deadline`` raises ``QueryTimeout`` once ``seconds`` have passed."""
    token = _deadline.set((time.monotonic() + seconds, seconds))
    try:
        yield
    finally:
        _deadline.reset(token)


def deadline_at() -> float:
    """The current deadline on the ``time.monotonic`` clock (infinity without one)."""
    deadline = _deadline.get()
    return math.inf if deadline is None else deadline[0]


def remaining_time() -> float | None:
    """Seconds left before the current deadline (None without one)."""
    deadline = _deadline.get()
    return None if deadline is None else deadline[0] - time.monotonic()


def deadline_passed() -> bool:
    left = remaining_time()
    return left is not None and left <= 0


def timeout_error() -> QueryTimeout:
    deadline = _deadline.get()
    limit = f" of {deadline[1]:g} s" if deadline is not None else ""
    return QueryTimeout(
        f"The query ran past the time limit{limit} and was stopped. "
        "Ask for less: fewer nested lists, or smaller pages with first/after."
    )


def check_deadline() -> None:
    if deadline_passed():
        raise timeout_error()


class StopAtDeadline(SchemaExtension):
    """Strawberry's executor (mutations, introspection, what the fast executor leaves) looks at the
    request's deadline before each field it resolves."""

    def resolve(self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        check_deadline()
        return _next(root, info, *args, **kwargs)
