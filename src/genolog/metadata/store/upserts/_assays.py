"""The assay level of a set-based upsert. Assays without ids match by external id, else by read location."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.db import one_of
from genolog.metadata.errors import BadRequest, Conflict
from genolog.metadata.meta import merge_patch
from genolog.metadata.store import assays
from genolog.metadata.store.upserts import _eids, _level, _rows
from genolog.metadata.store.upserts._batch import Batch, Node, chunked


def upsert(batch: Batch, nodes: list[Node]) -> None:
    if not nodes:
        return
    found = _level.match(batch, nodes, t.assay, label="Assay")
    _match_by_location(batch, [n for n in nodes if n.id is None and n.sample and n.sample.old is not None])
    _level.check_matched_once(batch, nodes, "assay", str)
    for node in nodes:
        assert node.sample is not None
        if node.old is not None and node.old["sample_id"] != node.sample.id:
            batch.fail(node, f"Assay {node.id} belongs to another sample and cannot be moved")
    _eids.check_clashes(batch, nodes, found)
    _eids.load_current(batch, nodes)
    for node in nodes:
        node.values = _values(batch, node)
    _level.write(batch, nodes, t.assay, ("type", "meta"))


def _values(batch: Batch, node: Node) -> dict[str, Any]:
    item, old = node.item, node.old
    assert node.sample is not None
    if old is None and not item.type:
        batch.fail(node, "A new assay needs a type (for example 'sequencing')")
    assay_type = batch.enum(node, "assay_type", item.type) if item.type else old["type"]  # type: ignore[index]
    meta = merge_patch(old["meta"] if old else {}, item.meta or {})
    try:
        assays.check_sequencing_meta(assay_type, meta)
    except BadRequest as error:
        batch.fail(node, str(error))
    return {"sample_id": node.sample.id, "type": assay_type, "meta": meta}


def locations(reads: Any) -> Iterator[str]:
    """The ``location`` of every file object in ``meta.reads`` (a file, a list, or a list of pairs)."""
    if isinstance(reads, dict):
        location = reads.get("location")
        if isinstance(location, str):
            yield location
    elif isinstance(reads, list):
        for value in reads:
            yield from locations(value)


def _match_by_location(batch: Batch, nodes: list[Node]) -> None:
    """Match assays of existing samples to the assay of that sample holding the same read files."""
    wanted = [n for n in nodes if (n.item.meta or {}).get("reads")]
    if not wanted:
        return
    sample_ids = list(dict.fromkeys(n.sample.id for n in wanted if n.sample and n.sample.id is not None))
    by_location: dict[tuple[int, str], int] = {}
    rows: dict[int, dict[str, Any]] = {}
    for part in chunked(sample_ids):
        statement = sa.select(t.assay).where(one_of(batch.conn, t.assay.c.sample_id, part))
        for row in _rows.as_dicts(batch.conn.execute(statement)):
            rows[row["id"]] = row
            for location in locations((row["meta"] or {}).get("reads")):
                by_location[(row["sample_id"], location)] = row["id"]
    for node in wanted:
        assert node.sample is not None and node.sample.id is not None
        sample_id = node.sample.id
        candidates = {
            by_location[(sample_id, loc)]
            for loc in locations(node.item.meta["reads"])
            if (sample_id, loc) in by_location
        }
        if len(candidates) > 1:
            batch.fail(
                node,
                f"its read files belong to several assays of the sample ({', '.join(map(str, sorted(candidates)))})",
                Conflict,
            )
        if candidates:
            node.id = candidates.pop()
            node.old = rows[node.id]
