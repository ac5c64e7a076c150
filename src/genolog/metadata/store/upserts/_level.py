"""What every level of the upsert does alike: match nodes to rows first, write and count them last."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from genolog.metadata.errors import BadRequest, Conflict, NotFound
from genolog.metadata.store.upserts import _eids, _rows
from genolog.metadata.store.upserts._batch import Batch, Node


def match(
    batch: Batch,
    nodes: Sequence[Node],
    table: sa.Table,
    *,
    label: str,
    parse: Callable[[Any], int] = int,
    shown: Callable[[int], str | int] = str,
) -> dict[str, int]:
    """Set each node's ``id`` (from its internal id, else its primary external id) and ``old`` row; a row
    outside the project is a 404. Returns the external-id lookup, for ``_eids.check_clashes``."""
    _eids.check_unique_in_request(batch, nodes)
    for node in nodes:
        if node.item.id is not None:
            try:
                node.id = parse(node.item.id)
            except BadRequest as error:
                batch.fail(node, str(error))
    found = _eids.match_primary(batch, nodes)
    rows = _rows.by_id(batch, table, [n.id for n in nodes if n.id is not None])
    if "project_id" in table.c:
        projects = {i: r["project_id"] for i, r in rows.items()}
    else:  # assays and sequencing groups belong to the project of their sample
        by_sample = batch.sample_projects([r["sample_id"] for r in rows.values()])
        projects = {i: by_sample.get(r["sample_id"]) for i, r in rows.items()}
    for node in nodes:
        if node.id is not None:
            node.old = rows.get(node.id)
            if projects.get(node.id) != batch.project_id:
                batch.fail(node, f"{label} {shown(node.id)} not found in this project", NotFound)
    return found


def check_matched_once(
    batch: Batch, nodes: Sequence[Node], label: str, shown: Callable[[int], str | int]
) -> None:
    """Two nodes of a request may not land on one existing row (found by location or type, say)."""
    first: dict[int, Node] = {}
    for node in nodes:
        if node.id is not None and node.old is not None:
            seen = first.setdefault(node.id, node)
            if seen is not node:
                batch.fail(
                    node,
                    f"{label} {shown(node.id)} is also in {batch.label} {seen.record} of this request",
                    Conflict,
                )


def write(
    batch: Batch,
    nodes: Sequence[Node],
    table: sa.Table,
    columns: Sequence[str],
    *,
    shown: Callable[[int], str | int] = int,
    also_changed: Callable[[Node], bool] = lambda node: False,
) -> list[Node]:
    """Insert the new nodes, update the changed ``columns`` of the rest, write their external ids, record
    their history and count every outcome. Returns the nodes written."""
    kind = nodes[0].kind
    created = [n for n in nodes if n.old is None]
    changed = [
        n
        for n in nodes
        if n.old is not None
        and (_rows.differs(n.values, n.old) or _eids.changes(n) != ({}, []) or also_changed(n))
    ]
    batch.tx.touch(kind, [n.id for n in changed if n.id is not None], batch.project_id)
    _rows.insert(batch, table, created)
    _rows.update(batch, table, changed, columns)
    batch.tx.created(kind, [n.id for n in created if n.id is not None], batch.project_id)
    _eids.write(batch, [*created, *changed])
    changed_set = set(map(id, changed))
    for node in nodes:
        outcome = "created" if node.old is None else "updated" if id(node) in changed_set else "unchanged"
        batch.record_outcome(node, outcome, shown)
    return [*created, *changed]
