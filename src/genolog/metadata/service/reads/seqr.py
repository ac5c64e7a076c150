"""What seqr loads from a project: the CRAMs of its participants, its participants' sequencing groups and its
participants' phenotypes with their families, both as seqr's sheets (``service.seqr_sheets``) and as a seqr
sync sends them (``service.seqr_data``). Each read is of one project the caller was checked on, and
keeps to readable projects besides (``rows.readable``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.db import one_of
from genolog.metadata.service.reads.rows import Rows, fetch, parse_json, readable
from genolog.metadata.service.session import Session
from genolog.metadata.store import external_ids

a, asg, sg, s = t.analysis, t.analysis_sequencing_group, t.sequencing_group, t.sample
peid, fp = t.participant_external_id, t.family_participant


def cram_paths(
    session: Session, project_id: int, sequencing_types: list[str], participant_ids: list[int] | None = None
) -> Rows:
    """The project's active, completed ``cram`` analyses with each of their sequencing groups whose sample
    has a participant: ``participant_id`` (its primary external id), ``output``, ``outputs`` (JSON text)
    and ``sequencing_group_id``, the most recently completed first. ``sequencing_types`` (none: any)
    keeps the analyses whose ``meta.sequencing_type`` is one of them; ``participant_ids`` (``None``: all)
    the groups of those participants' samples. Both seqr's IGV paths sheet and a seqr sync's CRAM map."""
    statement = (
        sa.select(
            peid.c.external_id.label("participant_id"),
            a.c.output,
            sa.cast(a.c.outputs, sa.Text).label("outputs"),
            sg.c.id.label("sequencing_group_id"),
        )
        .select_from(a)
        .join(asg, asg.c.analysis_id == a.c.id)
        .join(sg, sg.c.id == asg.c.sequencing_group_id)
        .join(s, s.c.id == sg.c.sample_id)
        .join(peid, sa.and_(peid.c.participant_id == s.c.participant_id, peid.c.name == external_ids.PRIMARY))
        .where(
            a.c.project_id == project_id,
            a.c.type == "cram",
            a.c.status == "completed",
            a.c.active.is_(True),
            *readable(session, a.c.project_id),
        )
        .order_by(a.c.timestamp_completed.desc(), a.c.id.desc(), sg.c.id)
    )
    if sequencing_types:
        statement = statement.where(a.c.meta["sequencing_type"].as_string().in_(sequencing_types))
    if participant_ids is not None:
        statement = statement.where(one_of(session.tx.conn, peid.c.participant_id, participant_ids))
    return fetch(session, statement)


def participant_sequencing_groups(
    session: Session, project_id: int, sequencing_type: str | None, current_only: bool = False
) -> Rows:
    """Each external id (of any organisation) of the project's participants with each sequencing group of
    their samples (``external_id``, ``sequencing_group_id``), by participant; ``sequencing_type`` keeps the
    groups of that type, ``current_only`` the groups not archived of active samples (what a seqr sync
    maps; seqr's participant sheet lists every group)."""
    statement = (
        sa.select(peid.c.external_id, sg.c.id.label("sequencing_group_id"))
        .select_from(peid)
        .join(s, s.c.participant_id == peid.c.participant_id)
        .join(sg, sg.c.sample_id == s.c.id)
        .where(s.c.project_id == project_id, *readable(session, s.c.project_id))
        .order_by(peid.c.participant_id, peid.c.name, sg.c.id)
    )
    if sequencing_type:
        statement = statement.where(sg.c.type == sequencing_type)
    if current_only:
        statement = statement.where(s.c.active.is_(True), sg.c.archived.is_(False))
    return fetch(session, statement)


def phenotyped_participants(
    session: Session, project_id: int, participant_ids: list[int] | None
) -> dict[int, dict[str, Any]]:
    """participant id -> {phenotype: value}, for the project's participants (or those listed) that have
    a phenotype with a value, by id."""
    pp, p = t.participant_phenotype, t.participant
    statement = (
        sa.select(pp.c.participant_id, pp.c.name, sa.cast(pp.c.value, sa.Text).label("value"))
        .join(p, p.c.id == pp.c.participant_id)
        .where(p.c.project_id == project_id, pp.c.value.is_not(None), *readable(session, p.c.project_id))
        .order_by(pp.c.participant_id, pp.c.name)
    )
    if participant_ids is not None:
        statement = statement.where(one_of(session.tx.conn, pp.c.participant_id, participant_ids))
    found: dict[int, dict[str, Any]] = {}
    for row in fetch(session, statement):
        value = row["value"]
        if value is not None and value != "null":  # a JSON null is no value
            found.setdefault(row["participant_id"], {})[row["name"]] = parse_json(value)
    return found


def families_of(session: Session, participant_ids: list[int]) -> dict[int, int]:
    """participant id -> the id of its family, for those of these participants that are in one."""
    if not participant_ids:
        return {}
    rows = fetch(
        session,
        sa.select(fp.c.participant_id, fp.c.family_id).where(
            one_of(session.tx.conn, fp.c.participant_id, participant_ids)
        ),
    )
    return {r["participant_id"]: r["family_id"] for r in rows}
