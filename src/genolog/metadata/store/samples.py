"""Samples: physical samples of a participant, possibly nested (parent and root), with assays and sequencing groups."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.context import Tx
from genolog.metadata.db import one_of
from genolog.metadata.errors import NotFound
from genolog.metadata.meta import check_meta
from genolog.metadata.store import external_ids


def get_row(tx: Tx, sample_id: int) -> dict[str, Any]:
    row = tx.conn.execute(sa.select(t.sample).where(t.sample.c.id == sample_id)).mappings().first()
    if row is None:
        raise NotFound(f"Sample {tx.codecs.sample.format(sample_id)} not found")
    return dict(row)


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
        sa.select(t.sample.c.id, t.sample.c.project_id).where(one_of(tx.conn, t.sample.c.id, sample_ids))
    )
    return dict(rows.all())


def without_participant(tx: Tx, project_id: int) -> list[int]:
    """The project's active samples that belong to no participant, by id."""
    rows = tx.conn.execute(
        sa.select(t.sample.c.id)
        .where(
            t.sample.c.project_id == project_id,
            t.sample.c.participant_id.is_(None),
            t.sample.c.active.is_(True),
        )
        .order_by(t.sample.c.id)
    )
    return list(rows.scalars())


def created(tx: Tx, sample_ids: list[int]) -> dict[int, Any]:
    """sample id -> when it was created, for those of these samples that exist."""
    rows = tx.conn.execute(
        sa.select(t.sample.c.id, t.sample.c.created_at).where(one_of(tx.conn, t.sample.c.id, sample_ids))
    )
    return dict(rows.all())


def _merged_value(kept: Any, merged: Any) -> Any:
    """Two values of one key as Metamist merges them: the one that is set, one of equal ones, else a list of
    both (lists joined)."""
    if kept is None:
        return merged
    if merged is None or kept == merged:
        return kept
    return (kept if isinstance(kept, list) else [kept]) + (merged if isinstance(merged, list) else [merged])


def merged_meta(kept: dict[str, Any], merged: dict[str, Any], merged_id: str) -> dict[str, Any]:
    """The kept sample's meta after a merge: ``merged_from`` gains the merged sample's id, and each key of
    the merged sample's meta is added, or joined with the kept value as ``_merged_value`` says (a null on
    either side: the merged sample's value)."""
    meta = dict(kept)
    meta["merged_from"] = _merged_value(meta.get("merged_from"), merged_id)
    for key, value in merged.items():
        if key in meta and meta[key] is not None and value is not None:
            meta[key] = _merged_value(meta[key], value)
        else:
            meta[key] = value
    return meta


def merge(tx: Tx, project_id: int, kept: dict[str, Any], merged: dict[str, Any]) -> None:
    """Move the assays and sequencing groups of the sample ``merged`` to ``kept`` (rows of samples of the
    project), merge its meta into kept's (``merged_meta``) and deactivate it, noting ``merged_into``."""
    kept_id, merged_id = kept["id"], merged["id"]
    fmt = tx.codecs.sample.format
    assays = list(tx.conn.execute(sa.select(t.assay.c.id).where(t.assay.c.sample_id == merged_id)).scalars())
    groups = list(
        tx.conn.execute(
            sa.select(t.sequencing_group.c.id).where(t.sequencing_group.c.sample_id == merged_id)
        ).scalars()
    )
    tx.touch("sample", [kept_id, merged_id], project_id)
    tx.touch("assay", assays, project_id)
    tx.touch("sequencing_group", groups, project_id)
    audit = tx.audit_log_id
    tx.conn.execute(
        t.assay.update().where(t.assay.c.sample_id == merged_id).values(sample_id=kept_id, audit_log_id=audit)
    )
    tx.conn.execute(
        t.sequencing_group.update()
        .where(t.sequencing_group.c.sample_id == merged_id)
        .values(sample_id=kept_id, audit_log_id=audit)
    )
    meta = check_meta(merged_meta(kept["meta"], merged["meta"], fmt(merged_id)))
    tx.conn.execute(t.sample.update().where(t.sample.c.id == kept_id).values(meta=meta, audit_log_id=audit))
    tx.conn.execute(
        t.sample.update()
        .where(t.sample.c.id == merged_id)
        .values(
            active=False, meta=check_meta({**merged["meta"], "merged_into": fmt(kept_id)}), audit_log_id=audit
        )
    )
