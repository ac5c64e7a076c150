"""Sequencing groups: a fixed set of assays of one sample. Changing the set archives the group and makes a new one."""

from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.context import Tx
from genolog.metadata.errors import NotFound
from genolog.metadata.meta import merge_patch
from genolog.metadata.store import external_ids

FIELDS = ("type", "technology", "platform")


def get_row(tx: Tx, sg_id: int) -> dict[str, Any]:
    row = (
        tx.conn.execute(sa.select(t.sequencing_group).where(t.sequencing_group.c.id == sg_id))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"Sequencing group {tx.codecs.sequencing_group.format(sg_id)} not found")
    return dict(row)


def archive(tx: Tx, project_id: int, sg_ids: list[int]) -> None:
    """Archive sequencing groups and free their external ids."""
    tx.touch("sequencing_group", sg_ids, project_id)
    tx.conn.execute(
        t.sequencing_group.update()
        .where(t.sequencing_group.c.id.in_(sg_ids))
        .values(archived=True, audit_log_id=tx.audit_log_id)
    )
    external_ids.delete_all(tx, "sequencing_group", sg_ids)


def update_meta(tx: Tx, sg_id: int, patch: dict[str, Any]) -> None:
    row = get_row(tx, sg_id)
    tx.touch("sequencing_group", [sg_id], row["project_id"])
    tx.conn.execute(
        t.sequencing_group.update()
        .where(t.sequencing_group.c.id == sg_id)
        .values(meta=merge_patch(row["meta"], patch), audit_log_id=tx.audit_log_id)
    )


def ids_by_sample_by_type(tx: Tx, project_id: int) -> dict[str, dict[str, list[str]]]:
    rows = tx.conn.execute(
        sa.select(t.sequencing_group.c.sample_id, t.sequencing_group.c.type, t.sequencing_group.c.id)
        .join(t.sample)
        .where(t.sample.c.project_id == project_id, t.sequencing_group.c.archived.is_(False))
        .order_by(t.sequencing_group.c.id)
    )
    result: dict[str, dict[str, list[str]]] = {}
    for sample_id, sg_type, sg_id in rows:
        result.setdefault(tx.codecs.sample.format(sample_id), {}).setdefault(sg_type, []).append(
            tx.codecs.sequencing_group.format(sg_id)
        )
    return result


def creation_history(
    conn: sa.Connection, project_ids: list[int] | sa.Select[Any]
) -> dict[int, list[dict[str, Any]]]:
    """Per project, how many sequencing groups of each type and technology existed at the end of each
    day on which one was created (a running total, by the date of the request that created them)."""
    c, a, sg = t.change, t.audit_log, t.sequencing_group
    _, rows, project = t.creations_on_rows("sequencing_group")
    # (project, audit-log entry, group) of each creation: recorded on the group's row since migration
    # 0007, before that as a ``change`` row
    created = sa.union_all(
        sa.select(project, sg.c.created_audit_log_id.label("audit_log_id"), sg.c.id)
        .select_from(rows)
        .where(sg.c.created_audit_log_id.is_not(None), project.in_(project_ids)),
        sa.select(c.c.project_id, c.c.audit_log_id, c.c.entity_id).where(
            c.c.entity == "sequencing_group", c.c.operation == "create", c.c.project_id.in_(project_ids)
        ),
    ).subquery()
    day = sa.func.date(a.c.timestamp)
    statement = (
        sa.select(
            created.c.project_id, day.label("day"), sg.c.type, sg.c.technology, sa.func.count().label("n")
        )
        .select_from(created)
        .join(a, a.c.id == created.c.audit_log_id)
        .join(sg, sg.c.id == created.c.id)
        .group_by(created.c.project_id, day, sg.c.type, sg.c.technology)
        .order_by(created.c.project_id, day, sg.c.type, sg.c.technology)
    )
    result: dict[int, list[dict[str, Any]]] = {}
    totals: dict[tuple[int, str, str], int] = {}
    for project_id, created_on, type_, technology, n in conn.execute(statement):
        key = (project_id, type_, technology)
        totals[key] = totals.get(key, 0) + n
        result.setdefault(project_id, []).append(
            {
                "date": datetime.date.fromisoformat(str(created_on)[:10]),
                "type": type_,
                "technology": technology,
                "count": totals[key],
            }
        )
    return result
