"""Per-request state for GraphQL resolvers, and sibling batching.

Nodes fetched together form one ``Siblings`` group. When a resolver asks one node for a relation, the
relation is loaded for every node of its group in one query and cached, so a query costs a fixed number
of SQL statements per level of nesting, whatever the number of rows (no N+1).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar

from strawberry.types import Info

from genolog.metadata.context import Tx
from genolog.metadata.errors import NotFound
from genolog.metadata.graphql.paging import Grouped, page_of
from genolog.metadata.permissions import READ, Caller
from genolog.metadata.service import Session
from genolog.metadata.service.reads.paging import NO_PAGE, Page, Parse, parse_int_cursor
from genolog.metadata.service.reads.rows import IdSource, Row


class HasPk(Protocol):
    @property
    def pk(self) -> int: ...


N = TypeVar("N", bound=HasPk)


class GraphQLContext(Session):
    """The caller's session, plus the sibling groups of this request's nodes."""

    def __init__(self, tx: Tx, caller: Caller) -> None:
        super().__init__(tx, caller)
        self.groups: list[Siblings[Any]] = []

    def release(self) -> None:
        """Break the node <-> group cycles of this request, so its objects are freed at once."""
        for siblings in self.groups:
            siblings.nodes = []
            siblings.clear()
        self.groups.clear()

    def project(self, name: str, needed: frozenset[str] = READ, not_found: str | None = None) -> Row:
        """The named project if the caller holds a needed role (metamist's wording when it is not visible)."""
        return super().project(name, needed, not_found or f'Could not find projects with names: "{name}"')


def context_of(info: Info[Any, Any]) -> GraphQLContext:
    ctx: GraphQLContext = info.context["genolog"]
    return ctx


class Siblings(Generic[N]):
    """Nodes loaded together; each relation is fetched once for all of them."""

    def __init__(self, ctx: GraphQLContext, ids: IdSource | None = None) -> None:
        self.ctx = ctx
        self.nodes: list[N] = []
        self.ids = ids  # the nodes' keys for their children's queries: the query that found them, or a list
        self._cache: dict[Any, Any] = {}
        ctx.groups.append(self)

    def clear(self) -> None:
        self._cache.clear()

    def page(self, first: int | None, after: str | None, parse: Parse = parse_int_cursor) -> Page:
        """The page a list field of these nodes asks for (asked once per node: no page costs nothing)."""
        if first is None and after is None:
            return NO_PAGE
        return Page.of(first, after, parse, one_parent=len(self.nodes) == 1)

    def load(self, key: Any, fetch: Callable[[IdSource], Any]) -> Any:
        # asked once per node and field: one lookup (hashing the key) when it is cached
        found = self._cache.get(key, _MISSING)
        if found is _MISSING:
            ids: IdSource = self.ids if self.ids is not None else [n.pk for n in self.nodes]
            found = self._cache[key] = fetch(ids)
        return found


_MISSING = object()

K = TypeVar("K")
V = TypeVar("V")


def found_in(nodes: Mapping[K, V], key: K, missing: str) -> V:
    """The node under ``key`` of a loaded relation: a non-null one whose target the caller may not read
    (the loaders leave it out) answers "not found", as an unreadable entity does everywhere."""
    node = nodes.get(key)
    if node is None:
        raise NotFound(missing)
    return node


def only(nodes: Sequence[V], missing: str) -> V:
    """The one node a loader found (a mutation's answer, a lookup by id), or "not found"."""
    if not nodes:
        raise NotFound(missing)
    return nodes[0]


def nodes_of(
    ctx: GraphQLContext,
    rows: Sequence[Mapping[str, Any]],
    make: Callable[[Mapping[str, Any], Siblings[N]], N],
) -> list[N]:
    """Nodes made from ``rows``, one sibling group; it keeps the rows' ``ids`` (the query that found them,
    an ``IdSource``), so their children are fetched by subquery."""
    sib: Siblings[N] = Siblings(ctx, getattr(rows, "ids", None))
    sib.nodes = [make(r, sib) for r in rows]
    return sib.nodes


def group(rows: Any, nodes: Sequence[N], parent_of: Callable[[N], int | None]) -> Grouped[N]:
    """Nodes (made from ``rows``, the ``Rows`` of a read) grouped under their parent's id."""
    result: Grouped[N] = Grouped(rows.counter)
    for node in nodes:
        parent = parent_of(node)
        if parent is not None:
            result.setdefault(parent, []).append(node)
    return result


def root_page(rows: Any, nodes: Sequence[N], page: Page) -> list[N]:
    """A root list's page (``rows`` were fetched with ``page`` and no parent)."""
    grouped: Grouped[N] = Grouped(rows.counter)
    grouped[None] = list(nodes)
    return page_of(grouped, None, page)
