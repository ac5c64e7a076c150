"""Families as the pages show them: a project's families with their sizes, one page at a time, and a
family's pedigree (its members with their parents' names).

Read through explicit SQL (the pedigree's parent links are not in the GraphQL family types), a fixed
number of statements whatever the family's or project's size.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.errors import NotFound
from genolog.metadata.ids import int_or_none
from genolog.metadata.permissions import READ
from genolog.metadata.service import families as family_service
from genolog.metadata.service.families import Family
from genolog.metadata.service.reads import participants as family_reads
from genolog.metadata.service.session import Session
from genolog.metadata.store import external_ids


@dataclass
class FamilySummary:
    """A row of a project's families list."""

    id: int
    external_id: str
    description: str | None
    coded_phenotype: str | None
    members: int
    affected: int


@dataclass
class FamilyList:
    project: str
    total: int  # families in the project
    families: list[FamilySummary]  # those of the page asked for, in id order


@dataclass
class PedigreeMember:
    """A participant of a family, with the ids and names of its parents."""

    id: int
    external_id: str
    sex: int | None
    affected: int | None
    notes: str | None
    father: int | None
    mother: int | None
    father_name: str | None
    mother_name: str | None


@dataclass
class Pedigree:
    project: str
    family: Family
    name: str  # the family's primary external id
    members: list[PedigreeMember]  # in participant id order


def _primary(ids: dict[str, str], fallback: object) -> str:
    return ids.get("") or next(iter(ids.values()), None) or str(fallback)


def families(session: Session, project: str, page: int, per_page: int) -> FamilyList:
    """Page ``page`` (from 1) of the project's families, ``per_page`` of them: five statements."""
    f, fp = t.family, t.family_participant
    conn = session.tx.conn
    row = session.project(project, READ)
    total = conn.execute(sa.select(sa.func.count()).where(f.c.project_id == row["id"])).scalar_one()
    shown = (
        sa.select(f.c.id)
        .where(f.c.project_id == row["id"])
        .order_by(f.c.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    family_rows = conn.execute(
        sa.select(f.c.id, f.c.description, f.c.coded_phenotype).where(f.c.id.in_(shown)).order_by(f.c.id)
    ).all()
    names = external_ids.get_many(conn, "family", shown)
    sizes = {
        r.family_id: (r.members, r.affected or 0)
        for r in conn.execute(
            sa.select(
                fp.c.family_id,
                sa.func.count().label("members"),
                sa.func.sum(sa.case((fp.c.affected == 2, 1), else_=0)).label("affected"),
            )
            .where(fp.c.family_id.in_(shown))
            .group_by(fp.c.family_id)
        )
    }
    found = [
        FamilySummary(
            id=r.id,
            external_id=_primary(names.get(r.id, {}), r.id),
            description=r.description,
            coded_phenotype=r.coded_phenotype,
            members=sizes.get(r.id, (0, 0))[0],
            affected=sizes.get(r.id, (0, 0))[1],
        )
        for r in family_rows
    ]
    return FamilyList(row["name"], total, found)


def pedigree(session: Session, project: str, family_id: str) -> Pedigree:
    """The family ``family_id`` of the project and its members; a 404 if it is not in the project.

    Seven statements: the project, the family, its external ids and pedigree rows, and the sex and
    external ids of its members and of any parent outside it."""
    row = session.project(project, READ)
    tx = session.tx
    missing = NotFound(f"Family {family_id} not found in this project")
    fid = int_or_none(family_id)
    if fid is None:
        raise missing
    found = family_reads.family_by_id(session, fid)
    if not found or found[0]["project_id"] != row["id"]:
        raise missing
    family = family_service.models(session, found)[0]
    links = family_reads.family_members(session, [fid], None)
    fp, p = t.family_participant, t.participant
    rows = sa.select(fp).where(fp.c.family_id == fid).subquery()
    people = sa.select(p.c.id).where(
        sa.or_(
            p.c.id.in_(sa.select(rows.c.participant_id)),
            p.c.id.in_(sa.select(rows.c.paternal_participant_id)),
            p.c.id.in_(sa.select(rows.c.maternal_participant_id)),
        )
    )
    sexes = dict(tx.conn.execute(sa.select(p.c.id, p.c.reported_sex).where(p.c.id.in_(people))).all())
    names = {i: _primary(ids, i) for i, ids in external_ids.get_many(tx.conn, "participant", people).items()}
    members = [
        PedigreeMember(
            id=r["participant_id"],
            external_id=names.get(r["participant_id"], str(r["participant_id"])),
            sex=sexes.get(r["participant_id"]),
            affected=r["affected"],
            notes=r["notes"],
            father=r["paternal_participant_id"],
            mother=r["maternal_participant_id"],
            father_name=names.get(r["paternal_participant_id"]) if r["paternal_participant_id"] else None,
            mother_name=names.get(r["maternal_participant_id"]) if r["maternal_participant_id"] else None,
        )
        for r in links
    ]
    return Pedigree(row["name"], family, _primary(family.external_ids, family.id), members)
