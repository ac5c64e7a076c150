"""Assays: one sequencing run (or other assay) of a sample, with its read files in ``meta.reads``."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.context import Tx
from genolog.metadata.errors import BadRequest, NotFound
from genolog.metadata.meta import merge_patch
from genolog.metadata.models import AssayUpsert
from genolog.metadata.store import enums, external_ids

SEQUENCING_META = ("sequencing_type", "sequencing_platform", "sequencing_technology")


def sample_of(tx: Tx, assay_id: int) -> int:
    sample_id = tx.conn.execute(sa.select(t.assay.c.sample_id).where(t.assay.c.id == assay_id)).scalar()
    if sample_id is None:
        raise NotFound(f"Assay {assay_id} not found")
    return int(sample_id)


def project_of(tx: Tx, assay_id: int) -> int:
    project_id = tx.conn.execute(
        sa.select(t.sample.c.project_id).join(t.assay).where(t.assay.c.id == assay_id)
    ).scalar()
    if project_id is None:
        raise NotFound(f"Assay {assay_id} not found")
    return int(project_id)


def check_sequencing_meta(assay_type: str, meta: dict[str, Any]) -> None:
    if assay_type == "sequencing":
        missing = [key for key in SEQUENCING_META if not meta.get(key)]
        if missing:
            raise BadRequest(f"Assay of type sequencing is missing required meta fields: {missing}")


def upsert(tx: Tx, project_id: int, sample_id: int, assay: AssayUpsert) -> int:
    """Insert an assay without id, or update the one with this id (its meta merges)."""
    if assay.id is not None:
        row = tx.conn.execute(sa.select(t.assay).where(t.assay.c.id == assay.id)).mappings().first()
        if row is None or project_of(tx, assay.id) != project_id:
            raise NotFound(f"Assay {assay.id} not found in this project")
        if row["sample_id"] != sample_id:
            raise BadRequest(f"Assay {assay.id} belongs to another sample and cannot be moved")
        assay_type = enums.check(tx.conn, "assay_type", assay.type) if assay.type else row["type"]
        meta = merge_patch(row["meta"], assay.meta or {})
        check_sequencing_meta(assay_type, meta)
        tx.touch("assay", [assay.id], project_id)
        tx.conn.execute(
            t.assay.update()
            .where(t.assay.c.id == assay.id)
            .values(type=assay_type, meta=meta, audit_log_id=tx.audit_log_id)
        )
        external_ids.write(tx, "assay", project_id, assay.id, assay.external_ids, creating=False)
        return assay.id
    if not assay.type:
        raise BadRequest("A new assay needs a type (for example 'sequencing')")
    assay_type = enums.check(tx.conn, "assay_type", assay.type)
    meta = merge_patch({}, assay.meta or {})
    check_sequencing_meta(assay_type, meta)
    assay_id = tx.conn.execute(
        t.assay.insert()
        .values(
            sample_id=sample_id,
            type=assay_type,
            meta=meta,
            audit_log_id=tx.audit_log_id,
            created_audit_log_id=tx.audit_log_id,
        )
        .returning(t.assay.c.id)
    ).scalar_one()
    external_ids.write(tx, "assay", project_id, assay_id, assay.external_ids, creating=False)
    tx.created("assay", [assay_id], project_id)
    return int(assay_id)
