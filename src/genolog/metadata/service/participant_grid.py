"""Metamist's participant grid (``POST /web/{project}/participants``): a project's participants, each with
its families and its active samples, their sequencing groups and those groups' assays, filtered on any
of them, one page at a time, with the grid's columns (``grid_fields.fields``).

A participant is shown when it matches the participant filter, is in a family matching the family filter,
and has one active sample matching the sample filter that has a (non-archived) sequencing group matching
the sequencing-group filter and an assay matching the assay filter. Its samples, groups and assays shown
are those matching the same filters. A page costs a fixed number of statements: the count, the page's
participant ids, then one statement per relation (and one per relation's external ids).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel

from genolog.metadata import tables as t
from genolog.metadata.db import one_of
from genolog.metadata.errors import BadRequest
from genolog.metadata.inputs import check_text
from genolog.metadata.models_web import (
    GenericFilter,
    GenericMetaFilter,
    MetaSearchEntityPrefix,
    ProjectParticipantGridField,
    ProjectParticipantGridFilter,
)
from genolog.metadata.permissions import READ
from genolog.metadata.service.assays import Assay
from genolog.metadata.service.grid_fields import fields
from genolog.metadata.service.page_numbers import nearer_end
from genolog.metadata.service.reads.filters import Filter, conditions, meta_conditions
from genolog.metadata.service.session import Session
from genolog.metadata.store import external_ids

MAX_LIMIT = 1000  # participants in one page of the grid
Where = list[sa.ColumnElement[bool]]


class NestedSequencingGroup(BaseModel):
    id: str
    type: str
    technology: str
    platform: str
    meta: dict[str, Any]
    external_ids: dict[str, str]
    assays: list[Assay]


class NestedSample(BaseModel):
    id: str
    external_ids: dict[str, str]
    meta: dict[str, Any]
    type: str
    created_date: str | None
    sample_root_id: str | None
    sample_parent_id: str | None
    non_sequencing_assays: list[Assay]
    sequencing_groups: list[NestedSequencingGroup]


class FamilySimple(BaseModel):
    id: int
    external_ids: dict[str, str]
    meta: dict[str, Any]


class NestedParticipant(BaseModel):
    id: int
    external_ids: dict[str, str]
    meta: dict[str, Any]
    samples: list[NestedSample]
    families: list[FamilySimple]
    reported_sex: int | None
    reported_gender: str | None
    karyotype: str | None


class ProjectParticipantGridResponse(BaseModel):
    participants: list[NestedParticipant]
    total_results: int
    fields: dict[MetaSearchEntityPrefix, list[ProjectParticipantGridField]]


# --- filters as SQL ---------------------------------------------------------------------------------------

_TEXT_MATCHES = ("contains", "icontains", "startswith")


def _generic(
    column: sa.ColumnElement[Any],
    spec: GenericFilter[Any] | None,
    what: str,
    convert: Callable[[Any], Any] | None = None,
) -> Where:
    """A filter's conditions on ``column``; ``convert`` (formatted id -> number) allows no text matches."""
    if spec is None:
        return []
    if convert is not None:
        used = [op for op in _TEXT_MATCHES if getattr(spec, op) is not None]
        if used:
            raise BadRequest(f"The {what} filter takes eq, neq, in_ and nin (not {', '.join(used)})")
    matches = {op: getattr(spec, op) for op in _TEXT_MATCHES if getattr(spec, op) is not None}
    where: Where = []
    if matches and not isinstance(column.type, sa.String):  # a number matched as text, as MariaDB does
        where += conditions(sa.cast(column, sa.Text), Filter(**matches))
        spec = spec.model_copy(update=dict.fromkeys(matches))
    where += conditions(column, spec, convert or (lambda v: v))
    if spec.neq is not None:
        value = check_text(spec.neq, "A filter value") if isinstance(spec.neq, str) else spec.neq
        where.append(column != (convert(value) if convert else value))
    return where


def _meta(column: sa.ColumnElement[Any], spec: GenericMetaFilter | None) -> Where:
    """``{key: {operator: value}}`` on a JSON meta column (``neq``: the key's value differs)."""
    where: Where = []
    for key, condition in (spec or {}).items():
        ops = {op: v for op, v in condition.model_dump(exclude_none=True).items() if op != "neq"}
        if ops:
            where += meta_conditions(column, {key: ops})
        if condition.neq is not None:
            where.append(sa.not_(sa.and_(*meta_conditions(column, {key: {"eq": condition.neq}}))))
    return where


def _external_id(
    entity: str, id_column: sa.ColumnElement[int], spec: GenericFilter[str] | None, what: str
) -> Where:
    """The entity has an external id (of any organisation) matching ``spec``."""
    if spec is None:
        return []
    table = external_ids.TABLES[entity]
    return [
        id_column.in_(sa.select(table.c[f"{entity}_id"]).where(*_generic(table.c.external_id, spec, what)))
    ]


@dataclass(frozen=True)
class _Filters:
    """The grid filter as SQL conditions on each table (``t.participant``, ``t.sample``, ...)."""

    grid: ProjectParticipantGridFilter
    parse_sample: Callable[[str], int]
    parse_group: Callable[[str], int]

    def participant(self) -> Where:
        p, spec = t.participant, self.grid.participant
        if spec is None:
            return []
        return [
            *_generic(p.c.id, spec.id, "participant id"),
            *_external_id("participant", p.c.id, spec.external_id, "participant external id"),
            *_generic(p.c.reported_sex, spec.reported_sex, "reported sex"),
            *_generic(p.c.reported_gender, spec.reported_gender, "reported gender"),
            *_generic(p.c.karyotype, spec.karyotype, "karyotype"),
            *_meta(p.c.meta, spec.meta),
        ]

    def family(self) -> Where:
        f, spec = t.family, self.grid.family
        if spec is None:
            return []
        return [
            *_generic(f.c.id, spec.id, "family id"),
            *_external_id("family", f.c.id, spec.external_id, "family external id"),
            *_meta(f.c.meta, spec.meta),
        ]

    def sample(self) -> Where:
        """The sample's own conditions, and that it has a matching group and a matching assay."""
        s, spec = t.sample, self.grid.sample
        where: Where = [s.c.active.is_(True)]
        if spec is not None:
            where += [
                *_generic(s.c.id, spec.id, "sample id", self.parse_sample),
                *_generic(s.c.type, spec.type, "sample type"),
                *_external_id("sample", s.c.id, spec.external_id, "sample external id"),
                *_meta(s.c.meta, spec.meta),
            ]
        if self.grid.sequencing_group is not None:
            sg = t.sequencing_group
            where.append(sa.exists().where(sg.c.sample_id == s.c.id, *self.sequencing_group()))
        if self.grid.assay is not None:
            a = t.assay
            where.append(sa.exists().where(a.c.sample_id == s.c.id, *self.assay()))
        return where

    def sequencing_group(self) -> Where:
        sg, spec = t.sequencing_group, self.grid.sequencing_group
        where: Where = [sg.c.archived.is_(False)]
        if spec is not None:
            where += [
                *_generic(sg.c.id, spec.id, "sequencing group id", self.parse_group),
                *_external_id("sequencing_group", sg.c.id, spec.external_id, "sequencing group external id"),
                *_generic(sg.c.type, spec.type, "sequencing type"),
                *_generic(sg.c.technology, spec.technology, "sequencing technology"),
                *_generic(sg.c.platform, spec.platform, "sequencing platform"),
                *_meta(sg.c.meta, spec.meta),
            ]
        return where

    def assay(self) -> Where:
        a, spec = t.assay, self.grid.assay
        if spec is None:
            return []
        return [
            *_generic(a.c.id, spec.id, "assay id"),
            *_external_id("assay", a.c.id, spec.external_id, "assay external id"),
            *_generic(a.c.type, spec.type, "assay type"),
            *_meta(a.c.meta, spec.meta),
        ]

    def participants(self, project_id: int) -> Where:
        """The participants of the project the grid shows."""
        p, s = t.participant, t.sample
        where = [p.c.project_id == project_id, *self.participant()]
        if self.grid.family is not None:
            fp, f = t.family_participant, t.family
            where.append(
                sa.exists()
                .select_from(fp.join(f, f.c.id == fp.c.family_id))
                .where(fp.c.participant_id == p.c.id, *self.family())
            )
        if any(x is not None for x in (self.grid.sample, self.grid.sequencing_group, self.grid.assay)):
            where.append(sa.exists().where(s.c.participant_id == p.c.id, *self.sample()))
        return where


def _filters(session: Session, grid: ProjectParticipantGridFilter) -> _Filters:
    codecs = session.codecs
    return _Filters(grid, codecs.sample.parse, codecs.sequencing_group.parse)


# --- reading ----------------------------------------------------------------------------------------------


def _date(value: Any) -> str | None:
    if value is None:
        return None
    return value.date().isoformat() if isinstance(value, datetime.datetime) else str(value)


def nested_participants(session: Session, filters: _Filters, ids: list[int]) -> list[NestedParticipant]:
    """The participants ``ids`` (already chosen by ``filters``), in that order, with what they show."""
    if not ids:
        return []
    conn, codecs = session.tx.conn, session.codecs
    p, s, sg, a, sga = t.participant, t.sample, t.sequencing_group, t.assay, t.sequencing_group_assay
    fp, f = t.family_participant, t.family
    people = {r.id: r for r in conn.execute(sa.select(p).where(one_of(conn, p.c.id, ids)))}
    samples = conn.execute(
        sa.select(s).where(one_of(conn, s.c.participant_id, ids), *filters.sample()).order_by(s.c.id)
    ).all()
    sample_ids = [r.id for r in samples]
    group_where = filters.sequencing_group()
    if filters.grid.assay is not None:  # groups with a matching assay
        group_where.append(
            sa.exists()
            .select_from(sga.join(a, a.c.id == sga.c.assay_id))
            .where(sga.c.sequencing_group_id == sg.c.id, *filters.assay())
        )
    groups = (
        conn.execute(
            sa.select(sg).where(one_of(conn, sg.c.sample_id, sample_ids), *group_where).order_by(sg.c.id)
        ).all()
        if sample_ids
        else []
    )
    group_ids = [r.id for r in groups]
    assays = (
        conn.execute(
            sa.select(a, sga.c.sequencing_group_id)
            .join(sga, sga.c.assay_id == a.c.id)
            .where(one_of(conn, sga.c.sequencing_group_id, group_ids), *filters.assay())
            .order_by(a.c.id)
        ).all()
        if group_ids
        else []
    )
    families = conn.execute(
        sa.select(fp.c.participant_id, f.c.id, f.c.meta)
        .join(f, f.c.id == fp.c.family_id)
        .where(one_of(conn, fp.c.participant_id, ids))
        .order_by(f.c.id)
    ).all()
    eids = {
        "participant": external_ids.get_many(conn, "participant", ids),
        "sample": external_ids.get_many(conn, "sample", sample_ids),
        "sequencing_group": external_ids.get_many(conn, "sequencing_group", group_ids),
        "assay": external_ids.get_many(conn, "assay", {r.id for r in assays}),
        "family": external_ids.get_many(conn, "family", {r.id for r in families}),
    }
    fmt_sample = codecs.sample.format
    assays_of: dict[int, list[Assay]] = {}
    for r in assays:
        assays_of.setdefault(r.sequencing_group_id, []).append(
            Assay(
                id=r.id,
                external_ids=eids["assay"].get(r.id, {}),
                sample_id=fmt_sample(r.sample_id),
                meta=r.meta or {},
                type=r.type,
            )
        )
    groups_of: dict[int, list[NestedSequencingGroup]] = {}
    for r in groups:
        groups_of.setdefault(r.sample_id, []).append(
            NestedSequencingGroup(
                id=codecs.sequencing_group.format(r.id),
                type=r.type,
                technology=r.technology,
                platform=r.platform,
                meta=r.meta or {},
                external_ids=eids["sequencing_group"].get(r.id, {}),
                assays=assays_of.get(r.id, []),
            )
        )
    samples_of: dict[int, list[NestedSample]] = {}
    for r in samples:
        samples_of.setdefault(r.participant_id, []).append(
            NestedSample(
                id=fmt_sample(r.id),
                external_ids=eids["sample"].get(r.id, {}),
                meta=r.meta or {},
                type=r.type,
                created_date=_date(r.created_at),
                sample_root_id=None if r.root_id is None else fmt_sample(r.root_id),
                sample_parent_id=None if r.parent_id is None else fmt_sample(r.parent_id),
                non_sequencing_assays=[],
                sequencing_groups=groups_of.get(r.id, []),
            )
        )
    families_of: dict[int, list[FamilySimple]] = {}
    for r in families:
        families_of.setdefault(r.participant_id, []).append(
            FamilySimple(id=r.id, external_ids=eids["family"].get(r.id, {}), meta=r.meta or {})
        )
    return [
        NestedParticipant(
            id=pid,
            external_ids=eids["participant"].get(pid, {}),
            meta=people[pid].meta or {},
            samples=samples_of.get(pid, []),
            families=families_of.get(pid, []),
            reported_sex=people[pid].reported_sex,
            reported_gender=people[pid].reported_gender,
            karyotype=people[pid].karyotype,
        )
        for pid in ids
        if pid in people
    ]


def _project_id(session: Session, project: str) -> int:
    return int(session.project(project, READ)["id"])


def grid(
    session: Session, project: str, grid_filter: ProjectParticipantGridFilter, limit: int, skip: int
) -> ProjectParticipantGridResponse:
    """A page of the project's grid: ``limit`` participants (at most ``MAX_LIMIT``) after ``skip``, in
    id order, the number of participants the filters keep, and the grid's columns."""
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT} (got {limit})")
    if skip < 0:
        raise BadRequest(f"skip must not be negative (got {skip})")
    project_id = _project_id(session, project)
    filters = _filters(session, grid_filter)
    p, conn = t.participant, session.tx.conn
    where = filters.participants(project_id)
    total = int(conn.execute(sa.select(sa.func.count()).select_from(p).where(*where)).scalar_one())
    part = nearer_end(total, skip, limit)  # the last pages read from the end
    in_order = p.c.id.desc() if part.backwards else p.c.id
    ids = list(
        conn.execute(
            sa.select(p.c.id).where(*where).order_by(in_order).limit(part.limit).offset(part.offset)
        ).scalars()
    )
    if part.backwards:
        ids.reverse()
    found = nested_participants(session, filters, ids)
    return ProjectParticipantGridResponse(
        participants=found, total_results=total, fields=fields(found, grid_filter)
    )


def participant_pages(
    session: Session, project: str, grid_filter: ProjectParticipantGridFilter, per_page: int
) -> Callable[[], Any]:
    """Every participant the filters keep, ``per_page`` at a time in id order: a function that returns
    a fresh generator of pages each time it is called (an export reads them twice). The project is
    checked here, before any page is read."""
    project_id = _project_id(session, project)
    filters = _filters(session, grid_filter)
    p, conn = t.participant, session.tx.conn
    where = filters.participants(project_id)
    conn.execute(sa.select(p.c.id).where(*where).limit(1)).all()  # a bad filter fails now, not mid-stream

    def pages() -> Any:
        after = -1
        while True:
            ids = list(
                conn.execute(
                    sa.select(p.c.id).where(*where, p.c.id > after).order_by(p.c.id).limit(per_page)
                ).scalars()
            )
            if not ids:
                return
            yield nested_participants(session, filters, ids)
            after = ids[-1]

    return pages


def filter_schema(session: Session, project: str) -> dict[str, Any]:
    """The JSON schema of the grid's filter (the caller must be able to read the project)."""
    _project_id(session, project)
    return ProjectParticipantGridFilter.model_json_schema()
