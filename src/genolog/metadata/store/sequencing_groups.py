"""Sequencing groups: a fixed set of assays of one sample. Changing the set archives the group and makes a new one."""

from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.context import Tx
from genolog.metadata.errors import BadRequest, NotFound
from genolog.metadata.meta import merge_patch
from genolog.metadata.models import SequencingGroupUpsert
from genolog.metadata.store import assays, enums, external_ids

FIELDS = ("type", "technology", "platform")


def assay_ids(tx: Tx, sg_ids: list[int]) -> dict[int, list[int]]:
    result: dict[int, list[int]] = {i: [] for i in sg_ids}
    rows = tx.conn.execute(
        sa.select(t.sequencing_group_assay.c.sequencing_group_id, t.sequencing_group_assay.c.assay_id)
        .where(t.sequencing_group_assay.c.sequencing_group_id.in_(sg_ids))
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
    fmt, fmt_sample = tx.codecs.sequencing_group.format, tx.codecs.sample.format
    result = {}
    for r in rows:
        view: dict[str, Any] = {
            "id": fmt(r["id"]),
            "type": r["type"],
            "technology": r["technology"],
            "platform": r["platform"],
            "meta": r["meta"],
            "sample_id": fmt_sample(r["sample_id"]),
            "external_ids": eids[r["id"]],
            "archived": r["archived"],
        }
        view["assays"] = [assay_views[a] for a in links[r["id"]]] if with_assays else links[r["id"]]
        result[r["id"]] = view
    return result


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


def _fields(
    tx: Tx, sg: SequencingGroupUpsert, current: dict[str, Any] | None, linked: list[int]
) -> dict[str, str]:
    """type/technology/platform: as given, else as before, else from the assays' sequencing meta."""
    from_assays = assays.sequencing_fields(tx, linked)
    values: dict[str, str] = {}
    for position, name in enumerate(FIELDS):
        value = getattr(sg, name) or (current or {}).get(name)
        if not value:
            found = {f[position] for f in from_assays.values() if f[position]}
            value = found.pop() if len(found) == 1 else None
        if not value:
            raise BadRequest(
                f"A sequencing group needs a {name} (none given and none found in its assays' meta)"
            )
        values[name] = enums.check(tx.conn, f"sequencing_{name}", value)
        for assay_id, fields in from_assays.items():
            if fields[position] and fields[position] != values[name]:
                raise BadRequest(
                    f"Assay {assay_id} has sequencing_{name} {fields[position]!r} but its sequencing group "
                    f"has {name} {values[name]!r}"
                )
    return values


def upsert(tx: Tx, project_id: int, sample_id: int, sg: SequencingGroupUpsert) -> tuple[int, list[int]]:
    """Upsert a sequencing group and its assays; returns (sequencing group id, assay ids)."""
    linked = [assays.upsert(tx, project_id, sample_id, a) for a in sg.assays or []]
    if sg.id is None:
        fields = _fields(tx, sg, None, linked)
        sg_id = _insert(tx, project_id, sample_id, fields, merge_patch({}, sg.meta or {}), sg.external_ids)
        _link(tx, sg_id, linked)
        return sg_id, linked
    sg_id = tx.codecs.sequencing_group.parse(sg.id)
    current = get_row(tx, sg_id)
    if current["project_id"] != project_id:
        raise NotFound(f"Sequencing group {sg.id} not found in this project")
    if current["sample_id"] != sample_id:
        raise BadRequest(f"Sequencing group {sg.id} belongs to another sample")
    if current["archived"]:
        raise BadRequest(f"Sequencing group {sg.id} is archived and cannot change")
    old_assays = assay_ids(tx, [sg_id])[sg_id]
    new_assays = linked if sg.assays is not None else old_assays
    fields = _fields(tx, sg, current, new_assays)
    meta = merge_patch(current["meta"], sg.meta or {})
    if sorted(new_assays) == sorted(old_assays) and all(fields[f] == current[f] for f in FIELDS):
        tx.touch("sequencing_group", [sg_id], project_id)
        tx.conn.execute(
            t.sequencing_group.update()
            .where(t.sequencing_group.c.id == sg_id)
            .values(meta=meta, audit_log_id=tx.audit_log_id)
        )
        external_ids.write(tx, "sequencing_group", project_id, sg_id, sg.external_ids, creating=False)
        return sg_id, linked
    # A different set of assays is a different sequencing group: archive this one, carry its ids over.
    carried = external_ids.get_many(tx.conn, "sequencing_group", [sg_id])[sg_id]
    archive(tx, project_id, [sg_id])
    new_id = _insert(tx, project_id, sample_id, fields, meta, {**carried, **(sg.external_ids or {})})
    _link(tx, new_id, new_assays)
    return new_id, linked


def _insert(
    tx: Tx,
    project_id: int,
    sample_id: int,
    fields: dict[str, str],
    meta: dict[str, Any],
    eids: dict[str, str | None] | None,
) -> int:
    sg_id = tx.conn.execute(
        t.sequencing_group.insert()
        .values(sample_id=sample_id, meta=meta, archived=False, audit_log_id=tx.audit_log_id, **fields)
        .returning(t.sequencing_group.c.id)
    ).scalar_one()
    external_ids.write(tx, "sequencing_group", project_id, sg_id, eids, creating=False)
    tx.created("sequencing_group", [sg_id], project_id)
    return int(sg_id)


def _link(tx: Tx, sg_id: int, linked_assays: list[int]) -> None:
    if linked_assays:
        tx.conn.execute(
            t.sequencing_group_assay.insert(),
            [
                {"sequencing_group_id": sg_id, "assay_id": a, "audit_log_id": tx.audit_log_id}
                for a in dict.fromkeys(linked_assays)
            ],
        )


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
    day = sa.func.date(a.c.timestamp)
    statement = (
        sa.select(c.c.project_id, day.label("day"), sg.c.type, sg.c.technology, sa.func.count().label("n"))
        .join(a, a.c.id == c.c.audit_log_id)
        .join(sg, sg.c.id == c.c.entity_id)
        .where(c.c.entity == "sequencing_group", c.c.operation == "create", c.c.project_id.in_(project_ids))
        .group_by(c.c.project_id, day, sg.c.type, sg.c.technology)
        .order_by(c.c.project_id, day, sg.c.type, sg.c.technology)
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
