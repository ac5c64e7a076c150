"""Batched reads of participants and families, their pedigree links (both ways), phenotypes and
pedigrees, from readable projects only (``rows.restricted``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.service.reads.filters import FilterSpec, Where, conditions, meta_conditions
from genolog.metadata.service.reads.paging import NO_PAGE, Page
from genolog.metadata.service.reads.rows import (
    Column,
    IdSource,
    Rows,
    entities,
    fetch,
    matching_external_ids,
)
from genolog.metadata.service.session import Session
from genolog.metadata.store import external_ids
from genolog.metadata.store import families as family_store
from genolog.metadata.store import participants as participant_store

p, f, fp = t.participant, t.family, t.family_participant


def participants(session: Session, where: Where, page: Page = NO_PAGE, parent: Column | None = None) -> Rows:
    return entities(session, p, where, page, parent)


def families(session: Session, where: Where, page: Page = NO_PAGE, parent: Column | None = None) -> Rows:
    return entities(session, f, where, page, parent)


def participant_by_id(session: Session, participant_id: int) -> Rows:
    return participants(session, [p.c.id == participant_id])


def participants_by_ids(session: Session, ids: IdSource) -> Rows:
    return participants(session, [p.c.id.in_(ids)])


def family_by_id(session: Session, family_id: int) -> Rows:
    return families(session, [f.c.id == family_id])


def families_by_ids(session: Session, ids: IdSource) -> Rows:
    return families(session, [f.c.id.in_(ids)])


def participants_of_samples(session: Session, sample_ids: IdSource) -> Rows:
    wanted = sa.select(t.sample.c.participant_id).where(t.sample.c.id.in_(sample_ids))
    return participants(session, [p.c.id.in_(wanted)])


def phenotypes(session: Session, participant_ids: IdSource) -> dict[int, dict[str, Any]]:
    """participant id -> {phenotype: value} (only participants that have some, for a subquery)."""
    return participant_store.phenotypes(session.tx, participant_ids)


def family_members(session: Session, family_ids: IdSource | None, participant_ids: IdSource | None) -> Rows:
    """Pedigree rows (links: each side's row is fetched through ``participants`` or ``families``)."""
    statement = sa.select(fp)
    if family_ids is not None:
        statement = statement.where(fp.c.family_id.in_(family_ids))
    if participant_ids is not None:
        statement = statement.where(fp.c.participant_id.in_(participant_ids))
    return fetch(session, statement.order_by(fp.c.family_id, fp.c.participant_id))


def families_of_participants(session: Session, participant_ids: IdSource) -> tuple[Rows, Rows]:
    """The pedigree rows of these participants, and the readable families they name."""
    links = family_members(session, None, participant_ids)
    linked = f.c.id.in_(sa.select(fp.c.family_id).where(fp.c.participant_id.in_(participant_ids)))
    return links, families(session, [linked])


def participants_of_families(session: Session, family_ids: IdSource) -> tuple[Rows, Rows]:
    """The pedigree rows of these families, and the readable participants they name."""
    links = family_members(session, family_ids, None)
    linked = p.c.id.in_(sa.select(fp.c.participant_id).where(fp.c.family_id.in_(family_ids)))
    return links, participants(session, [linked])


def participants_listed(
    session: Session, project_id: int, ids: list[int] | None, external: list[str] | None
) -> Rows:
    """The project's participants, by id, kept to the listed ids and external ids (``None``: all): the
    REST API's participant query."""
    where: Where = [p.c.project_id == project_id]
    if ids is not None:
        where.append(p.c.id.in_(ids))
    if external is not None:
        where.append(
            p.c.id.in_(external_ids.ids_matching(session.tx.conn, "participant", project_id, external))
        )
    return participants(session, where)


def families_listed(
    session: Session, project_id: int, participant_ids: list[int] | None, sample_ids: list[int] | None
) -> Rows:
    """The project's families, by id; given participants or samples (or both), only the families of those
    participants and of the samples' participants: the REST API's family query."""
    where: Where = [f.c.project_id == project_id]
    if participant_ids is not None or sample_ids is not None:
        of_samples = sa.select(t.sample.c.participant_id).where(
            t.sample.c.id.in_(sample_ids or []), t.sample.c.participant_id.is_not(None)
        )
        members = sa.or_(fp.c.participant_id.in_(participant_ids or []), fp.c.participant_id.in_(of_samples))
        where.append(f.c.id.in_(sa.select(fp.c.family_id).where(members)))
    return families(session, where)


def participants_of_projects(
    session: Session,
    project_ids: IdSource,
    page: Page,
    id: FilterSpec | None,
    external_id: FilterSpec | None,
    meta: Any,
    reported_sex: FilterSpec | None,
    reported_gender: FilterSpec | None,
    karyotype: FilterSpec | None,
) -> Rows:
    where = [p.c.project_id.in_(project_ids), *conditions(p.c.id, id), *meta_conditions(p.c.meta, meta)]
    where += conditions(p.c.reported_sex, reported_sex) + conditions(p.c.reported_gender, reported_gender)
    where += conditions(p.c.karyotype, karyotype)
    if external_id is not None:
        where.append(
            matching_external_ids(
                p, "participant", conditions(t.participant_external_id.c.external_id, external_id)
            )
        )
    return participants(session, where, page, p.c.project_id)


def families_of_projects(
    session: Session,
    project_ids: IdSource,
    page: Page,
    id: FilterSpec | None,
    external_id: FilterSpec | None,
    meta: Any,
) -> Rows:
    where = [f.c.project_id.in_(project_ids), *conditions(f.c.id, id), *meta_conditions(f.c.meta, meta)]
    if external_id is not None:
        where.append(
            matching_external_ids(f, "family", conditions(t.family_external_id.c.external_id, external_id))
        )
    return families(session, where, page, f.c.project_id)


def pedigree(
    session: Session,
    project_id: int,
    family_ids: list[int] | None,
    replace_with_participant_external_ids: bool,
    replace_with_family_external_ids: bool,
    include_participants_not_in_families: bool,
    empty_participant_value: str | None,
) -> list[Any]:
    """A readable project's pedigree rows (the caller checks the project: see ``GraphQLProject``)."""
    rows: list[Any] = family_store.pedigree(
        session.tx,
        project_id,
        family_ids,
        replace_with_participant_external_ids,
        replace_with_family_external_ids,
        include_participants_not_in_families,
        empty_participant_value,
    )
    return rows
