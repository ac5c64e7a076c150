"""Cursor pagination for every GraphQL list (beyond the metamist contract, which has none).

Every list field takes ``first`` and ``after``; a list ``xs`` also has a companion ``xsConnection`` with the
same arguments that answers ``{ totalCount pageInfo { hasNextPage endCursor } nodes { ... } }``.

Lists are ordered by primary key, and a cursor is the ``id`` of a node as the API shows it (``"CPG1234"``
for a sequencing group, ``"42"`` for an analysis), so ``after: <the last id you got>`` resumes a list.
The reads fetch only the page (``service.reads.paging``); this module groups and slices their nodes.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

import strawberry

from genolog.metadata.errors import BadRequest
from genolog.metadata.service.reads.paging import Page

T = TypeVar("T")


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
