"""Batched reads of samples and assays: each relation's rows for a whole group of parents, filtered and
paged in SQL, from readable projects only (``rows.restricted``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.service.reads.filters import (
    FilterSpec,
    Where,
    conditions,
    meta_conditions,
    meta_narrowing,
)
from genolog.metadata.service.reads.paging import NO_PAGE, Page
from genolog.metadata.service.reads.projects import project_ids_matching
from genolog.metadata.service.reads.rows import (
    Column,
    IdSource,
    Rows,
    columns,
    entities,
    fetch,
    matching_external_ids,
    restricted,
)
from genolog.metadata.service.session import Session

s, a = t.sample, t.assay


def samples(session: Session, where: Where, page: Page = NO_PAGE, parent: Column | None = None) -> Rows:
    return entities(session, s, where, page, parent)


def samples_by_ids(session: Session, ids: IdSource) -> Rows:
    return samples(session, [s.c.id.in_(ids)])


def _samples_selected(session: Session, wanted: sa.Select[Any]) -> Rows:
    """The samples whose ids ``wanted`` selects (the samples a group of rows points at)."""
    return samples(session, [s.c.id.in_(wanted)])


def parents_of_samples(session: Session, sample_ids: IdSource) -> Rows:
    return _samples_selected(session, sa.select(s.c.parent_id).where(s.c.id.in_(sample_ids)))


def roots_of_samples(session: Session, sample_ids: IdSource) -> Rows:
    return _samples_selected(session, sa.select(s.c.root_id).where(s.c.id.in_(sample_ids)))


def samples_of_assays(session: Session, assay_ids: IdSource) -> Rows:
    return _samples_selected(session, sa.select(a.c.sample_id).where(a.c.id.in_(assay_ids)))


def samples_of_sequencing_groups(session: Session, sg_ids: IdSource) -> Rows:
    sg = t.sequencing_group
    return _samples_selected(session, sa.select(sg.c.sample_id).where(sg.c.id.in_(sg_ids)))


def samples_of_participants(
    session: Session,
    participant_ids: IdSource,
    page: Page,
    type: FilterSpec | None,
    meta: Any,
    active: FilterSpec | None,
) -> Rows:
    """Each participant's samples (only active ones unless ``active`` filters), ``page`` of them each."""
    where = [
        s.c.participant_id.in_(participant_ids),
        *conditions(s.c.type, type),
        *meta_conditions(s.c.meta, meta),
    ]
    where += conditions(s.c.active, active) if active is not None else [s.c.active.is_(True)]
    return samples(session, where, page, s.c.participant_id)


def nested_samples(
    session: Session, parent_ids: IdSource, page: Page, type: FilterSpec | None, meta: Any
) -> Rows:
    """The active samples nested directly under each of these samples."""
    where = [
        s.c.parent_id.in_(parent_ids),
        s.c.active.is_(True),
        *conditions(s.c.type, type),
        *meta_conditions(s.c.meta, meta),
    ]
    return samples(session, where, page, s.c.parent_id)


def samples_of_projects(
    session: Session,
    project_ids: IdSource,
    page: Page,
    type: FilterSpec | None,
    external_id: FilterSpec | None,
    id: FilterSpec | None,
    meta: Any,
    parent_id: FilterSpec | None,
    root_id: FilterSpec | None,
) -> Rows:
    """Each project's active samples; ids (``id``, ``parent_id``, ``root_id``) are filtered as shown."""
    parse = session.codecs.sample.parse
    where = [
        s.c.project_id.in_(project_ids),
        s.c.active.is_(True),
        *conditions(s.c.type, type),
        *meta_conditions(s.c.meta, meta),
    ]
    where += (
        conditions(s.c.id, id, parse)
        + conditions(s.c.parent_id, parent_id, parse)
        + conditions(s.c.root_id, root_id, parse)
    )
    if external_id is not None:
        where.append(
            matching_external_ids(s, "sample", conditions(t.sample_external_id.c.external_id, external_id))
        )
    return samples(session, where, page, s.c.project_id)


def samples_matching(
    session: Session,
    page: Page,
    project: FilterSpec | None,
    id: FilterSpec | None,
    type: FilterSpec | None,
    meta: Any,
    external_id: FilterSpec | None,
    participant_id: FilterSpec | None,
    active: FilterSpec | None,
    parent_id: FilterSpec | None,
    root_id: FilterSpec | None,
) -> Rows:
    """Samples of the readable projects ``project`` names (the root ``sample`` query): only active ones
    unless ``active`` filters."""
    parse = session.codecs.sample.parse
    where: Where = [
        s.c.project_id.in_(project_ids_matching(session, project)),
        *conditions(s.c.id, id, parse),
        *conditions(s.c.type, type),
    ]
    where += meta_conditions(s.c.meta, meta) + conditions(s.c.participant_id, participant_id)
    where += conditions(s.c.parent_id, parent_id, parse) + conditions(s.c.root_id, root_id, parse)
    where += conditions(s.c.active, active) if active is not None else [s.c.active.is_(True)]
    if external_id is not None:
        where.append(
            matching_external_ids(s, "sample", conditions(t.sample_external_id.c.external_id, external_id))
        )
    return samples(session, where, page)


def samples_listed(
    session: Session,
    project_ids: list[int],
    sample_ids: list[int] | None,
    participant_ids: list[int] | None,
    active: bool | None,
    meta: Any = None,
) -> Rows:
    """The samples of these projects, by id, kept to the listed ids and participants (``None``: all) and
    to ``active`` (``None``: either), and narrowed towards a REST ``meta`` filter (``meta_narrowing``: the
    caller applies ``meta_matches``): the REST API's sample queries."""
    where: Where = [s.c.project_id.in_(project_ids), *meta_narrowing(s.c.meta, meta)]
    if sample_ids is not None:
        where.append(s.c.id.in_(sample_ids))
    if participant_ids is not None:
        where.append(s.c.participant_id.in_(participant_ids))
    if active is not None:
        where.append(s.c.active.is_(active))
    return samples(session, where)


def assays(session: Session, where: Where, page: Page = NO_PAGE, parent: Column | None = None) -> Rows:
    return entities(session, a, where, page, parent)


def assay_by_id(session: Session, assay_id: int) -> Rows:
    return assays(session, [a.c.id == assay_id])


def assays_by_ids(session: Session, ids: IdSource) -> Rows:
    return assays(session, [a.c.id.in_(ids)])


def assays_of_samples(
    session: Session, sample_ids: IdSource, page: Page, type: FilterSpec | None, meta: Any
) -> Rows:
    where = [a.c.sample_id.in_(sample_ids), *conditions(a.c.type, type), *meta_conditions(a.c.meta, meta)]
    return assays(session, where, page, a.c.sample_id)


def assays_of_sequencing_groups(session: Session, sg_ids: IdSource, page: Page = NO_PAGE) -> Rows:
    """Each sequencing group's assays, each row with its ``sequencing_group_id``."""
    link = t.sequencing_group_assay
    statement = (
        sa.select(*columns(a), link.c.sequencing_group_id)
        .join(link, link.c.assay_id == a.c.id)
        .where(link.c.sequencing_group_id.in_(sg_ids))
        .order_by(a.c.id)
    )
    return fetch(session, restricted(session, statement, a), a.c.id, page, link.c.sequencing_group_id)
