"""What the CRAM proportionate map reads: the projects' sequencing groups with their samples' creation, their
completed CRAM analyses, and the sequencing groups of joint calls and seqr (``es-index``) analyses. Each
read is of projects the caller was checked on, and keeps to readable projects besides."""

from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.service.reads.filters import as_utc
from genolog.metadata.service.reads.rows import Rows, fetch, readable
from genolog.metadata.service.session import Session

a, asg, sg, s = t.analysis, t.analysis_sequencing_group, t.sequencing_group, t.sample
JOINT_CALL_TYPES = ("joint-calling", "es-index")


def _groups(session: Session, project_ids: list[int], sequencing_types: list[str] | None) -> sa.Select[Any]:
    statement = (
        sa.select(sg.c.id, s.c.project_id, s.c.created_at)
        .join(s, s.c.id == sg.c.sample_id)
        .where(s.c.project_id.in_(project_ids), sg.c.archived.is_(False), *readable(session, s.c.project_id))
    )
    if sequencing_types:
        statement = statement.where(sg.c.type.in_(sequencing_types))
    return statement


def sequencing_groups(session: Session, project_ids: list[int], sequencing_types: list[str] | None) -> Rows:
    """The projects' unarchived sequencing groups (of these types; none: any): ``id``, ``project_id`` and
    ``created_at``, their sample's creation."""
    return fetch(session, _groups(session, project_ids, sequencing_types).order_by(sg.c.id))


def completed_crams(session: Session, project_ids: list[int], sequencing_types: list[str] | None) -> Rows:
    """The completed ``cram`` analyses of those sequencing groups, each with the first of its groups among
    them: ``id``, ``sequencing_group_id``, ``meta`` (JSON text), ``timestamp_completed``; by completion."""
    groups = _groups(session, project_ids, sequencing_types).with_only_columns(sg.c.id)
    statement = (
        sa.select(
            a.c.id,
            sa.func.min(asg.c.sequencing_group_id).label("sequencing_group_id"),
            sa.cast(a.c.meta, sa.Text).label("meta"),
            a.c.timestamp_completed,
        )
        .join(asg, asg.c.analysis_id == a.c.id)
        .where(
            a.c.type == "cram",
            a.c.status == "completed",
            asg.c.sequencing_group_id.in_(groups),
            *readable(session, a.c.project_id),
        )
        .group_by(a.c.id)
        .order_by(a.c.timestamp_completed, a.c.id)
    )
    return fetch(session, statement)


def joint_called_until(session: Session, project_ids: list[int], moment: datetime.datetime) -> set[int]:
    """The sequencing groups of the projects' joint calls and ``es-index`` analyses completed by ``moment``."""
    statement = (
        sa.select(asg.c.sequencing_group_id)
        .join(a, a.c.id == asg.c.analysis_id)
        .where(
            a.c.project_id.in_(project_ids),
            a.c.type.in_(JOINT_CALL_TYPES),
            a.c.timestamp_completed <= as_utc(moment),
            *readable(session, a.c.project_id),
        )
        .distinct()
    )
    return {r["sequencing_group_id"] for r in fetch(session, statement)}


def completed_between(
    session: Session,
    project_ids: list[int],
    analysis_type: str,
    after: datetime.datetime,
    until: datetime.datetime | None,
) -> Rows:
    """The projects' completed analyses of this type completed after ``after`` and by ``until`` (None: no
    end), one row per sequencing group: ``timestamp_completed``, ``sequencing_group_id``."""
    statement = (
        sa.select(a.c.timestamp_completed, asg.c.sequencing_group_id)
        .join(asg, asg.c.analysis_id == a.c.id)
        .where(
            a.c.project_id.in_(project_ids),
            a.c.type == analysis_type,
            a.c.status == "completed",
            a.c.timestamp_completed > as_utc(after),
            *readable(session, a.c.project_id),
        )
        .order_by(a.c.timestamp_completed, asg.c.sequencing_group_id)
    )
    if until is not None:
        statement = statement.where(a.c.timestamp_completed <= as_utc(until))
    return fetch(session, statement)
