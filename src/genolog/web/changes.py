"""The change history of several entities at once (a sample with its assays and sequencing groups), in
one statement, newest first, with author and time: what ``store.history.read`` gives for one entity."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.context import Tx
from genolog.metadata.store.history import changed_fields, creation_order, fill_creations, row_creations
from genolog.web.overview import as_utc


@dataclass
class Change:
    timestamp: datetime.datetime
    author: str
    on_behalf_of: str | None
    ar_guid: str | None
    entity: str
    entity_id: int
    operation: str
    fields: dict[str, tuple[Any, Any]]  # field -> (old, new), only those that differ


def history(tx: Tx, entities: Mapping[str, Sequence[int]], limit: int = 200) -> list[Change]:
    """Changes of ``entities`` (kind -> ids), newest first (at most ``limit``)."""
    c, a = t.change, t.audit_log
    wanted = [sa.and_(c.c.entity == kind, c.c.entity_id.in_(ids)) for kind, ids in entities.items() if ids]
    if not wanted:
        return []
    audit = (a.c.timestamp, a.c.author, a.c.on_behalf_of, a.c.ar_guid)
    rows = row_creations(tx.conn, entities, *audit)
    rows += (
        dict(r)
        for r in tx.conn.execute(
            sa.select(c, *audit)
            .join(a, a.c.id == c.c.audit_log_id)
            .where(sa.or_(*wanted))
            .order_by(c.c.id.desc())
            .limit(limit)
        ).mappings()
    )
    rows.sort(key=creation_order)
    rows = rows[-limit:]  # the newest, so every creation's later changes are among them
    fill_creations(tx, rows)
    rows.reverse()
    return [
        Change(
            timestamp=as_utc(r["timestamp"]),
            author=r["author"],
            on_behalf_of=r["on_behalf_of"],
            ar_guid=r["ar_guid"],
            entity=r["entity"],
            entity_id=r["entity_id"],
            operation=r["operation"],
            fields=changed_fields(r["old"], r["new"]),
        )
        for r in rows
    ]
