"""How the batched reads fetch rows: one statement per relation for a whole group of parent rows, only
from the projects the caller may read.

Every statement that selects entities (projects, participants, families, samples, assays, sequencing
groups, analyses, cohorts, templates, analysis-runner records, comments) carries ``project IN (the
caller's readable projects)`` (``restricted``, ``readable``: the one place of that rule for the reads).
So whatever a query nests (a cohort's sequencing groups from another project, a template's project, a
comment's entity, a mutation's answer), a row of an unreadable project is never returned, and counts
and the subqueries that find children leave it out too. The rows without a project of their own
(links, audit-log entries, comment versions) are fetched only as children of entities fetched here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from genolog.metadata import tables as t
from genolog.metadata.service.reads.filters import Where
from genolog.metadata.service.reads.paging import NO_PAGE, Page, count_statement, paged_statement
from genolog.metadata.service.session import Session
from genolog.metadata.store import external_ids

MAX_LISTED_IDS = 10_000  # a page with more rows than this passes its query to its children instead
Column = sa.ColumnElement[Any]
Row = RowMapping  # a row as the store reads it (the project ``Session.project`` checked)

# The primary keys of a group of parent rows, for their children's reads: the SELECT that found them (so
# children are fetched with a subquery, however many parents there are), or a plain list when they came
# from elsewhere or are a page (see ``fetch``). Opaque to the front ends: they pass it back.
IdSource = list[int] | sa.Select[Any]


class Rows(list[dict[str, Any]]):
    """Fetched rows, with ``ids``: the same query selecting only their primary keys (for their children),
    and ``counter``: how many rows match for each parent, ignoring the page (for ``totalCount``)."""

    ids: IdSource | None = None
    counter: Callable[[], dict[Any, int]] | None = None


def columns(table: sa.Table) -> list[sa.ColumnElement[Any]]:
    """What the nodes need of a table: JSON columns as their text (parsed only if asked for), no audit columns."""
    return [
        sa.cast(column, sa.Text).label(column.name) if isinstance(column.type, sa.JSON) else column
        for column in table.c
        if column.name not in ("audit_log_id", "created_audit_log_id", "created_at")
    ]


def parse_json(text: str | None) -> Any:
    """A JSON column's value from its text, as ``columns`` selects it."""
    return None if text is None else orjson.loads(text)


def fetch(
    session: Session,
    statement: sa.Select[Any],
    pk: Column | None = None,
    page: Page = NO_PAGE,
    parent: Column | None = None,
) -> Rows:
    """The statement's rows as dicts, fetched through the driver's cursor; with ``pk``, only ``page``'s
    rows for each ``parent`` (see ``paging.paged_statement``).

    SQLAlchemy's result objects would cost about as much again as the fetch itself (benchmarks/README.md);
    the SQL is still SQLAlchemy's, and its type processors still convert the values that need it
    (booleans and datetimes on SQLite)."""
    conn = session.tx.conn
    unpaged, ids = statement, None
    if pk is not None:
        statement, ids = paged_statement(statement, pk, page, parent)
    columns = list(statement.selected_columns)
    keys = [str(column.key) for column in columns]
    # floats come from every driver as floats; PostgreSQL's numeric processor would need the cursor's type code
    processors = [
        (i, processor)
        for i, column in enumerate(columns)
        if not isinstance(column.type, sa.Float)
        and (processor := column.type.dialect_impl(conn.dialect).result_processor(conn.dialect, None))
        is not None
    ]
    # SQLAlchemy binds the parameters (JSON paths need its processing); the rows come from the cursor itself
    cursor_result = conn.execute(statement)
    try:
        fetched: list[Any] = list(cursor_result.cursor.fetchall())
    finally:
        cursor_result.close()
    if processors:
        for position, row in enumerate(fetched):
            values = list(row)
            for i, processor in processors:
                values[i] = processor(values[i])
            fetched[position] = values
    result = Rows([dict(zip(keys, row, strict=True)) for row in fetched])
    if pk is not None:
        # On SQLite a page's children are fetched by its ids, not by re-running the page's query in a
        # subquery: SQLite sorts all of a parent's rows to find a page, so every nested level would pay
        # for a scan of the whole list again. PostgreSQL walks the primary key and stops at the page's
        # end, and plans a query with a long IN list slowly, so it keeps the subquery.
        listed = conn.dialect.name == "sqlite" and page.first is not None and len(result) <= MAX_LISTED_IDS
        result.ids = [row[str(pk.key)] for row in result] if listed else ids
        # built only when a totalCount asks: building the statement costs as much as running a small one
        result.counter = lambda: {
            key: int(n) for key, n in conn.execute(count_statement(unpaged, pk, parent)).all()
        }
    return result


def _among(session: Session, project_id: Column, ids: list[int]) -> sa.ColumnElement[bool]:
    """``project_id IN ids``, as a filter only on SQLite: its planner would otherwise drive a statement
    through the project index (walking every row of the project to find a few children), where ``+ 0``
    keeps the rows found as they would be without it. PostgreSQL's planner weighs the condition by its
    statistics (and misjudges ``+ 0``, which it cannot)."""
    if session.tx.conn.dialect.name == "sqlite":
        return (project_id + 0).in_(ids)
    return project_id.in_(ids)


def readable(session: Session, project_id: Column) -> Where:
    """``project_id`` is a project the caller may read (no condition for an admin)."""
    ids = session.readable_ids()
    return [] if ids is None else [_among(session, project_id, ids)]


def restricted(session: Session, statement: sa.Select[Any], table: sa.Table) -> sa.Select[Any]:
    """The statement, selecting rows of ``table``, kept to rows of projects the caller may read: by the
    row's ``project_id`` (a project's own id), or for an assay, its sample's."""
    ids = session.readable_ids()
    if ids is None:
        return statement
    if table is t.project:
        return statement.where(_among(session, t.project.c.id, ids))
    if table is t.assay:  # an alias: the statement may join ``sample`` for its own reasons
        owner = t.sample.alias("assay_owner")
        readable_owner = _among(session, owner.c.project_id, ids)
        if session.tx.conn.dialect.name == "sqlite":  # a lookup per row: SQLite could start from a join
            return statement.where(sa.exists().where(owner.c.id == t.assay.c.sample_id, readable_owner))
        return statement.join_from(t.assay, owner, owner.c.id == t.assay.c.sample_id).where(readable_owner)
    return statement.where(_among(session, table.c.project_id, ids))


def entities(
    session: Session, table: sa.Table, where: Where, page: Page = NO_PAGE, parent: Column | None = None
) -> Rows:
    """Readable rows of one entity table matching ``where``, by id; ``page`` of them for each ``parent``."""
    pk = table.c.id
    statement = restricted(session, sa.select(*columns(table)).where(*where).order_by(pk), table)
    return fetch(session, statement, pk, page, parent)


def matching_external_ids(entity_table: sa.Table, entity: str, conditions: Where) -> sa.ColumnElement[bool]:
    """``entity.id IN (ids whose external id matches)``, for ``externalId`` filters."""
    table = external_ids.TABLES[entity]
    return entity_table.c.id.in_(sa.select(table.c[f"{entity}_id"]).where(*conditions))
