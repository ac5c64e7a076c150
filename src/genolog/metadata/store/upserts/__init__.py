"""Set-based upserts of participant → sample → sequencing group → assay trees, matched on the server.

Items without internal ids match existing entities by primary external id (sequencing groups also by
type/technology/platform on their sample, assays by read location), so re-sending a manifest updates
what changed and leaves the rest alone. Each chunk of items costs a few statements per entity kind; all
chunks share the caller's transaction, so a request is all or nothing while memory stays bounded.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from genolog.metadata.context import Tx
from genolog.metadata.gc_pause import gc_paused
from genolog.metadata.models import ParticipantUpsert, SampleUpsert
from genolog.metadata.store.upserts import _assays, _participants, _samples, _sequencing_groups
from genolog.metadata.store.upserts._batch import Batch, Node, chunked, flatten

# Top-level items resolved and written together: large enough to amortise each statement, small enough
# that a 100,000-sample request never holds more than this many trees in memory.
CHUNK = 1_000


@dataclass
class UpsertReport:
    counts: dict[str, dict[str, int]]
    changes: list[dict[str, Any]] = field(default_factory=list)  # only when asked for
    ids: list[int] = field(default_factory=list)  # the internal id of each top-level item, in order
    results: list[dict[str, Any]] = field(default_factory=list)  # the items echoed back with ids, if asked
    items: int = 0  # how many top-level items there were (a streamed request's count of records)


def upsert_items(
    tx: Tx,
    project_id: int,
    items: Iterable[ParticipantUpsert | SampleUpsert],
    *,
    label: str = "item",
    echo: bool = False,
    create_only: bool = False,
    keep_changes: bool = False,
) -> UpsertReport:
    """Upsert trees of participants or samples; errors name the 1-based ``label`` number of the item."""
    batch = Batch(tx, project_id, label=label, create_only=create_only, keep_changes=keep_changes)
    report = UpsertReport(batch.counts, batch.changes)
    record, analysed_at = 1, 0
    # A chunk makes a few hundred thousand objects that live until it ends; the young-generation
    # collector, run every 100,000 allocations (server.tune_interpreter), would scan them again and again.
    # Paused, each chunk's nodes are freed by reference counting (their cycles broken by
    # ``_upsert_chunk``), and one young collection per chunk catches any other cycle.
    with gc_paused():
        for chunk in chunked(items, CHUNK):
            _upsert_chunk(batch, report, chunk, record, echo=echo)
            record += len(chunk)
            analysed_at = _refresh_statistics(tx, batch, analysed_at)
            del chunk
            gc.collect(0)
    report.items = record - 1
    return report


def _upsert_chunk(
    batch: Batch,
    report: UpsertReport,
    chunk: list[ParticipantUpsert | SampleUpsert],
    record: int,
    *,
    echo: bool,
) -> None:
    tx = batch.tx
    levels = flatten(chunk, record, batch.label)
    try:
        _participants.upsert(batch, levels.participants)
        for depth in levels.samples:
            _samples.upsert(batch, depth)
        _assays.upsert(batch, levels.assays)
        _sequencing_groups.upsert(batch, levels.sequencing_groups)
        report.ids.extend(root.id for root in levels.roots if root.id is not None)
        if echo:
            report.results.extend(_echo(tx, root) for root in levels.roots)
        tx.finish()  # the chunk's change records, so snapshots never span more than one chunk
    finally:
        levels.release()


# The tables a bulk ingest grows, and the columns its queries filter and join on: PostgreSQL plans against
# their statistics. Statistics of the JSON columns (meta) would cost most of the ANALYZE and no ingest
# query filters on them; nor does any read ``change``, which only grows.
_GROWN = {
    "sample": ("id", "project_id", "participant_id", "parent_id", "root_id"),
    "sample_external_id": ("project_id", "sample_id", "name", "external_id"),
    "participant": ("id", "project_id"),
    "participant_external_id": ("project_id", "participant_id", "name", "external_id"),
    "assay": ("id", "sample_id"),
    "sequencing_group": ("id", "sample_id", "archived"),
    "sequencing_group_assay": ("sequencing_group_id", "assay_id"),
}


def _refresh_statistics(tx: Tx, batch: Batch, analysed_at: int) -> int:
    """On PostgreSQL, ANALYZE the grown tables each time this request has quadrupled what it created.

    A fresh or small project's statistics say its tables are nearly empty; planned against them, the
    matching queries of later chunks (which see this transaction's own rows) slow down badly after a
    few tens of thousands of rows. ANALYZE inside the transaction counts those rows; quadrupling keeps
    it to a few runs per request, and statistics at most four times behind still plan the same index
    lookups. Those lookups need the row counts, not fine histograms: a sample of 3,000 rows a table
    (statistics target 10, for this transaction only) rather than 30,000 is enough; the autovacuum's
    own ANALYZE, after the commit, brings the full statistics back."""
    created = sum(counts["created"] for counts in batch.counts.values())
    if tx.conn.dialect.name != "postgresql" or created < max(4 * analysed_at, CHUNK):
        return analysed_at
    tables = ", ".join(f"{table} ({', '.join(columns)})" for table, columns in _GROWN.items())
    tx.conn.exec_driver_sql("SET LOCAL default_statistics_target = 10")
    tx.conn.exec_driver_sql(f"ANALYZE {tables}")
    return created


def _echo(tx: Tx, node: Node, participant_id: int | None = None) -> dict[str, Any]:
    """The item as sent, with the id it got: Metamist's upsert answer. Every field of the upsert model is
    there (null when not sent, an empty list for nested items not sent), and nested items link back:
    ``participant_id`` in a participant's samples (and theirs), ``sample_id`` in groups and assays."""
    item = node.item
    if node.kind == "participant":
        return {
            "id": node.id,
            "external_ids": item.external_ids,
            "reported_sex": item.reported_sex,
            "reported_gender": item.reported_gender,
            "karyotype": item.karyotype,
            "meta": item.meta,
            "samples": [_echo(tx, child, node.id) for child in node.children],
            "phenotypes": item.phenotypes,
        }
    if node.kind == "sample":
        if item.participant_id is not None:
            participant_id = item.participant_id
        children = {
            kind: [c for c in node.children if c.kind == kind]
            for kind in ("sample", "sequencing_group", "assay")
        }
        return {
            "id": tx.codecs.sample.format(node.id or 0),
            "external_ids": item.external_ids,
            "meta": item.meta,
            "project": item.project,
            "type": item.type,
            "participant_id": participant_id,
            "active": item.active,
            "nested_samples": [_echo(tx, c, participant_id) for c in children["sample"]],
            "sequencing_groups": [_echo(tx, c) for c in children["sequencing_group"]],
            "non_sequencing_assays": [_echo(tx, c) for c in children["assay"]],
        }
    sample_id = tx.codecs.sample.format(node.sample.id or 0) if node.sample is not None else None
    if node.kind == "sequencing_group":
        return {
            "id": tx.codecs.sequencing_group.format(node.id or 0),
            "type": item.type,
            "technology": item.technology,
            "platform": item.platform,
            "meta": item.meta,
            "sample_id": sample_id,
            "external_ids": item.external_ids,
            "assays": [_echo(tx, child) for child in node.children],
        }
    return {
        "id": node.id,
        "type": item.type,
        "external_ids": item.external_ids,
        "sample_id": sample_id,
        "meta": item.meta,
    }
