"""Batched reads of cohorts and cohort templates, from readable projects only."""

from __future__ import annotations

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.service.reads.filters import FilterSpec, Where, as_utc, conditions
from genolog.metadata.service.reads.paging import Page
from genolog.metadata.service.reads.projects import project_ids_matching
from genolog.metadata.service.reads.rows import IdSource, Rows, entities
from genolog.metadata.service.session import Session

c, ct = t.cohort, t.cohort_template


def cohorts(session: Session, where: Where) -> Rows:
    return entities(session, c, where)


def templates(session: Session, where: Where) -> Rows:
    return entities(session, ct, where)


def cohort_by_id(session: Session, cohort_id: int) -> Rows:
    return cohorts(session, [c.c.id == cohort_id])


def template_by_id(session: Session, template_id: int) -> Rows:
    return templates(session, [ct.c.id == template_id])


def templates_of_cohorts(session: Session, cohort_ids: IdSource) -> Rows:
    wanted = sa.select(c.c.template_id).where(c.c.id.in_(cohort_ids))
    return templates(session, [ct.c.id.in_(wanted)])


def cohort_where(
    session: Session,
    id: FilterSpec | None = None,
    name: FilterSpec | None = None,
    author: FilterSpec | None = None,
    template_id: FilterSpec | None = None,
    timestamp: FilterSpec | None = None,
    status: FilterSpec | None = None,
) -> Where:
    codecs = session.codecs
    where = conditions(c.c.id, id, codecs.cohort.parse) + conditions(c.c.name, name)
    where += conditions(c.c.author, author) + conditions(
        c.c.template_id, template_id, codecs.cohort_template.parse
    )
    where += conditions(c.c.timestamp, timestamp, as_utc) + conditions(c.c.status, status)
    return where


def cohorts_of_projects(
    session: Session,
    project_ids: IdSource,
    page: Page,
    id: FilterSpec | None,
    name: FilterSpec | None,
    author: FilterSpec | None,
    template_id: FilterSpec | None,
    timestamp: FilterSpec | None,
    status: FilterSpec | None,
) -> Rows:
    project_id = c.c.project_id
    where = [
        project_id.in_(project_ids),
        *cohort_where(session, id, name, author, template_id, timestamp, status),
    ]
    return entities(session, c, where, page, project_id)


def cohorts_matching(
    session: Session,
    page: Page,
    project: FilterSpec | None,
    id: FilterSpec | None,
    name: FilterSpec | None,
    author: FilterSpec | None,
    template_id: FilterSpec | None,
    status: FilterSpec | None,
) -> Rows:
    """Cohorts of the readable projects ``project`` names (the root ``cohorts`` query)."""
    where = cohort_where(session, id, name, author, template_id, None, status)
    where.append(c.c.project_id.in_(project_ids_matching(session, project)))
    return entities(session, c, where, page)


def templates_matching(
    session: Session, page: Page, project: FilterSpec | None, id: FilterSpec | None
) -> Rows:
    """Cohort templates of the readable projects ``project`` names (the root ``cohortTemplates`` query)."""
    where: Where = [
        ct.c.project_id.in_(project_ids_matching(session, project)),
        *conditions(ct.c.id, id, session.codecs.cohort_template.parse),
    ]
    return entities(session, ct, where, page)
