"""Batched reads of sequencing groups (a group's project is its sample's), from readable projects only."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.errors import BadRequest
from genolog.metadata.service.reads.filters import FilterSpec, Where, conditions, meta_conditions
from genolog.metadata.service.reads.paging import NO_PAGE, Page
from genolog.metadata.service.reads.projects import project_ids_matching
from genolog.metadata.service.reads.rows import (
    Column,
    IdSource,
    Rows,
    columns,
    fetch,
    matching_external_ids,
    readable,
)
from genolog.metadata.service.session import Session
from genolog.metadata.store import sequencing_groups as sg_store

sg = t.sequencing_group
#: a group is active when it is not archived (a CASE, so that any filter operator applies unambiguously)
_ACTIVE = sa.case((sg.c.archived, sa.false()), else_=sa.true())


def _groups_statement(session: Session, *extra: Column) -> sa.Select[Any]:
    """Sequencing groups (their project is their sample's) in readable projects."""
    statement = sa.select(*columns(sg), *extra).select_from(sg)
    return statement.where(*readable(session, sg.c.project_id)).order_by(sg.c.id)


def sequencing_groups(
    session: Session, where: Where, page: Page = NO_PAGE, parent: Column | None = None
) -> Rows:
    return fetch(session, _groups_statement(session).where(*where), sg.c.id, page, parent)


def sequencing_groups_by_ids(session: Session, ids: IdSource) -> Rows:
    return sequencing_groups(session, [sg.c.id.in_(ids)])


def sequencing_group_where(
    session: Session,
    id: FilterSpec | None,
    type: FilterSpec | None,
    technology: FilterSpec | None,
    platform: FilterSpec | None,
    active_only: FilterSpec | None,
    external_id: FilterSpec | None,
) -> Where:
    """The conditions of the filters every list of sequencing groups takes. ``active_only`` filters on
    whether a group is active (not archived), as Metamist's does: unarchived groups when it is not given,
    the archived ones only for ``{eq: false}``, all of them for ``{in_: [true, false]}`` or ``{}``."""
    where = conditions(sg.c.id, id, session.codecs.sequencing_group.parse)
    where += (
        conditions(sg.c.type, type)
        + conditions(sg.c.technology, technology)
        + conditions(sg.c.platform, platform)
    )
    if active_only is None:
        where.append(sg.c.archived.is_(False))
    else:
        where += conditions(_ACTIVE, active_only)
    if external_id is not None:
        where.append(
            matching_external_ids(
                sg, "sequencing_group", conditions(t.sequencing_group_external_id.c.external_id, external_id)
            )
        )
    return where


def sequencing_groups_of_samples(
    session: Session,
    sample_ids: IdSource,
    page: Page,
    id: FilterSpec | None,
    type: FilterSpec | None,
    technology: FilterSpec | None,
    platform: FilterSpec | None,
    meta: Any,
    active_only: FilterSpec | None,
) -> Rows:
    where = sequencing_group_where(session, id, type, technology, platform, active_only, None)
    where += meta_conditions(sg.c.meta, meta)
    sample_id = sg.c.sample_id
    return sequencing_groups(session, [sample_id.in_(sample_ids), *where], page, sample_id)


def sequencing_groups_of_projects(
    session: Session,
    project_ids: IdSource,
    page: Page,
    id: FilterSpec | None,
    external_id: FilterSpec | None,
    type: FilterSpec | None,
    technology: FilterSpec | None,
    platform: FilterSpec | None,
    active_only: FilterSpec | None,
) -> Rows:
    where = sequencing_group_where(session, id, type, technology, platform, active_only, external_id)
    project_id = sg.c.project_id
    return sequencing_groups(session, [project_id.in_(project_ids), *where], page, project_id)


def sequencing_groups_matching(
    session: Session,
    page: Page,
    project: FilterSpec | None,
    id: FilterSpec | None,
    sample_id: FilterSpec | None,
    type: FilterSpec | None,
    technology: FilterSpec | None,
    platform: FilterSpec | None,
    active_only: FilterSpec | None,
    assay_meta: Any,
    has_cram: bool | None,
    has_gvcf: bool | None,
    created_on: FilterSpec | None,
) -> Rows:
    """Sequencing groups of the readable projects ``project`` names (the root ``sequencingGroups``
    query). ``has_cram`` and ``has_gvcf`` ask for a completed, active analysis of that type (of a
    readable project) or none; ``created_on`` is refused (once the other filters are checked)."""
    where: Where = [sg.c.project_id.in_(project_ids_matching(session, project))]
    where += sequencing_group_where(session, id, type, technology, platform, active_only, None)
    where += conditions(sg.c.sample_id, sample_id, session.codecs.sample.parse)
    if assay_meta is not None:
        link = t.sequencing_group_assay
        matching = sa.select(link.c.sequencing_group_id).join(t.assay, t.assay.c.id == link.c.assay_id)
        where.append(sg.c.id.in_(matching.where(*meta_conditions(t.assay.c.meta, assay_meta))))
    for flag, analysis_type in ((has_cram, "cram"), (has_gvcf, "gvcf")):
        if flag is not None:
            link = t.analysis_sequencing_group
            with_type = (
                sa.select(link.c.sequencing_group_id)
                .join(t.analysis, t.analysis.c.id == link.c.analysis_id)
                .where(
                    *readable(session, t.analysis.c.project_id),
                    t.analysis.c.type == analysis_type,
                    t.analysis.c.status == "completed",
                    t.analysis.c.active.is_(True),
                )
            )
            where.append(sg.c.id.in_(with_type) if flag else sg.c.id.not_in(with_type))
    if created_on is not None:
        raise BadRequest("Filtering sequencing groups by createdOn is not supported yet")
    return sequencing_groups(session, where, page)


def sequencing_groups_listed(
    session: Session, sg_ids: list[int], page: Page, active_only: FilterSpec | None
) -> Rows:
    """Readable sequencing groups among ``sg_ids`` (a cohort not yet created: a dry run's)."""
    active = sequencing_group_where(session, None, None, None, None, active_only, None)
    return sequencing_groups(session, [sg.c.id.in_(sg_ids), *active], page)


def sequencing_groups_of_cohorts(
    session: Session, cohort_ids: IdSource, page: Page, active_only: FilterSpec | None
) -> Rows:
    """The readable sequencing groups of cohorts, each row with its ``cohort_id`` (a cohort may hold
    groups of several projects: it shows only those the caller may read)."""
    link = t.cohort_sequencing_group
    active = sequencing_group_where(session, None, None, None, None, active_only, None)
    statement = (
        _groups_statement(session, link.c.cohort_id)
        .join(link, link.c.sequencing_group_id == sg.c.id)
        .where(link.c.cohort_id.in_(cohort_ids), *active)
    )
    return fetch(session, statement, sg.c.id, page, link.c.cohort_id)


def sequencing_groups_of_analyses(session: Session, analysis_ids: IdSource) -> tuple[Rows, Rows]:
    """The (analysis_id, sequencing_group_id) links of these analyses, and the readable groups they name."""
    link = t.analysis_sequencing_group
    links = fetch(
        session,
        sa.select(link.c.analysis_id, link.c.sequencing_group_id)
        .where(link.c.analysis_id.in_(analysis_ids))
        .order_by(link.c.sequencing_group_id),
    )
    linked = sg.c.id.in_(sa.select(link.c.sequencing_group_id).where(link.c.analysis_id.in_(analysis_ids)))
    return links, sequencing_groups(session, [linked])


def creation_history(session: Session, project_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Per project, how many sequencing groups of each type and technology it had at the end of each day
    on which one was created (for projects the caller has checked it may read)."""
    return sg_store.creation_history(session.tx.conn, project_ids)
