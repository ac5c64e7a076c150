"""The sequencing-group level of a set-based upsert, written after the assays it groups.

A group without an id or external id matches the sample's one active group of the same type, technology
and platform. A group's assay set is immutable: a different set archives the matched group and creates a
new one that carries its external ids over.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.db import insert_many, one_of
from genolog.metadata.errors import Conflict
from genolog.metadata.meta import merge_patch
from genolog.metadata.store import sequencing_groups, snapshots
from genolog.metadata.store.upserts import _eids, _level, _rows
from genolog.metadata.store.upserts._batch import Batch, Node, chunked

FIELDS = sequencing_groups.FIELDS


def upsert(batch: Batch, nodes: list[Node]) -> None:
    if not nodes:
        return
    codec = batch.tx.codecs.sequencing_group
    found = _level.match(
        batch, nodes, t.sequencing_group, label="Sequencing group", parse=codec.parse, shown=codec.format
    )
    for node in nodes:
        if node.old is not None and node.old["archived"]:
            batch.fail(node, f"Sequencing group {codec.format(node.id or 0)} is archived and cannot change")
        node.values = _fields(batch, node)
    _match_by_fields(batch, [n for n in nodes if n.id is None and n.sample and n.sample.old is not None])
    _level.check_matched_once(batch, nodes, "sequencing group", codec.format)
    matched = {n.id: n for n in nodes if n.id is not None and n.old is not None}
    for node in matched.values():
        assert node.sample is not None and node.old is not None
        if node.old["sample_id"] != node.sample.id:
            batch.fail(node, f"Sequencing group {codec.format(node.old['id'])} belongs to another sample")
    _eids.check_clashes(batch, nodes, found)
    _eids.load_current(batch, nodes)
    links = _links(batch, list(matched))
    created, changed, replaced = [], [], []
    for node in nodes:
        assert node.sample is not None
        old_assays = links.get(node.id or 0, []) if node.old else []
        assay_ids = (
            [a.id for a in node.children if a.id is not None] if node.item.assays is not None else old_assays
        )
        node.values.update(
            sample_id=node.sample.id,
            project_id=batch.project_id,
            meta=merge_patch(node.old["meta"] if node.old else {}, node.item.meta or {}),
            archived=False,
            assays=sorted(dict.fromkeys(assay_ids)),
        )
        if node.old is None:
            created.append(node)
        elif node.values["assays"] != sorted(old_assays) or any(
            node.values[f] != node.old[f] for f in FIELDS
        ):
            replaced.append(node)
        elif node.values["meta"] != node.old["meta"] or _eids.changes(node) != ({}, []):
            changed.append(node)
    batch.tx.touch(
        "sequencing_group", [n.id for n in [*changed, *replaced] if n.id is not None], batch.project_id
    )
    _rows.update(batch, t.sequencing_group, changed, ("meta",))
    _eids.write(batch, changed)
    carried = _archive(batch, replaced)
    fresh = [*created, *replaced]
    assays_of = {id(n): n.values.pop("assays") for n in nodes}
    _rows.insert(batch, t.sequencing_group, fresh)
    for node in replaced:
        node.old_eids = {}
    batch.tx.created("sequencing_group", [n.id for n in fresh if n.id is not None], batch.project_id)
    _link(batch, [(n.id, a) for n in fresh for a in assays_of[id(n)] if n.id is not None])
    _eids.write(batch, fresh, extra={n.id: carried[id(n)] for n in replaced if n.id is not None})
    changed_set, created_set = set(map(id, changed)), set(map(id, fresh))
    for node in nodes:
        outcome = (
            "created" if id(node) in created_set else "updated" if id(node) in changed_set else "unchanged"
        )
        batch.record_outcome(node, outcome, codec.format)
    batch.counts["sequencing_group"]["archived"] += len(replaced)


# each field, and the assay meta key (also the vocabulary) it may come from
_FROM_META = [(name, f"sequencing_{name}") for name in FIELDS]


def _fields(batch: Batch, node: Node) -> dict[str, Any]:
    """type/technology/platform: as given, else as before, else from the assays' sequencing meta."""
    item, old = node.item, node.old
    metas = [a.values["meta"] for a in node.children]
    values: dict[str, Any] = {}
    for name, key in _FROM_META:
        in_meta = [meta.get(key) for meta in metas]
        value = getattr(item, name) or (old[name] if old else None)
        if not value:
            found = set(in_meta) - {None, ""}
            value = found.pop() if len(found) == 1 else None
        if not value:
            batch.fail(
                node, f"A sequencing group needs a {name} (none given and none found in its assays' meta)"
            )
        values[name] = batch.enum(node, key, value)
        for assay, given in zip(node.children, in_meta, strict=True):
            if given and given != value:
                batch.fail(
                    node,
                    f"Assay {assay.id} has {key} {given!r} but its sequencing group has {name} {value!r}",
                )
    return values


def _match_by_fields(batch: Batch, nodes: list[Node]) -> None:
    """Match groups of existing samples to the sample's active group with the same type/technology/platform."""
    if not nodes:
        return
    sg = t.sequencing_group
    sample_ids = list(dict.fromkeys(n.sample.id for n in nodes if n.sample and n.sample.id is not None))
    rows: dict[int, dict[str, Any]] = {}
    by_fields: dict[tuple[Any, ...], list[int]] = {}
    for part in chunked(sample_ids):
        statement = (
            sa.select(sg)
            .where(one_of(batch.conn, sg.c.sample_id, part), sg.c.archived.is_(False))
            .order_by(sg.c.id)
        )
        for row in _rows.as_dicts(batch.conn.execute(statement)):
            rows[row["id"]] = row
            by_fields.setdefault((row["sample_id"], *(row[f] for f in FIELDS)), []).append(row["id"])
    links = _links(batch, list(rows))
    for node in nodes:
        assert node.sample is not None
        candidates = by_fields.get((node.sample.id, *(node.values[f] for f in FIELDS)), [])
        if len(candidates) > 1:  # prefer the group already holding one of these assays
            mine = {a.id for a in node.children}
            candidates = [c for c in candidates if mine & set(links.get(c, []))] or candidates
        if len(candidates) > 1:
            shown = ", ".join(batch.tx.codecs.sequencing_group.format(c) for c in candidates)
            batch.fail(
                node,
                f"the sample has several active sequencing groups of this type ({shown}); give the id or an "
                "external id of the one to update",
                Conflict,
            )
        if candidates:
            node.id = candidates[0]
            node.old = rows[node.id]


def _links(batch: Batch, sg_ids: list[int]) -> dict[int, list[int]]:
    result: dict[int, list[int]] = {}
    for part in chunked(sg_ids):
        result.update(snapshots.assay_ids(batch.tx, part))
    return result


def _archive(batch: Batch, nodes: list[Node]) -> dict[int, dict[str, str]]:
    """Archive the replaced groups, freeing their external ids; returns them keyed by the node's ``id()``."""
    if not nodes:
        return {}
    old_ids = [n.id for n in nodes if n.id is not None]
    sequencing_groups.archive(batch.tx, batch.project_id, old_ids)
    carried = {id(n): {o: v for o, v in n.old_eids.items()} for n in nodes}
    for node in nodes:
        node.id = None
    return carried


def _link(batch: Batch, pairs: list[tuple[int, int]]) -> None:
    if pairs:
        audit = batch.tx.audit_log_id
        insert_many(
            batch.conn,
            t.sequencing_group_assay,
            [{"sequencing_group_id": s, "assay_id": a, "audit_log_id": audit} for s, a in pairs],
        )
