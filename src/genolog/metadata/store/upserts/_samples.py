"""The sample level of a set-based upsert (one nesting depth at a time, parents first)."""

from __future__ import annotations

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.context import utcnow
from genolog.metadata.db import each_of
from genolog.metadata.meta import merge_patch
from genolog.metadata.store.upserts import _eids, _level
from genolog.metadata.store.upserts._batch import Batch, Node, chunked

COLUMNS = ("participant_id", "type", "active", "meta", "parent_id", "root_id")


def upsert(batch: Batch, nodes: list[Node]) -> None:
    if not nodes:
        return
    codecs = batch.tx.codecs
    found = _level.match(
        batch, nodes, t.sample, label="Sample", parse=codecs.sample.parse, shown=codecs.sample.format
    )
    _eids.check_clashes(batch, nodes, found)
    _eids.load_current(batch, nodes)
    _check_participants(batch, nodes)
    _reserve_ids(batch, [n for n in nodes if n.old is None])
    now = utcnow()
    for node in nodes:
        _eids.check_required(batch, node)
        node.values = _values(batch, node)
        if node.old is None:
            node.values.update(project_id=batch.project_id, created_at=now)
    _level.write(
        batch,
        nodes,
        t.sample,
        COLUMNS,
        shown=codecs.sample.format,
    )


def _values(batch: Batch, node: Node) -> dict[str, object]:
    item, old = node.item, node.old
    parent = node.parent
    if item.participant_id is not None:
        participant_id = item.participant_id
    elif parent is not None:  # a participant's sample, or a nested sample of its parent's participant
        participant_id = parent.id if parent.kind == "participant" else parent.values["participant_id"]
    else:
        participant_id = old["participant_id"] if old else None
    if parent is not None and parent.kind == "sample":
        parent_id, root_id = parent.id, parent.values.get("root_id") or parent.id
        if old is not None and parent.id is not None and node.id in _ancestors(batch, parent.id):
            batch.fail(node, f"Sample {item.id} cannot be nested inside itself or its own descendant")
    else:
        parent_id, root_id = (old["parent_id"], old["root_id"]) if old else (None, None)
    if old is None:  # a sample may have no type (NULL), as in Metamist
        sample_type, active, meta = item.type, True if item.active is None else item.active, {}
    else:
        sample_type = item.type or old["type"]
        active = old["active"] if item.active is None else item.active
        meta = old["meta"]
    return {
        "participant_id": participant_id,
        "type": None if sample_type is None else batch.enum(node, "sample_type", sample_type),
        "active": active,
        "meta": merge_patch(meta, item.meta or {}),
        "parent_id": parent_id,
        "root_id": root_id,
    }


def _reserve_ids(batch: Batch, new: list[Node]) -> None:
    """Draw the ids of the new samples and of their sequencing groups and assays (new too: another
    sample's cannot move to them) in one round trip, before any of them is written."""
    groups = [c for n in new for c in n.children if c.kind == "sequencing_group"]
    assays = [c for n in new for c in n.children if c.kind == "assay"]
    assays += [a for g in groups for a in g.children]
    batch.reserve_ids({t.sample: len(new), t.sequencing_group: len(groups), t.assay: len(assays)})


def _check_participants(batch: Batch, nodes: list[Node]) -> None:
    """Explicit ``participant_id``s must name participants of this project."""
    wanted = [n.item.participant_id for n in nodes if n.item.participant_id is not None]
    if not wanted:
        return
    known: set[int] = set()
    for part in chunked(dict.fromkeys(wanted)):
        in_project = sa.select(t.participant.c.id).where(t.participant.c.project_id == batch.project_id)
        known.update(batch.conn.execute(each_of(batch.conn, in_project, t.participant.c.id, part)).scalars())
    for node in nodes:
        if node.item.participant_id is not None and node.item.participant_id not in known:
            batch.fail(node, f"Participant {node.item.participant_id} does not exist in this project")


def _ancestors(batch: Batch, sample_id: int) -> set[int]:
    """The sample and every sample above it (parent, grandparent, ...)."""
    seen: set[int] = set()
    current: int | None = sample_id
    while current is not None and current not in seen:
        seen.add(current)
        current = batch.conn.execute(sa.select(t.sample.c.parent_id).where(t.sample.c.id == current)).scalar()
    return seen
