"""Which slice of a list a read fetches (``Page``), and the SQL that fetches only that slice.

Lists are ordered by primary key, and a page is ``first`` rows after the row whose key is ``after``. The
SQL fetches at most ``first + 1`` rows for each parent (the extra row says whether there is a next
page), so a paged read of a 100,000-sample project holds one page in memory, not the project.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from genolog.metadata.errors import BadRequest
from genolog.metadata.ids import parse_int

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
