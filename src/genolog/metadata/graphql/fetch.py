"""The SQL behind GraphQL: one statement per relation for a whole group of parent rows."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.graphql.context import GraphQLContext, IdSource

Where = list[sa.ColumnElement[bool]]


class Rows(list[dict[str, Any]]):
    """Fetched rows, with ``ids``: the same query selecting only their primary keys (for their children)."""

    ids: sa.Select[Any] | None = None


def columns(table: sa.Table) -> list[sa.ColumnElement[Any]]:
    """What the nodes need of a table: JSON columns as their text (parsed only if asked for), no audit columns."""
    return [
        sa.cast(column, sa.Text).label(column.name) if isinstance(column.type, sa.JSON) else column
        for column in table.c
        if column.name not in ("audit_log_id", "created_at")
    ]


def rows(ctx: GraphQLContext, statement: sa.Select[Any], pk: sa.ColumnElement[Any] | None = None) -> Rows:
    """The statement's rows as dicts, fetched through the driver's cursor.

    SQLAlchemy's result objects cost about as much again as the fetch itself, which matters at
    100,000 rows; the SQL is still SQLAlchemy's, and its type processors still convert the values that
    need it (booleans and datetimes on SQLite)."""
    conn = ctx.tx.conn
    columns = list(statement.selected_columns)
    keys = [str(column.key) for column in columns]
    processors = [
        (i, processor)
        for i, column in enumerate(columns)
        if (processor := column.type.dialect_impl(conn.dialect).result_processor(conn.dialect, None))
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
    result = Rows(dict(zip(keys, row, strict=True)) for row in fetched)
    if pk is not None:
        result.ids = statement.with_only_columns(pk).order_by(None)
    return result


def projects(ctx: GraphQLContext, ids: list[int]) -> Rows:
    return rows(
        ctx,
        sa.select(*columns(t.project)).where(t.project.c.id.in_(ids)).order_by(t.project.c.id),
        t.project.c.id,
    )


def samples(ctx: GraphQLContext, where: Where) -> Rows:
    return rows(ctx, sa.select(*columns(t.sample)).where(*where).order_by(t.sample.c.id), t.sample.c.id)


def sequencing_groups(ctx: GraphQLContext, where: Where) -> Rows:
    sg = t.sequencing_group
    return rows(
        ctx,
        sa.select(*columns(sg), t.sample.c.project_id)
        .join(t.sample, t.sample.c.id == sg.c.sample_id)
        .where(*where)
        .order_by(sg.c.id),
        sg.c.id,
    )


def assays_of_groups(ctx: GraphQLContext, sg_ids: IdSource) -> Rows:
    link = t.sequencing_group_assay
    return rows(
        ctx,
        sa.select(*columns(t.assay), link.c.sequencing_group_id)
        .join(link, link.c.assay_id == t.assay.c.id)
        .where(link.c.sequencing_group_id.in_(sg_ids))
        .order_by(t.assay.c.id),
        t.assay.c.id,
    )


def assays(ctx: GraphQLContext, where: Where) -> Rows:
    return rows(ctx, sa.select(*columns(t.assay)).where(*where).order_by(t.assay.c.id), t.assay.c.id)


def participants(ctx: GraphQLContext, where: Where) -> Rows:
    return rows(
        ctx, sa.select(*columns(t.participant)).where(*where).order_by(t.participant.c.id), t.participant.c.id
    )


def families(ctx: GraphQLContext, where: Where) -> Rows:
    return rows(ctx, sa.select(*columns(t.family)).where(*where).order_by(t.family.c.id), t.family.c.id)


def analyses(ctx: GraphQLContext, where: Where) -> Rows:
    return rows(ctx, sa.select(*columns(t.analysis)).where(*where).order_by(t.analysis.c.id), t.analysis.c.id)


def analyses_of_groups(ctx: GraphQLContext, sg_ids: IdSource, where: Where) -> Rows:
    link = t.analysis_sequencing_group
    return rows(
        ctx,
        sa.select(*columns(t.analysis), link.c.sequencing_group_id)
        .join(link, link.c.analysis_id == t.analysis.c.id)
        .where(link.c.sequencing_group_id.in_(sg_ids), *where)
        .order_by(t.analysis.c.id),
        t.analysis.c.id,
    )


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
