"""The participant level of a set-based upsert: match, compare, then insert and update in bulk."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.meta import merge_patch
from genolog.metadata.store import participants, snapshots
from genolog.metadata.store.upserts import _eids, _level
from genolog.metadata.store.upserts._batch import Batch, Node, chunked

FIELDS = participants.FIELDS


def upsert(batch: Batch, nodes: list[Node]) -> None:
    if not nodes:
        return
    found = _level.match(batch, nodes, t.participant, label="Participant")
    _eids.check_clashes(batch, nodes, found)
    _eids.load_current(batch, nodes)
    old_phenotypes = _phenotypes(batch, [n.id for n in nodes if n.id is not None])
    for node in nodes:
        _eids.check_required(batch, node)
        item = node.item
        given = {f: getattr(item, f) for f in FIELDS if f in item.model_fields_set}
        if node.old is None:
            fields = {**dict.fromkeys(FIELDS), **given}  # every row of one executemany has the same keys
            node.values = {"project_id": batch.project_id, "meta": merge_patch({}, item.meta or {}), **fields}
            continue
        node.values = {
            **{f: node.old[f] for f in FIELDS},
            **given,
            "meta": merge_patch(node.old["meta"], item.meta or {}),
        }
    written = _level.write(
        batch,
        nodes,
        t.participant,
        [*FIELDS, "meta"],
        also_changed=lambda n: _phenotype_changes(old_phenotypes.get(n.id or 0, {}), n.item.phenotypes),
    )
    _write_phenotypes(batch, [n for n in written if n.item.phenotypes])


def _phenotypes(batch: Batch, ids: list[int]) -> dict[int, dict[str, Any]]:
    result: dict[int, dict[str, Any]] = {}
    for part in chunked(ids):
        result.update(snapshots.phenotypes(batch.tx, part))
    return result


def _phenotype_changes(old: dict[str, Any], given: dict[str, Any] | None) -> bool:
    return any(old.get(name) != value for name, value in (given or {}).items())


def _write_phenotypes(batch: Batch, nodes: list[Node]) -> None:
    table = t.participant_phenotype
    deletes = [{"pid": n.id, "pname": name} for n in nodes for name in n.item.phenotypes]
    inserts = [
        {"participant_id": n.id, "name": name, "value": value, "audit_log_id": batch.tx.audit_log_id}
        for n in nodes
        for name, value in n.item.phenotypes.items()
        if value is not None
    ]
    if deletes:
        batch.conn.execute(
            table.delete().where(
                table.c.participant_id == sa.bindparam("pid"), table.c.name == sa.bindparam("pname")
            ),
            deletes,
        )
    if inserts:
        batch.conn.execute(table.insert(), inserts)
