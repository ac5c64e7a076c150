"""The SQL behind GraphQL: one statement per relation for a whole group of parent rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.graphql.context import GraphQLContext, IdSource
from genolog.metadata.graphql.paging import NO_PAGE, Page, count_statement, paged_statement

Where = list[sa.ColumnElement[bool]]
MAX_LISTED_IDS = 10_000  # a page with more rows than this passes its query to its children instead
Column = sa.ColumnElement[Any]


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


def rows(
    ctx: GraphQLContext,
    statement: sa.Select[Any],
    pk: Column | None = None,
    page: Page = NO_PAGE,
    parent: Column | None = None,
) -> Rows:
    """The statement's rows as dicts, fetched through the driver's cursor; with ``pk``, only ``page``'s
    rows for each ``parent`` (see ``paging.paged_statement``).

    SQLAlchemy's result objects cost about as much again as the fetch itself, which matters at
    100,000 rows; the SQL is still SQLAlchemy's, and its type processors still convert the values that
    need it (booleans and datetimes on SQLite)."""
    conn = ctx.tx.conn
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


def projects(ctx: GraphQLContext, ids: list[int], page: Page = NO_PAGE) -> Rows:
    return entities(ctx, t.project, [t.project.c.id.in_(ids)], page)


def entities(
    ctx: GraphQLContext, table: sa.Table, where: Where, page: Page = NO_PAGE, parent: Column | None = None
) -> Rows:
    """Rows of one entity table matching ``where``, by id; ``page`` of them for each ``parent``."""
    pk = table.c.id
    return rows(ctx, sa.select(*columns(table)).where(*where).order_by(pk), pk, page, parent)


def samples(ctx: GraphQLContext, where: Where, page: Page = NO_PAGE, parent: Column | None = None) -> Rows:
    return entities(ctx, t.sample, where, page, parent)


def sequencing_groups(
    ctx: GraphQLContext, where: Where, page: Page = NO_PAGE, parent: Column | None = None
) -> Rows:
    sg = t.sequencing_group
    statement = (
        sa.select(*columns(sg), t.sample.c.project_id)
        .join(t.sample, t.sample.c.id == sg.c.sample_id)
        .where(*where)
        .order_by(sg.c.id)
    )
    return rows(ctx, statement, sg.c.id, page, parent)


def assays_of_groups(ctx: GraphQLContext, sg_ids: IdSource, page: Page = NO_PAGE) -> Rows:
    link = t.sequencing_group_assay
    statement = (
        sa.select(*columns(t.assay), link.c.sequencing_group_id)
        .join(link, link.c.assay_id == t.assay.c.id)
        .where(link.c.sequencing_group_id.in_(sg_ids))
        .order_by(t.assay.c.id)
    )
    return rows(ctx, statement, t.assay.c.id, page, link.c.sequencing_group_id)


def assays(ctx: GraphQLContext, where: Where, page: Page = NO_PAGE, parent: Column | None = None) -> Rows:
    return entities(ctx, t.assay, where, page, parent)


def participants(
    ctx: GraphQLContext, where: Where, page: Page = NO_PAGE, parent: Column | None = None
) -> Rows:
    return entities(ctx, t.participant, where, page, parent)


def families(ctx: GraphQLContext, where: Where, page: Page = NO_PAGE, parent: Column | None = None) -> Rows:
    return entities(ctx, t.family, where, page, parent)


def analyses(ctx: GraphQLContext, where: Where, page: Page = NO_PAGE, parent: Column | None = None) -> Rows:
    return entities(ctx, t.analysis, where, page, parent)


def analyses_of_groups(ctx: GraphQLContext, sg_ids: IdSource, where: Where, page: Page = NO_PAGE) -> Rows:
    link = t.analysis_sequencing_group
    statement = (
        sa.select(*columns(t.analysis), link.c.sequencing_group_id)
        .join(link, link.c.analysis_id == t.analysis.c.id)
        .where(link.c.sequencing_group_id.in_(sg_ids), *where)
        .order_by(t.analysis.c.id)
    )
    return rows(ctx, statement, t.analysis.c.id, page, link.c.sequencing_group_id)


def group_ids_of_analyses(ctx: GraphQLContext, analysis_ids: IdSource) -> Rows:
    link = t.analysis_sequencing_group
    return rows(
        ctx,
        sa.select(link.c.analysis_id, link.c.sequencing_group_id)
        .where(link.c.analysis_id.in_(analysis_ids))
        .order_by(link.c.sequencing_group_id),
    )


def family_members(
    ctx: GraphQLContext, family_ids: IdSource | None, participant_ids: IdSource | None
) -> Rows:
    fp = t.family_participant
    statement = sa.select(fp)
    if family_ids is not None:
        statement = statement.where(fp.c.family_id.in_(family_ids))
    if participant_ids is not None:
        statement = statement.where(fp.c.participant_id.in_(participant_ids))
    return rows(ctx, statement.order_by(fp.c.family_id, fp.c.participant_id))


def matching_external_ids(entity_table: sa.Table, entity: str, conditions: Where) -> sa.ColumnElement[bool]:
    """``entity.id IN (ids whose external id matches)``, for ``externalId`` filters."""
    from genolog.metadata.store import external_ids

    table = external_ids.TABLES[entity]
    return entity_table.c.id.in_(sa.select(table.c[f"{entity}_id"]).where(*conditions))
