"""Samples: physical samples of a participant, possibly nested (parent and root), with assays and sequencing groups."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.context import Tx
from genolog.metadata.db import one_of
from genolog.metadata.errors import NotFound
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
