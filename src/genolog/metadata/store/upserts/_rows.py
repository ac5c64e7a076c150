"""Reading and writing one level's rows in bulk: by-id loads, inserts that return ids, executemany updates."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from genolog.metadata.db import insert_many, one_of
from genolog.metadata.store.upserts._batch import Batch, Node, chunked


def by_id(batch: Batch, table: sa.Table, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    result: dict[int, dict[str, Any]] = {}
    for part in chunked(dict.fromkeys(ids)):
        rows = as_dicts(batch.conn.execute(sa.select(table).where(one_of(batch.conn, table.c.id, part))))
        result.update((row["id"], row) for row in rows)
    return result


def as_dicts(result: sa.CursorResult[Any]) -> Iterator[dict[str, Any]]:
    """The rows as plain dicts, their keys zipped once per result (a re-ingest reads every row back):
    not through ``.mappings()`` and ``dict(row)``, which do more per row."""
    keys = list(result.keys())
    return (dict(zip(keys, row, strict=True)) for row in result)


def differs(values: dict[str, Any], old: dict[str, Any]) -> bool:
    return any(old.get(key) != value for key, value in values.items())


def insert(batch: Batch, table: sa.Table, nodes: Sequence[Node]) -> None:
    """Insert the nodes' ``values`` (stamped with the request's audit entry, as writer and as creator) and
    set their new ids."""
    if not nodes:
        return
    audit = batch.tx.audit_log_id
    stamps = {"audit_log_id": audit, "created_audit_log_id": audit}
    ids = batch.new_ids(table, len(nodes))
    insert_many(batch.conn, table, [{**n.values, **stamps} for n in nodes], ids=ids)
    for node, new_id in zip(nodes, ids, strict=True):
        node.id = new_id


def update(batch: Batch, table: sa.Table, nodes: Sequence[Node], columns: Sequence[str]) -> None:
    """Write ``columns`` of the nodes' ``values`` onto their rows, one executemany for the level."""
    if not nodes:
        return
    statement = (
        table.update()
        .where(table.c.id == sa.bindparam("_id"))
        .values({c: sa.bindparam(f"_{c}") for c in [*columns, "audit_log_id"]})
    )
    audit = batch.tx.audit_log_id
    batch.conn.execute(
        statement,
        [{"_id": n.id, "_audit_log_id": audit, **{f"_{c}": n.values[c] for c in columns}} for n in nodes],
    )
