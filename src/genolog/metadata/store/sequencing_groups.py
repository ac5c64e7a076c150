"""Sequencing groups: a fixed set of assays of one sample. Changing the set archives the group and makes a new one."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.context import IdCodecs, Tx
from genolog.metadata.db import one_of
from genolog.metadata.errors import NotFound
from genolog.metadata.meta import merge_patch
from genolog.metadata.store import assays, external_ids

FIELDS = ("type", "technology", "platform")


def assay_ids(tx: Tx, sg_ids: list[int]) -> dict[int, list[int]]:
    result: dict[int, list[int]] = {i: [] for i in sg_ids}
    rows = tx.conn.execute(
        sa.select(t.sequencing_group_assay.c.sequencing_group_id, t.sequencing_group_assay.c.assay_id)
        .where(one_of(tx.conn, t.sequencing_group_assay.c.sequencing_group_id, sg_ids))
        .order_by(t.sequencing_group_assay.c.assay_id)
    )
    for sg_id, assay_id in rows:
        result[sg_id].append(assay_id)
    return result


def views(tx: Tx, ids: list[int], *, with_assays: bool = False) -> dict[int, dict[str, Any]]:
    rows = list(
        tx.conn.execute(
            sa.select(t.sequencing_group)
            .where(t.sequencing_group.c.id.in_(ids))
            .order_by(t.sequencing_group.c.id)
        ).mappings()
    )
    eids = external_ids.get_many(tx.conn, "sequencing_group", ids)
    links = assay_ids(tx, ids)
    assay_views = assays.views(tx, [a for v in links.values() for a in v]) if with_assays else {}
    return {
        r["id"]: view(
            tx.codecs,
            r,
            eids[r["id"]],
            [assay_views[a] for a in links[r["id"]]] if with_assays else links[r["id"]],
        )
        for r in rows
    }


def view(codecs: IdCodecs, row: Mapping[Any, Any], eids: dict[str, str], assays: list[Any]) -> dict[str, Any]:
    """A sequencing group as the API shows it (and, with assay ids, as its change history records it)."""
    return {
        "id": codecs.sequencing_group.format(row["id"]),
        "type": row["type"],
        "technology": row["technology"],
        "platform": row["platform"],
        "meta": row["meta"],
        "sample_id": codecs.sample.format(row["sample_id"]),
        "external_ids": eids,
        "archived": row["archived"],
        "assays": assays,
    }


def get_row(tx: Tx, sg_id: int) -> dict[str, Any]:
    row = (
        tx.conn.execute(
            sa.select(t.sequencing_group, t.sample.c.project_id)
            .join(t.sample)
            .where(t.sequencing_group.c.id == sg_id)
        )
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
