"""Samples: physical samples of a participant, possibly nested (parent and root), with assays and sequencing groups."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.context import Tx, utcnow
from genolog.metadata.errors import BadRequest, NotFound
from genolog.metadata.meta import merge_patch
from genolog.metadata.models import SampleUpsert
from genolog.metadata.store import assays, enums, external_ids, sequencing_groups
from genolog.metadata.store.filters import meta_matches


def views(tx: Tx, ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = tx.conn.execute(
        sa.select(t.sample).where(t.sample.c.id.in_(ids)).order_by(t.sample.c.id)
    ).mappings()
    eids = external_ids.get_many(tx.conn, "sample", ids)
    fmt = tx.codecs.sample.format
    return {
        r["id"]: {
            "id": fmt(r["id"]),
            "external_ids": eids[r["id"]],
            "participant_id": r["participant_id"],
            "active": r["active"],
            "meta": r["meta"],
            "type": r["type"],
            "project": r["project_id"],
            "sample_parent_id": fmt(r["parent_id"]) if r["parent_id"] else None,
            "sample_root_id": fmt(r["root_id"]) if r["root_id"] else None,
        }
        for r in rows
    }


def get_row(tx: Tx, sample_id: int) -> dict[str, Any]:
    row = tx.conn.execute(sa.select(t.sample).where(t.sample.c.id == sample_id)).mappings().first()
    if row is None:
        raise NotFound(f"Sample {tx.codecs.sample.format(sample_id)} not found")
    return dict(row)


def upsert_many(
    tx: Tx, project_id: int, items: list[SampleUpsert], participant_id: int | None = None
) -> list[dict[str, Any]]:
    return [_upsert(tx, project_id, item, participant_id, None) for item in items]


def _upsert(
    tx: Tx,
    project_id: int,
    item: SampleUpsert,
    participant_id: int | None,
    parent: dict[str, Any] | None,
) -> dict[str, Any]:
    """Upsert one sample and everything nested in it; returns the request echoed back with ids filled in."""
    if item.participant_id is not None:
        participant_id = item.participant_id
    if participant_id is not None:
        _check_participant(tx, project_id, participant_id)
    parent_id = parent["id"] if parent else None
    root_id = (parent["root_id"] or parent["id"]) if parent else None
    if item.id is None:
        if not item.type:
            raise BadRequest("A new sample needs a type (for example 'blood')")
        sample_id = tx.conn.execute(
            t.sample.insert()
            .values(
                project_id=project_id,
                participant_id=participant_id,
                type=enums.check(tx.conn, "sample_type", item.type),
                active=True if item.active is None else item.active,
                meta=merge_patch({}, item.meta or {}),
                parent_id=parent_id,
                root_id=root_id,
                created_at=utcnow(),
                audit_log_id=tx.audit_log_id,
            )
            .returning(t.sample.c.id)
        ).scalar_one()
        external_ids.write(tx, "sample", project_id, sample_id, item.external_ids, creating=True)
        tx.created("sample", [sample_id], project_id)
    else:
        sample_id = tx.codecs.sample.parse(item.id)
        row = get_row(tx, sample_id)
        if row["project_id"] != project_id:
            raise NotFound(f"Sample {item.id} not found in this project")
        values: dict[str, Any] = {"meta": merge_patch(row["meta"], item.meta or {})}
        if item.type:
            values["type"] = enums.check(tx.conn, "sample_type", item.type)
        if item.active is not None:
            values["active"] = item.active
        if participant_id is not None:
            values["participant_id"] = participant_id
        if parent is not None:
            if sample_id in _ancestors(tx, parent["id"]):
                raise BadRequest(f"Sample {item.id} cannot be nested inside itself or its own descendant")
            values.update(parent_id=parent_id, root_id=root_id)
        tx.touch("sample", [sample_id], project_id)
        tx.conn.execute(
            t.sample.update().where(t.sample.c.id == sample_id).values(audit_log_id=tx.audit_log_id, **values)
        )
        external_ids.write(tx, "sample", project_id, sample_id, item.external_ids, creating=False)
    me = get_row(tx, sample_id)
    result = item.model_dump(exclude_unset=True, exclude={"nested_samples", "sequencing_groups", "project"})
    result["id"] = tx.codecs.sample.format(sample_id)
    if item.sequencing_groups is not None:
        result["sequencing_groups"] = []
        for sg in item.sequencing_groups:
            sg_id, assay_ids = sequencing_groups.upsert(tx, project_id, sample_id, sg)
            sg_result = sg.model_dump(exclude_unset=True, exclude={"assays"})
            sg_result["id"] = tx.codecs.sequencing_group.format(sg_id)
            sg_result["assays"] = [
                {**a.model_dump(exclude_unset=True), "id": assay_id}
                for a, assay_id in zip(sg.assays or [], assay_ids, strict=True)
            ]
            result["sequencing_groups"].append(sg_result)
    if item.non_sequencing_assays is not None:
        result["non_sequencing_assays"] = [
            {**a.model_dump(exclude_unset=True), "id": assays.upsert(tx, project_id, sample_id, a)}
            for a in item.non_sequencing_assays
        ]
    if item.nested_samples is not None:
        result["nested_samples"] = [
            _upsert(tx, project_id, nested, participant_id, me) for nested in item.nested_samples
        ]
    return result


def _ancestors(tx: Tx, sample_id: int) -> set[int]:
    """The sample and every sample above it (parent, grandparent, ...)."""
    seen: set[int] = set()
    current: int | None = sample_id
    while current is not None and current not in seen:
        seen.add(current)
        current = tx.conn.execute(sa.select(t.sample.c.parent_id).where(t.sample.c.id == current)).scalar()
    return seen


def _check_participant(tx: Tx, project_id: int, participant_id: int) -> None:
    found = tx.conn.execute(
        sa.select(t.participant.c.project_id).where(t.participant.c.id == participant_id)
    ).scalar()
    if found != project_id:
        raise BadRequest(f"Participant {participant_id} does not exist in this project")


def query(
    tx: Tx,
    project_ids: list[int],
    *,
    sample_ids: list[int] | None = None,
    participant_ids: list[int] | None = None,
    meta: dict[str, Any] | None = None,
    active: bool | None = True,
) -> list[dict[str, Any]]:
    statement = sa.select(t.sample.c.id, t.sample.c.meta).where(t.sample.c.project_id.in_(project_ids))
    if sample_ids is not None:
        statement = statement.where(t.sample.c.id.in_(sample_ids))
    if participant_ids is not None:
        statement = statement.where(t.sample.c.participant_id.in_(participant_ids))
    if active is not None:
        statement = statement.where(t.sample.c.active.is_(active))
    ids = [i for i, m in tx.conn.execute(statement.order_by(t.sample.c.id)) if meta_matches(m, meta)]
    return list(views(tx, ids).values())


def external_to_internal(tx: Tx, project_id: int, eids: list[str], allow_missing: bool) -> dict[str, str]:
    found = external_ids.lookup(tx.conn, "sample", project_id, eids)
    missing = [e for e in eids if e not in found]
    if missing and not allow_missing:
        raise NotFound(f"Sample external ids not found in this project: {', '.join(missing)}")
    return {eid: tx.codecs.sample.format(i) for eid, i in found.items()}


def internal_to_external(tx: Tx, sample_ids: list[int]) -> dict[str, str]:
    eids = external_ids.get_many(tx.conn, "sample", sample_ids)
    return {tx.codecs.sample.format(i): e.get(external_ids.PRIMARY, "") for i, e in eids.items() if e}


def all_internal_to_external(tx: Tx, project_id: int) -> dict[str, str]:
    table = t.sample_external_id
    rows = tx.conn.execute(
        sa.select(table.c.sample_id, table.c.external_id)
        .where(table.c.project_id == project_id, table.c.name == external_ids.PRIMARY)
        .order_by(table.c.sample_id)
    )
    return {tx.codecs.sample.format(i): e for i, e in rows}


def projects_of(tx: Tx, sample_ids: list[int]) -> dict[int, int]:
    rows = tx.conn.execute(
        sa.select(t.sample.c.id, t.sample.c.project_id).where(t.sample.c.id.in_(sample_ids))
    )
    return dict(rows.all())
