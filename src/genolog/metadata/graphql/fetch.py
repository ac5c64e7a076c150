"""The SQL behind GraphQL: one statement per relation for a whole group of parent rows.

Every entity row is fetched here, and only from the projects the caller may read: each statement that
selects entities (projects, participants, families, samples, assays, sequencing groups, analyses,
cohorts, templates, analysis-runner records, comments) carries ``project IN (the caller's readable
projects)`` (``restricted``). So whatever a query nests (a cohort's sequencing groups from another
project, a template's project, a comment's entity, a mutation's answer), a row of an unreadable project
is never made into a node, and counts and the subqueries that find children leave it out too. The
rows without a project of their own (links, audit-log entries, comment versions) are fetched only as
children of nodes fetched here. Resolvers build statements from ``Where`` conditions and never run SQL
for entities themselves.
"""

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


def _rows(
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


def _among(ctx: GraphQLContext, project_id: Column, ids: list[int]) -> sa.ColumnElement[bool]:
    """``project_id IN ids``, as a filter only on SQLite: its planner would otherwise drive a statement
    through the project index (walking every row of the project to find a few children), where ``+ 0``
    keeps the rows found as they would be without it. PostgreSQL's planner weighs the condition by its
    statistics (and misjudges ``+ 0``, which it cannot)."""
    if ctx.tx.conn.dialect.name == "sqlite":
        return (project_id + 0).in_(ids)
    return project_id.in_(ids)


def readable(ctx: GraphQLContext, project_id: Column) -> Where:
    """``project_id`` is a project the caller may read (no condition for an admin)."""
    ids = ctx.readable_ids()
    return [] if ids is None else [_among(ctx, project_id, ids)]


def restricted(ctx: GraphQLContext, statement: sa.Select[Any], table: sa.Table) -> sa.Select[Any]:
    """The statement, selecting rows of ``table``, kept to rows of projects the caller may read: by the
    row's ``project_id`` (a project's own id), or for an assay, its sample's."""
    ids = ctx.readable_ids()
    if ids is None:
        return statement
    if table is t.project:
        return statement.where(_among(ctx, t.project.c.id, ids))
    if table is t.assay:  # an alias: the statement may join ``sample`` for its own reasons
        owner = t.sample.alias("assay_owner")
        readable_owner = _among(ctx, owner.c.project_id, ids)
        if ctx.tx.conn.dialect.name == "sqlite":  # a lookup per row: SQLite could start from a join
            return statement.where(sa.exists().where(owner.c.id == t.assay.c.sample_id, readable_owner))
        return statement.join_from(t.assay, owner, owner.c.id == t.assay.c.sample_id).where(readable_owner)
    return statement.where(_among(ctx, table.c.project_id, ids))


def projects(ctx: GraphQLContext, ids: list[int], page: Page = NO_PAGE) -> Rows:
    return entities(ctx, t.project, [t.project.c.id.in_(ids)], page)


def entities(
    ctx: GraphQLContext, table: sa.Table, where: Where, page: Page = NO_PAGE, parent: Column | None = None
) -> Rows:
    """Rows of one entity table matching ``where``, by id; ``page`` of them for each ``parent``."""
    pk = table.c.id
    statement = restricted(ctx, sa.select(*columns(table)).where(*where).order_by(pk), table)
    return _rows(ctx, statement, pk, page, parent)


def samples(ctx: GraphQLContext, where: Where, page: Page = NO_PAGE, parent: Column | None = None) -> Rows:
    return entities(ctx, t.sample, where, page, parent)


def _groups_statement(ctx: GraphQLContext, *extra: Column) -> sa.Select[Any]:
    """Sequencing groups (with their sample's project, which is theirs) in readable projects."""
    sg = t.sequencing_group
    statement = sa.select(*columns(sg), t.sample.c.project_id, *extra).join(
        t.sample, t.sample.c.id == sg.c.sample_id
    )
    return statement.where(*readable(ctx, t.sample.c.project_id)).order_by(sg.c.id)


def sequencing_groups(
    ctx: GraphQLContext, where: Where, page: Page = NO_PAGE, parent: Column | None = None
) -> Rows:
    sg = t.sequencing_group
    return _rows(ctx, _groups_statement(ctx).where(*where), sg.c.id, page, parent)


def sequencing_groups_of_cohorts(
    ctx: GraphQLContext, cohort_ids: IdSource, where: Where, page: Page = NO_PAGE
) -> Rows:
    """The readable sequencing groups of cohorts, each row with its ``cohort_id`` (a cohort may hold
    groups of several projects: it shows only those the caller may read)."""
    sg, link = t.sequencing_group, t.cohort_sequencing_group
    statement = (
        _groups_statement(ctx, link.c.cohort_id)
        .join(link, link.c.sequencing_group_id == sg.c.id)
        .where(link.c.cohort_id.in_(cohort_ids), *where)
    )
    return _rows(ctx, statement, sg.c.id, page, link.c.cohort_id)


def assays_of_groups(ctx: GraphQLContext, sg_ids: IdSource, page: Page = NO_PAGE) -> Rows:
    link = t.sequencing_group_assay
    statement = (
        sa.select(*columns(t.assay), link.c.sequencing_group_id)
        .join(link, link.c.assay_id == t.assay.c.id)
        .where(link.c.sequencing_group_id.in_(sg_ids))
        .order_by(t.assay.c.id)
    )
    return _rows(ctx, restricted(ctx, statement, t.assay), t.assay.c.id, page, link.c.sequencing_group_id)


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


def _linked_analyses(
    ctx: GraphQLContext, link: sa.Table, parent: Column, parent_ids: IdSource, where: Where, page: Page
) -> Rows:
    """Readable analyses linked to parents (sequencing groups or cohorts) through ``link``, each row
    with its parent's id."""
    a = t.analysis
    statement = (
        sa.select(*columns(a), parent)
        .join(link, link.c.analysis_id == a.c.id)
        .where(parent.in_(parent_ids), *where, *readable(ctx, a.c.project_id))
        .order_by(a.c.id)
    )
    return _rows(ctx, statement, a.c.id, page, parent)


def analyses_of_groups(ctx: GraphQLContext, sg_ids: IdSource, where: Where, page: Page = NO_PAGE) -> Rows:
    link = t.analysis_sequencing_group
    return _linked_analyses(ctx, link, link.c.sequencing_group_id, sg_ids, where, page)


def analyses_of_cohorts(ctx: GraphQLContext, cohort_ids: IdSource, page: Page = NO_PAGE) -> Rows:
    link = t.analysis_cohort
    return _linked_analyses(ctx, link, link.c.cohort_id, cohort_ids, [], page)


def analysis_runners(ctx: GraphQLContext, where: Where) -> Rows:
    """Analysis-runner records, newest first (as the REST listing), grouped under their projects."""
    ar = t.analysis_runner
    statement = sa.select(*columns(ar)).where(*where).order_by(ar.c.timestamp.desc(), ar.c.ar_guid)
    return _rows(ctx, restricted(ctx, statement, ar), ar.c.project_id)


def comments(ctx: GraphQLContext, statement: sa.Select[Any]) -> Rows:
    """The readable comments a ``store.comments`` statement selects (each with an ``owner_id``: the
    entity or comment it is listed under), by owner, then oldest first."""
    if ctx.readable_ids() is None:
        return _rows(ctx, statement)
    found = statement.order_by(None).subquery()
    return _rows(
        ctx,
        sa.select(found)
        .where(*readable(ctx, found.c.project_id))
        .order_by(found.c.owner_id, found.c.created_at, found.c.id),
    )


def comment_versions(ctx: GraphQLContext, statement: sa.Select[Any]) -> Rows:
    """Earlier versions of comments (``store.comments.versions_statement`` of comments fetched above)."""
    return _rows(ctx, statement)


def audit_logs(ctx: GraphQLContext, pairs: sa.Subquery) -> Rows:
    """Audit-log entries for ``(owner_id, audit_log_id)`` pairs of entities fetched above, by owner, oldest
    first: an entry is shown as a record of a readable entity's changes."""
    a = t.audit_log
    statement = (
        sa.select(pairs.c.owner_id, *columns(a))
        .join(a, a.c.id == pairs.c.audit_log_id)
        .order_by(pairs.c.owner_id, a.c.id)
    )
    return _rows(ctx, statement)


def group_ids_of_analyses(ctx: GraphQLContext, analysis_ids: IdSource) -> Rows:
    link = t.analysis_sequencing_group
    return _rows(
        ctx,
        sa.select(link.c.analysis_id, link.c.sequencing_group_id)
        .where(link.c.analysis_id.in_(analysis_ids))
        .order_by(link.c.sequencing_group_id),
    )


def family_members(
    ctx: GraphQLContext, family_ids: IdSource | None, participant_ids: IdSource | None
) -> Rows:
    """Pedigree rows (links: each side's node is fetched through ``participants`` or ``families``)."""
    fp = t.family_participant
    statement = sa.select(fp)
    if family_ids is not None:
        statement = statement.where(fp.c.family_id.in_(family_ids))
    if participant_ids is not None:
        statement = statement.where(fp.c.participant_id.in_(participant_ids))
    return _rows(ctx, statement.order_by(fp.c.family_id, fp.c.participant_id))


def matching_external_ids(entity_table: sa.Table, entity: str, conditions: Where) -> sa.ColumnElement[bool]:
    """``entity.id IN (ids whose external id matches)``, for ``externalId`` filters."""
    from genolog.metadata.store import external_ids

    table = external_ids.TABLES[entity]
    return entity_table.c.id.in_(sa.select(table.c[f"{entity}_id"]).where(*conditions))
