"""Refusing abusive queries before they run: a depth limit and a cost limit, as validation rules.

The cost of a query estimates the objects it could return: every field costs 1, and the selection
under a list field is multiplied by that list's expected length (its ``first`` argument when given,
else ``LIST_FACTOR``); a connection (``xsConnection(first: n) { nodes }``) counts as its list. The seeds'
queries cost a few hundred; ten nested lists cost 10^10.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)

MAX_DEPTH = 10
MAX_COST = 100_000
LIST_FACTOR = 10


def _unwrap(type_: GraphQLOutputType) -> tuple[Any, bool]:
    """The named type under NonNull/List wrappers, and whether a list was among them."""
    is_list = False
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        is_list = is_list or isinstance(type_, GraphQLList)
        type_ = type_.of_type
    return type_, is_list


class QueryLimitsRule(ValidationRule):
    """Reports operations deeper than ``MAX_DEPTH`` or costlier than ``MAX_COST``."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.fragments = {
            d.name.value: d for d in context.document.definitions if isinstance(d, FragmentDefinitionNode)
        }

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
        schema = self.context.schema
        root = {"query": schema.query_type, "mutation": schema.mutation_type}.get(node.operation.value)
        if root is None:
            return
        depth, cost = self._measure(root, node.selection_set, 1, set())
        name = f"'{node.name.value}' " if node.name else ""
        if depth > MAX_DEPTH:
            self.report_error(
                GraphQLError(f"Query {name}is {depth} levels deep; the limit is {MAX_DEPTH}", node)
            )
        if cost > MAX_COST:
            self.report_error(
                GraphQLError(
                    f"Query {name}could return about {cost:,} objects; the limit is {MAX_COST:,}. "
                    "Ask for fewer nested lists, or page with first/after.",
                    node,
                )
            )

    def _measure(
        self,
        type_: GraphQLObjectType,
        selection_set: SelectionSetNode,
        depth: int,
        visiting: set[str],
        in_connection: bool = False,
    ) -> tuple[int, int]:
        """(deepest level, cost) of a selection on ``type_`` (``in_connection``: its lists are already
        counted by the connection's length)."""
        deepest, cost = depth, 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                field = type_.fields.get(selection.name.value) if hasattr(type_, "fields") else None
                cost += 1
                if field is None or selection.selection_set is None:
                    continue
                inner, is_list = _unwrap(field.type)
                if not isinstance(inner, GraphQLObjectType):
                    continue
                is_connection = inner.name.endswith("Connection")
                sub_depth, sub_cost = self._measure(
                    inner, selection.selection_set, depth + 1, visiting, is_connection
                )
                deepest = max(deepest, sub_depth)
                counted = is_connection or (is_list and not in_connection)
                cost += sub_cost * (self._list_length(selection) if counted else 1)
            else:
                if isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.fragments.get(name)
                    if fragment is None or name in visiting:  # unknown or cyclic: other rules report it
                        continue
                    sub_set, visiting = fragment.selection_set, visiting | {name}
                elif isinstance(selection, InlineFragmentNode):
                    sub_set = selection.selection_set
                else:
                    continue
                sub_depth, sub_cost = self._measure(type_, sub_set, depth, visiting, in_connection)
                deepest, cost = max(deepest, sub_depth), cost + sub_cost
        return deepest, cost

    @staticmethod
    def _list_length(node: FieldNode) -> int:
        for argument in node.arguments or ():
            if argument.name.value == "first" and isinstance(argument.value, IntValueNode):
                return max(1, int(argument.value.value))
        return LIST_FACTOR
