"""Walking a GraphQL schema from its introspection: selection trees that reach every edge, split into
queries the server's limits accept, and a scan of the answers for another project's data.

An *edge* is a (type, field) pair, or a (union, member) pair. From an entry point (a root field or a
mutation's payload), ``selection`` builds one tree in breadth-first order: every object it reaches
selects all its leaf fields (so whatever object comes back shows its ids, external ids and meta), and
the first time the tree arrives at a type it also follows every object field of that type, down to
``levels`` below the entry point. So each edge is reached at least once from each entry point, at the
shallowest level the schema allows, and a new field or type is walked without anyone editing the tests.
(Following each type once per edge leading into it instead costs four times the queries, and found the
same leaks.) ``split`` cuts a tree into pieces whose depth and cost (as
``genolog.metadata.graphql.limits`` measures them) the server accepts.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLField,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLUnionType,
    Undefined,
    build_client_schema,
    get_introspection_query,
)

from genolog.metadata.graphql.limits import LIST_FACTOR

Edge = tuple[str, str]


def schema_from(introspection: Any) -> GraphQLSchema:
    """The schema an introspection answer (its ``data``) describes."""
    return build_client_schema(introspection)


INTROSPECTION_QUERY = get_introspection_query(descriptions=False)


def unwrap(type_: GraphQLOutputType | GraphQLInputType) -> tuple[GraphQLNamedType, bool]:
    """The named type under NonNull/List wrappers, and whether a list was among them."""
    is_list = False
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        is_list = is_list or isinstance(type_, GraphQLList)
        type_ = type_.of_type
    return type_, is_list


def is_composite(type_: GraphQLNamedType) -> bool:
    return isinstance(type_, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)


def required(argument: GraphQLArgument) -> bool:
    return isinstance(argument.type, GraphQLNonNull) and argument.default_value is Undefined


@dataclass
class Node:
    """One field in a selection (or, with ``member`` set, an inline fragment ``... on member``)."""

    name: str
    type_name: str
    is_list: bool = False
    alias: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)
    member: str | None = None  # an inline fragment on this member of a union or interface
    prefix: str = ""  # fields inside a union member are aliased with it, as members' fields may clash

    @property
    def key(self) -> str:
        return self.alias or self.name

    @property
    def is_connection(self) -> bool:
        return self.type_name.endswith("Connection")

    def edges(self) -> Iterator[Edge]:
        """Every (type, field) and (union, member) edge this selection reaches."""
        for child in self.children:
            if child.member is not None:
                yield (self.type_name, child.member)
                yield from Node(self.name, child.member, children=child.children).edges()
            else:
                yield (self.type_name, child.name)
                yield from child.edges()


class Walker:
    """Builds, measures, splits and prints selections over one schema."""

    def __init__(self, schema: GraphQLSchema, page: int) -> None:
        self.schema = schema
        self.page = page  # the ``first`` given to every list; an answer as long as this may be incomplete

    def type(self, name: str) -> GraphQLNamedType:
        found = self.schema.get_type(name)
        assert found is not None, name
        return found

    def fields(self, type_name: str) -> dict[str, GraphQLField]:
        type_ = self.type(type_name)
        return dict(getattr(type_, "fields", {}))

    def members(self, type_name: str) -> list[str]:
        type_ = self.type(type_name)
        if isinstance(type_, GraphQLUnionType | GraphQLInterfaceType):
            return sorted(t.name for t in self.schema.get_possible_types(type_))
        return []

    def field_node(self, name: str, definition: GraphQLField, prefix: str = "") -> Node | None:
        """A node for a nested field, with ``first`` set on lists; None when it needs an argument."""
        if any(required(a) for a in definition.args.values()):
            return None
        named, is_list = unwrap(definition.type)
        args = {"first": self.page} if "first" in definition.args else {}
        return Node(name, named.name, is_list, f"{prefix}{name}" if prefix else None, args)

    def leaves(self, type_name: str, prefix: str = "") -> list[Node]:
        found = []
        for name, definition in self.fields(type_name).items():
            named, _ = unwrap(definition.type)
            node = None if is_composite(named) else self.field_node(name, definition, prefix)
            if node is not None:
                found.append(node)
        return found

    def selection(self, entry: Node, levels: int) -> Node:
        """``entry`` with a selection reaching every edge within ``levels`` levels below it (see the module)."""
        expanded: set[str] = set()
        queue: deque[tuple[Node, int]] = deque([(entry, 0)])
        while queue:
            node, level = queue.popleft()
            members = self.members(node.type_name)
            if members:  # a union or interface: one fragment per member, at the union's level
                for member in members:
                    prefix = f"{member.removeprefix('GraphQL')}_"
                    fragment = Node(node.name, member, member=member, prefix=prefix)
                    node.children.append(fragment)
                    queue.appendleft((fragment, level))
                node.children.append(Node("__typename", "String"))
                continue
            node.children.extend(self.leaves(node.type_name, node.prefix))
            if level >= levels or node.type_name in expanded:
                if not node.children:  # a type with no leaf fields (a discussion) still needs a selection
                    node.children.append(Node("__typename", "String"))
                continue
            expanded.add(node.type_name)
            for name, definition in self.fields(node.type_name).items():
                child = self.field_node(name, definition, node.prefix)
                if child is not None and is_composite(self.type(child.type_name)):
                    node.children.append(child)
                    queue.append((child, level + 1))
        return entry

    def partition(self, node: Node) -> tuple[Node, Node | None]:
        """``node``'s selection cut in two: what has no union or interface in it, and what has (the
        server's fast executor answers the first, strawberry the second); each keeps the leaves."""
        leaves = [c for c in node.children if not c.children and c.member is None]
        plain: list[Node] = []
        abstract: list[Node] = []
        for child in node.children:
            if child.member is not None or self.members(child.type_name):
                abstract.append(child)
            elif child.children:
                without, within = self.partition(child)
                plain.append(without)
                if within is not None:
                    abstract.append(within)
        return replace(node, children=leaves + plain), (
            replace(node, children=leaves + abstract) if abstract else None
        )

    # --- the server's measure (genolog.metadata.graphql.limits), on our trees ---

    def multiplier(self, node: Node, in_connection: bool) -> int:
        counted = node.is_connection or (node.is_list and not in_connection)
        return int(node.args.get("first", LIST_FACTOR)) if counted else 1

    def inner_cost(self, children: list[Node], in_connection: bool) -> int:
        """The cost of a selection set (inside a connection or not), fragments included."""
        return sum(
            self.inner_cost(c.children, in_connection)
            if c.member is not None
            else self.cost(c, in_connection)
            for c in children
        )

    def cost(self, node: Node, in_connection: bool = False) -> int:
        if not node.children:
            return 1
        return 1 + self.multiplier(node, in_connection) * self.inner_cost(node.children, node.is_connection)

    def split(self, node: Node, budget: int, in_connection: bool = False) -> list[Node]:
        """Copies of ``node``, each with part of its selection, together selecting all of it, each
        costing at most ``budget``; every copy keeps the leaf fields, so each piece shows whose objects
        it got."""
        if self.cost(node, in_connection) <= budget:
            return [node]
        leaves = [c for c in node.children if not c.children and c.member is None]
        branches = [c for c in node.children if c.children or c.member is not None]
        room = (budget - 1) // self.multiplier(node, in_connection) - len(leaves)
        assert branches and room > 0, f"cannot split {node.name} ({node.type_name}) under {budget}"
        pieces: list[tuple[Node, int]] = []
        for branch in branches:
            if branch.member is not None:  # split as if it were a field of its own (costing 1 more)
                as_field = Node(branch.name, branch.member, children=branch.children)
                parts = [replace(branch, children=p.children) for p in self.split(as_field, room)]
                pieces += [(p, self.inner_cost(p.children, node.is_connection)) for p in parts]
            else:
                parts = self.split(branch, room, node.is_connection)
                pieces += [(p, self.cost(p, node.is_connection)) for p in parts]
        bins: list[tuple[list[Node], int]] = []
        for piece, piece_cost in sorted(pieces, key=lambda p: -p[1]):
            for i, (members, used) in enumerate(bins):
                if used + piece_cost <= room:
                    bins[i] = ([*members, piece], used + piece_cost)
                    break
            else:
                bins.append(([piece], piece_cost))
        return [replace(node, children=leaves + members) for members, _ in bins]

    # --- printing ---

    def document(
        self, operation: str, parts: list[tuple[Node, str]], namespace: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        """A document selecting ``parts`` (each a node and the type it is a field of), inside a mutation's
        ``namespace`` if given, with every argument but ``first`` passed as a variable."""
        declared: dict[str, tuple[str, Any]] = {}
        body = " ".join(self.print_selection(node, parent, declared) for node, parent in parts)
        if namespace:
            body = f"{namespace} {{ {body} }}"
        header = ", ".join(f"${name}: {type_}" for name, (type_, _) in declared.items())
        text = f"{operation} ({header}) {{ {body} }}" if header else f"{operation} {{ {body} }}"
        return text, {name: value for name, (_, value) in declared.items()}

    def print_selection(self, node: Node, parent: str, declared: dict[str, tuple[str, Any]]) -> str:
        if node.member is not None:
            inner = " ".join(self.print_selection(c, node.member, declared) for c in node.children)
            return f"... on {node.member} {{ {inner} }}"
        text = f"{node.alias}: {node.name}" if node.alias else node.name
        if node.args:
            definition = self.fields(parent)[node.name]
            passed = []
            for name, value in node.args.items():
                if name == "first":  # a literal: the server's cost measure reads no variables
                    passed.append(f"first: {int(value)}")
                    continue
                variable = f"v{len(declared)}"
                declared[variable] = (str(definition.args[name].type), value)
                passed.append(f"{name}: ${variable}")
            text += f"({', '.join(passed)})"
        if node.children:
            inner = " ".join(self.print_selection(c, node.type_name, declared) for c in node.children)
            text += f" {{ {inner} }}"
        return text


def prune(node: Node, keys: list[str]) -> Node:
    """``node`` without the field at the response path ``keys`` below it (list indices left out): the
    rest of a selection can be asked again when one field of it fails."""
    head, rest = keys[0], keys[1:]
    children = []
    for child in node.children:
        if child.member is not None:  # a fragment's fields sit in its parent's answer
            children.append(prune(child, keys))
        elif child.key != head:
            children.append(child)
        elif rest:
            children.append(prune(child, rest))
    return replace(node, children=children or [Node("__typename", "String")])


def pack(walker: Walker, pieces: list[tuple[Node, str]], budget: int) -> list[list[tuple[Node, str]]]:
    """Group entry-point pieces (each with the type it is selected on) into documents under ``budget``."""
    documents: list[tuple[list[tuple[Node, str]], int]] = []
    for piece, parent in pieces:
        cost = walker.cost(piece)
        for i, (members, used) in enumerate(documents):
            if used + cost <= budget:
                documents[i] = ([*members, (piece, parent)], used + cost)
                break
        else:
            documents.append(([(piece, parent)], cost))
    return [members for members, _ in documents]


# --- what an answer must not contain ---


@dataclass
class Secrets:
    """Another project's data: marker substrings and formatted ids anywhere, and values of given fields
    (integer ids, names) as a (type, field) shows them."""

    markers: tuple[str, ...]
    strings: set[str] = field(default_factory=set)
    values: dict[Edge, set[Any]] = field(default_factory=dict)

    def allowing(self, *edges: Edge) -> Secrets:
        """The same secrets, but for the values of these fields."""
        return replace(self, values={k: v for k, v in self.values.items() if k not in edges})


@dataclass
class Finding:
    path: str
    what: str

    def __str__(self) -> str:
        return f"{self.path}: {self.what}"


def scan(node: Node, value: Any, secrets: Secrets, path: str, found: list[Finding]) -> None:
    """Walk an answer along the selection that asked for it, recording every piece of the secrets, every
    list that may have been cut short by ``first`` and every connection whose count disagrees with its
    nodes (a count that includes hidden objects)."""
    if value is None:
        return
    if isinstance(value, list):
        page = node.args.get("first")
        if page is not None and len(value) >= page:
            found.append(Finding(path, f"{len(value)} items: the page ({page}) may hide more; seed fewer"))
        for i, item in enumerate(value):
            scan(node, item, secrets, f"{path}[{i}]", found)
        return
    if not node.children:
        _scan_leaf(node, value, secrets, path, found)
        return
    assert isinstance(value, dict), (path, value)
    typename = value.get("__typename")
    for child in node.children:
        if child.member is not None:
            if child.member == typename:
                scan(Node(node.name, child.member, children=child.children), value, secrets, path, found)
            continue
        if child.key in value:
            scan(child, value[child.key], secrets, f"{path}.{child.name}", found)
        hidden, got = secrets.values.get((node.type_name, child.name), set()), value.get(child.key)
        if not child.children and isinstance(got, int | str) and got in hidden:
            found.append(Finding(f"{path}.{child.name}", f"{node.type_name}.{child.name} {value[child.key]}"))
    page_info, nodes = value.get("pageInfo"), value.get("nodes")
    if node.is_connection and isinstance(page_info, dict) and isinstance(nodes, list):
        count = value.get("totalCount")
        if page_info.get("hasNextPage") is False and count is not None and count != len(nodes):
            found.append(Finding(path, f"totalCount {count} but {len(nodes)} nodes"))


def _scan_leaf(node: Node, value: Any, secrets: Secrets, path: str, found: list[Finding]) -> None:
    text = value if isinstance(value, str) else json.dumps(value)
    hits = [m for m in secrets.markers if m in text]
    hits += [s for s in strings_in(value) if s in secrets.strings]
    if hits:
        found.append(Finding(path, ", ".join(sorted(set(hits)))[:200]))


def strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings_in(v)


def summary(findings: list[Finding]) -> str:
    """One line per path (list indices and entry-point variants folded), with a count and an example."""
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        pattern = re.sub(r"\[\d+\]", "[]", re.sub(r"^(\w+)_\d+\b", r"\1", finding.path))
        grouped.setdefault(pattern, []).append(finding)
    return "\n".join(f"{p}  ({len(f)}x, e.g. {f[0].what})" for p, f in sorted(grouped.items()))
