"""Cursor pagination for every GraphQL list (beyond the metamist contract, which has none).

Every list field takes ``first`` and ``after``; a list ``xs`` also has a companion ``xsConnection`` with the
same arguments that answers ``{ totalCount pageInfo { hasNextPage endCursor } nodes { ... } }``.

Lists are ordered by primary key, and a cursor is the ``id`` of a node as the API shows it (``"CPG1234"``
for a sequencing group, ``"42"`` for an analysis), so ``after: <the last id you got>`` resumes a list. The
SQL fetches at most ``first + 1`` rows for each parent (the extra row says whether there is a next
page), so a paged read of a 100,000-sample project holds one page in memory, not the project.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import sqlalchemy as sa
import strawberry

from genolog.metadata.errors import BadRequest
from genolog.metadata.ids import parse_int

T = TypeVar("T")
Parse = Callable[[str], int]


def parse_int_cursor(text: str) -> int:
    return parse_int(text, "cursor", " ('after' takes the id of the last item of the previous page)")


@dataclass(frozen=True)
class Page:
    """Which slice of a list to fetch: ``first`` rows after the row whose primary key is ``after``."""

    first: int | None = None
    after: int | None = None
    one_parent: bool = False  # for the children of a single node, a LIMIT does (no window needed)

    @classmethod
    def of(
        cls, first: int | None, after: str | None, parse: Parse = parse_int_cursor, one_parent: bool = False
    ) -> Page:
        if first is not None and first < 0:
            raise BadRequest(f"'first' must be zero or more, not {first}")
        return cls(first, None if after is None else parse(after), one_parent)

    def __bool__(self) -> bool:
        return self.first is not None or self.after is not None


NO_PAGE = Page()


def paged_statement(
    statement: sa.Select[Any], pk: sa.ColumnElement[Any], page: Page, parent: sa.ColumnElement[Any] | None
) -> tuple[sa.Select[Any], sa.Select[Any]]:
    """The statement restricted to ``page`` (``first + 1`` rows per parent) and the same rows' primary keys.

    For one parent (or none) a LIMIT does it; for a group of parents, a window numbers the rows of each
    parent (which costs a scan of every parent's matches, even after the cursor). The keys keep their
    ORDER BY when there is a LIMIT: without it, LIMIT picks arbitrary rows."""
    if page.after is not None:
        statement = statement.where(pk > page.after)
    if page.first is None:
        return statement, statement.with_only_columns(pk).order_by(None)
    if parent is None or page.one_parent:
        limited = statement.limit(page.first + 1)
        return limited, limited.with_only_columns(pk)
    rank = sa.func.row_number().over(partition_by=parent, order_by=pk).label("page_rank")
    ranked = statement.add_columns(rank).order_by(None).subquery()
    keys = [str(c.key) for c in statement.selected_columns]
    windowed = (
        sa.select(*[ranked.c[k] for k in keys])
        .where(ranked.c.page_rank <= page.first + 1)
        .order_by(ranked.c[str(pk.key)])
    )
    return windowed, windowed.with_only_columns(ranked.c[str(pk.key)]).order_by(None)


def count_statement(
    statement: sa.Select[Any], pk: sa.ColumnElement[Any], parent: sa.ColumnElement[Any] | None
) -> sa.Select[Any]:
    """``(parent, count)`` rows of a statement's matches (one ``(None, count)`` row without a parent).
    Only the keys are selected: SQLite would otherwise compute every column of every match."""
    if parent is None:
        matches = statement.with_only_columns(pk).order_by(None).subquery()
        return sa.select(sa.null(), sa.func.count()).select_from(matches)  # type: ignore[return-value]
    matches = statement.with_only_columns(pk, parent).order_by(None).subquery()
    by = matches.c[str(parent.key)]
    return sa.select(by, sa.func.count()).group_by(by)


class Grouped(dict[Any, list[T]]):
    """A relation's nodes under their parents' keys, and (when SQL did the paging) how to count all
    the matches of each parent, run at most once."""

    def __init__(self, counter: Callable[[], dict[Any, int]] | None = None) -> None:
        super().__init__()
        self._counter = counter
        self._counts: dict[Any, int] | None = None

    def total(self, key: Any) -> int:
        if self._counter is None:  # linked in Python: every match is at hand
            return len(self.get(key, []))
        if self._counts is None:
            self._counts = self._counter()
        return self._counts.get(key, 0)


class PageList(list[T]):
    """One parent's page of a list: what a list field returns, and what its connection wraps."""

    has_next_page: bool = False
    total: Callable[[], int]


def page_of(grouped: Grouped[T], key: Any, page: Page) -> list[T]:
    """``key``'s page of a loaded relation. SQL has already applied ``page`` where it could; applying it
    again here is a no-op then, and does the paging for relations linked in Python.

    Without a page it is the whole list, as loaded (every match: its length is the total count)."""
    nodes: Sequence[Any] = grouped.get(key, [])
    if not page:
        return nodes  # type: ignore[return-value]
    if page.after is not None:
        nodes = [n for n in nodes if n.pk > page.after]
    result: PageList[T] = PageList(nodes if page.first is None else nodes[: page.first])
    result.has_next_page = page.first is not None and len(nodes) > page.first
    result.total = lambda: grouped.total(key)
    return result


def page_by_position(items: list[T], first: int | None, after: str | None) -> PageList[T]:
    """A page of a list that is not in its keys' order (analysis-runner logs are newest first): the item
    whose ``id`` is ``after`` is looked up by position."""
    Page.of(first, None)  # checks first
    start = 0
    if after is not None:
        start = next((i + 1 for i, item in enumerate(items) if str(item.id) == after), -1)  # type: ignore[attr-defined]
        if start < 0:
            raise BadRequest(f"Invalid cursor {after!r}: 'after' takes the id of an item of this list")
    rest = items[start:]
    result: PageList[T] = PageList(rest if first is None else rest[:first])
    result.has_next_page = first is not None and len(rest) > first
    result.total = lambda: len(items)
    return result


@strawberry.type(name="GraphQLPageInfo")
class GraphQLPageInfo:
    has_next_page: bool
    end_cursor: str | None = strawberry.field(
        description="The id of the page's last item: pass it as 'after' for the next page"
    )


@strawberry.type(description="A page of a list, with the total number of matches")
class Connection(Generic[T]):
    nodes: list[T]
    page_info: GraphQLPageInfo
    items: strawberry.Private[PageList[T]]

    @strawberry.field
    def total_count(self) -> int:
        return self.items.total()


def connection_of(items: list[Any]) -> Connection[Any]:
    """A list field's answer as a connection (a plain list is a whole list: no next page)."""
    if not isinstance(items, PageList):
        whole = items
        items = PageList(whole)
        items.total = lambda: len(whole)
    end = str(items[-1].id) if items else None
    return Connection(
        nodes=items, page_info=GraphQLPageInfo(has_next_page=items.has_next_page, end_cursor=end), items=items
    )


def connection(list_field: Any, node_type: str, lazy_from: str | None = None) -> Any:
    """The ``xsConnection`` companion of a list field: same arguments, a ``Connection`` of its nodes
    (``lazy_from``: the module that defines ``node_type``, when it is not importable here)."""
    function = list_field.base_resolver.wrapped_func

    @functools.wraps(function)
    def resolve(*args: Any, **kwargs: Any) -> Any:
        return connection_of(function(*args, **kwargs))

    signature = inspect.signature(function)
    resolve.__signature__ = signature.replace(  # type: ignore[attr-defined]
        return_annotation=f"Connection[{node_type}]"
        if lazy_from is None
        else Connection[Annotated[node_type, strawberry.lazy(lazy_from)]]  # type: ignore[valid-type]
    )
    del resolve.__wrapped__  # strawberry reads the signature above, not the list field's
    return strawberry.field(resolve, description=f"A page of the list of {node_type}, with its total count")
