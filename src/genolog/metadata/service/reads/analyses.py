"""Batched reads of analyses: of projects, of sequencing groups and of cohorts (through their links),
from readable projects only."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.service.reads.filters import (
    FilterSpec,
    Where,
    as_utc,
    conditions,
    meta_conditions,
    meta_narrowing,
)
from genolog.metadata.service.reads.paging import NO_PAGE, Page
from genolog.metadata.service.reads.rows import (
    Column,
    IdSource,
    Rows,
    columns,
    entities,
    fetch,
    readable,
    restricted,
)
from genolog.metadata.service.session import Session

a = t.analysis


def analyses(session: Session, where: Where, page: Page = NO_PAGE, parent: Column | None = None) -> Rows:
    return entities(session, a, where, page, parent)


def analysis_by_id(session: Session, analysis_id: int) -> Rows:
    return analyses(session, [a.c.id == analysis_id])


def analysis_where(
    status: FilterSpec | None, type: FilterSpec | None, meta: Any, active: FilterSpec | None
) -> Where:
    """The filters every list of analyses takes (only active ones unless ``active`` filters)."""
    where = conditions(a.c.status, status) + conditions(a.c.type, type) + meta_conditions(a.c.meta, meta)
    where += conditions(a.c.active, active) if active is not None else [a.c.active.is_(True)]
    return where


def analyses_matching(session: Session, id: FilterSpec | None, page: Page) -> Rows:
    """Analyses by id (the root ``analyses`` query)."""
    return analyses(session, conditions(a.c.id, id), page)


def analyses_listed(
    session: Session,
    project_ids: list[int],
    sequencing_group_ids: list[int] | None = None,
    type: str | None = None,
    statuses: list[str] | None = None,
    output: str | None = None,
    active: bool | None = None,
    meta: Any = None,
) -> Rows:
    """The analyses of these projects, by id, kept to those linked to any of the sequencing groups and to
    the type, statuses, output and active flag given (``None``: any), and narrowed towards a REST ``meta``
    filter (``meta_narrowing``: the caller applies ``meta_matches``): the REST API's analysis queries."""
    where: Where = [a.c.project_id.in_(project_ids), *meta_narrowing(a.c.meta, meta)]
    if sequencing_group_ids is not None:
        asg = t.analysis_sequencing_group
        linked = sa.select(asg.c.analysis_id).where(asg.c.sequencing_group_id.in_(sequencing_group_ids))
        where.append(a.c.id.in_(linked))
    if type is not None:
        where.append(a.c.type == type)
    if statuses is not None:
        where.append(a.c.status.in_(statuses))
    if output is not None:
        where.append(a.c.output == output)
    if active is not None:
        where.append(a.c.active.is_(active))
    return analyses(session, where)


def completed_analyses(session: Session, project_id: int, type: str, meta: Any = None) -> Rows:
    """The project's active completed analyses of this type, the most recently completed first, narrowed
    towards a REST ``meta`` filter (``meta_narrowing``: the caller applies ``meta_matches``)."""
    statement = sa.select(*columns(a)).where(
        a.c.project_id == project_id,
        a.c.type == type,
        a.c.status == "completed",
        a.c.active.is_(True),
        *meta_narrowing(a.c.meta, meta),
    )
    return fetch(
        session, restricted(session, statement, a).order_by(a.c.timestamp_completed.desc(), a.c.id.desc())
    )


def analyses_of_projects(
    session: Session,
    project_ids: IdSource,
    page: Page,
    status: FilterSpec | None,
    type: FilterSpec | None,
    meta: Any,
    active: FilterSpec | None,
    timestamp_completed: FilterSpec | None,
    ids: FilterSpec | None,
) -> Rows:
    where = [
        a.c.project_id.in_(project_ids),
        *analysis_where(status, type, meta, active),
        *conditions(a.c.id, ids),
        *conditions(a.c.timestamp_completed, timestamp_completed, as_utc),
    ]
    return analyses(session, where, page, a.c.project_id)


def _linked_analyses(
    session: Session, link: sa.Table, parent: Column, parent_ids: IdSource, where: Where, page: Page
) -> Rows:
    """Readable analyses linked to parents (sequencing groups or cohorts) through ``link``, each row
    with its parent's id."""
    statement = (
        sa.select(*columns(a), parent)
        .join(link, link.c.analysis_id == a.c.id)
        .where(parent.in_(parent_ids), *where, *readable(session, a.c.project_id))
        .order_by(a.c.id)
    )
    return fetch(session, statement, a.c.id, page, parent)


def analyses_of_sequencing_groups(
    session: Session,
    sg_ids: IdSource,
    page: Page,
    status: FilterSpec | None,
    type: FilterSpec | None,
    meta: Any,
    active: FilterSpec | None,
    project: FilterSpec | None,
) -> Rows:
    """Each sequencing group's analyses, each row with its ``sequencing_group_id``; ``project`` filters on
    the project's name (of the readable ones: the read keeps to them)."""
    where = analysis_where(status, type, meta, active)
    if project is not None:
        names = sa.select(t.project.c.id).where(*conditions(t.project.c.name, project))
        where.append(a.c.project_id.in_(names))
    link = t.analysis_sequencing_group
    return _linked_analyses(session, link, link.c.sequencing_group_id, sg_ids, where, page)


def analyses_of_cohorts(session: Session, cohort_ids: IdSource, page: Page = NO_PAGE) -> Rows:
    """Each cohort's analyses, each row with its ``cohort_id``."""
    link = t.analysis_cohort
    return _linked_analyses(session, link, link.c.cohort_id, cohort_ids, [], page)


def sequencing_groups_without(session: Session, project_id: int, analysis_type: str) -> list[int]:
    """The project's unarchived sequencing groups that no active analysis of this type is linked to, by id."""
    sg, s, asg = t.sequencing_group, t.sample, t.analysis_sequencing_group
    analysed = (
        sa.select(asg.c.sequencing_group_id)
        .join(a, a.c.id == asg.c.analysis_id)
        .where(a.c.type == analysis_type, a.c.active.is_(True))
    )
    statement = (
        sa.select(sg.c.id)
        .join(s, s.c.id == sg.c.sample_id)
        .where(
            s.c.project_id == project_id,
            sg.c.archived.is_(False),
            sg.c.id.not_in(analysed),
            *readable(session, s.c.project_id),
        )
        .order_by(sg.c.id)
    )
    return [r["id"] for r in fetch(session, statement)]
