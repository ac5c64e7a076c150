"""Reading an entity's history back from the change record (its snapshots: ``store.snapshots``)."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.context import Tx
from genolog.metadata.store.snapshots import snapshot


def row_creations(
    conn: sa.Connection, entities: Mapping[str, Sequence[int]], *audit_columns: sa.ColumnElement[Any]
) -> list[dict[str, Any]]:
    """The creations that ``entities`` (kind -> ids) record on their rows (``tables.CREATED_ON_ROW``), as
    the ``change`` rows they stand for (``id`` None, ``new`` None for ``fill_creations``), with
    ``audit_columns`` of their ``audit_log`` entry; oldest first, as ``change`` would have numbered them."""
    a = t.audit_log
    found: list[dict[str, Any]] = []
    for kind, ids in entities.items():
        if kind not in t.CREATED_ON_ROW or not ids:
            continue
        table, rows, project = t.creations_on_rows(kind)
        statement = (
            sa.select(
                table.c.id.label("entity_id"),
                table.c.created_audit_log_id.label("audit_log_id"),
                project.label("project_id"),
                *audit_columns,
            )
            .select_from(rows)
            .join(a, a.c.id == table.c.created_audit_log_id)
            .where(table.c.id.in_(list(ids)))
        )
        found += (
            {**r, "id": None, "entity": kind, "operation": "create", "old": None, "new": None}
            for r in conn.execute(statement).mappings()
        )
    found.sort(key=creation_order)
    return found


def creation_order(change: Mapping[str, Any]) -> tuple[int, int, int]:
    """Where a change falls among its request's: creations first, by kind as a request writes them."""
    if change["id"] is None:
        return (change["audit_log_id"], t.CREATED_ON_ROW.index(change["entity"]), change["entity_id"])
    return (change["audit_log_id"], len(t.CREATED_ON_ROW), change["id"])


def fill_creations(tx: Tx, changes: Sequence[MutableMapping[str, Any]]) -> None:
    """Put back the ``new`` snapshot of each creation in ``changes`` (oldest first) that was stored
    without one (see ``Tx``): the ``old`` of the entity's next change among ``changes``, else its current
    state. ``changes`` must hold every change of an entity after its creation (any query that orders by
    change and cuts off only the oldest rows does)."""
    following: dict[tuple[str, int], MutableMapping[str, Any]] = {}
    current: dict[str, list[int]] = {}
    for change in reversed(changes):
        key = (change["entity"], change["entity_id"])
        if change["operation"] == "create" and change["new"] is None:
            later = following.get(key)
            if later is not None:
                change["new"] = later["old"]
            else:
                current.setdefault(key[0], []).append(key[1])
        following[key] = change
    if not current:
        return
    views = {(e, i): view for e, ids in current.items() for i, view in snapshot(tx, e, ids).items()}
    for change in changes:
        if change["operation"] == "create" and change["new"] is None:
            change["new"] = views.get((change["entity"], change["entity_id"]))


def changed_fields(
    old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> dict[str, tuple[Any, Any]]:
    """Field -> (old, new) for the fields that differ between two snapshots, in the snapshots' order."""
    old, new = old or {}, new or {}
    return {
        key: (old.get(key), new.get(key))
        for key in dict.fromkeys([*old, *new])
        if old.get(key) != new.get(key)
    }


def read(tx: Tx, entity: str, entity_id: int) -> list[dict[str, Any]]:
    """Every recorded change of one entity, oldest first, with who made it and when."""
    c, a = t.change, t.audit_log
    audit = (a.c.timestamp, a.c.author, a.c.on_behalf_of, a.c.ar_guid, a.c.meta.label("audit_meta"))
    rows = row_creations(tx.conn, {entity: [entity_id]}, *audit)  # none, or the one before every change
    rows += (
        dict(r)
        for r in tx.conn.execute(
            sa.select(c, *audit)
            .join(a, a.c.id == c.c.audit_log_id)
            .where(c.c.entity == entity, c.c.entity_id == entity_id)
            .order_by(c.c.id)
        ).mappings()
    )
    fill_creations(tx, rows)
    result = []
    for r in rows:
        timestamp = r["timestamp"]
        result.append(
            {
                "audit_log_id": r["audit_log_id"],
                "timestamp": timestamp.isoformat() if timestamp.tzinfo else timestamp.isoformat() + "+00:00",
                "author": r["author"],
                "on_behalf_of": r["on_behalf_of"],
                "ar_guid": r["ar_guid"],
                "meta": r["audit_meta"],
                "operation": r["operation"],
                "changes": {
                    k: {"old": o, "new": n} for k, (o, n) in changed_fields(r["old"], r["new"]).items()
                },
                "old": r["old"],
                "new": r["new"],
            }
        )
    return result
