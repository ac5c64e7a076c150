"""The participant level of a set-based upsert: match, compare, then insert and update in bulk."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.errors import NotFound
from genolog.metadata.meta import merge_patch
from genolog.metadata.store import participants
from genolog.metadata.store.upserts import _eids, _rows
from genolog.metadata.store.upserts._batch import Batch, Node, chunked

FIELDS = participants.FIELDS


def upsert(batch: Batch, nodes: list[Node]) -> None:
    if not nodes:
        return
    _eids.check_unique_in_request(batch, nodes)
    for node in nodes:
        node.id = node.item.id
    found = _eids.match_primary(batch, nodes)
    rows = _rows.by_id(batch, t.participant, [n.id for n in nodes if n.id is not None])
    for node in nodes:
        if node.id is not None:
            node.old = rows.get(node.id)
            if node.old is None or node.old["project_id"] != batch.project_id:
                batch.fail(node, f"Participant {node.id} not found in this project", NotFound)
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
    created = [n for n in nodes if n.old is None]
    changed = [
        n
        for n in nodes
        if n.old is not None
        and (
            _rows.differs(n.values, n.old)
            or _eids.changes(n) != ({}, [])
            or _phenotype_changes(old_phenotypes.get(n.id or 0, {}), n.item.phenotypes)
        )
    ]
    batch.tx.touch("participant", [n.id for n in changed if n.id is not None], batch.project_id)
    _rows.insert(batch, t.participant, created)
    _rows.update(batch, t.participant, changed, [*FIELDS, "meta"])
    batch.tx.created(
        "participant",
        [n.id for n in created if n.id is not None],
        batch.project_id,
        [
            participants.view({**n.values, "id": n.id}, _eids.after_write(n), _new_phenotypes(n))
            for n in created
        ],
    )
    _eids.write(batch, [*created, *changed])
    _write_phenotypes(batch, [n for n in [*created, *changed] if n.item.phenotypes])
    changed_set = set(map(id, changed))
    for node in nodes:
        outcome = "created" if node.old is None else "updated" if id(node) in changed_set else "unchanged"
        batch.record_outcome(node, outcome, node.id or 0)


def _phenotypes(batch: Batch, ids: list[int]) -> dict[int, dict[str, Any]]:
    result: dict[int, dict[str, Any]] = {}
    for part in chunked(ids):
        result.update(participants.phenotypes(batch.tx, part))
    return result


def _new_phenotypes(node: Node) -> dict[str, Any]:
    return {name: v for name, v in sorted((node.item.phenotypes or {}).items()) if v is not None}


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
