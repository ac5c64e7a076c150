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

from genolog.metadata import metrics
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
    record = 1
    # A chunk makes a few hundred thousand objects that live until it ends; the young-generation
    # collector, run every 100,000 allocations (server.tune_interpreter), would scan them again and again.
    # Paused, each chunk's nodes are freed by reference counting (their cycles broken by
    # ``_upsert_chunk``), and one young collection per chunk catches any other cycle.
    with gc_paused():
        for chunk in chunked(items, CHUNK):
            if len(chunk) >= _STATISTICS_FROM:
                _refresh_statistics(tx)
            _upsert_chunk(batch, report, chunk, record, echo=echo)
            record += len(chunk)
            del chunk
            gc.collect(0)
    report.items = record - 1
    metrics.rows_written(tx.conn, report.counts)
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
# Chunks of fewer items grow no table by much and look few keys up: they leave the statistics to larger
# writes (and to the autovacuum), rather than each pay for looking at the tables' sizes.
_STATISTICS_FROM = 100
# Below this size (in 8 KiB pages) a table is read whole as fast as it is probed by its index: whatever
# its statistics, no plan can be slow.
_UNPLANNED_PAGES = 32
# Per grown table: its size now (this transaction's own rows included), its size at its last ANALYZE, and
# whether it has statistics (pg_stats: a rolled-back ANALYZE leaves the size it saw in pg_class, not its
# statistics).
_SIZES = """
SELECT c.relname, pg_relation_size(c.oid) / current_setting('block_size')::int, c.relpages,
       c.relname IN (SELECT s.tablename FROM pg_stats s
                     WHERE s.schemaname = current_schema() AND s.tablename = ANY(CAST(%(names)s AS name[])))
FROM pg_class c
WHERE c.oid = ANY(CAST(%(names)s AS regclass[]))
"""


def _refresh_statistics(tx: Tx) -> None:
    """On PostgreSQL, ANALYZE the grown tables that have no statistics or are four times the size they
    had at their last ANALYZE.

    The queries that match entities already there look rows up by lists of ids (``col = ANY(array)``);
    the planner sizes such a list against the column's statistics, and without them takes it for a large
    share of the table and reads the whole table for every chunk. What those plans need is a table's
    shape (distinct values per row), which stays right as it grows (row counts the planner scales to the
    table's current size itself), so a table is analysed once it has some size and then each time it has
    quadrupled: a few times over its life. Not on every request: that cost each request time in
    proportion to the tables, and concurrent writers queued on the ANALYZE's lock until the first
    committed. Inside the transaction the ANALYZE counts its own rows, so the later chunks of a fresh
    project's bulk ingest plan against them. A sample of 3,000 rows a table (statistics target 10, for
    this transaction only) gives the distinct values; fine histograms are not needed."""
    if tx.conn.dialect.name != "postgresql":
        return
    sizes = tx.conn.exec_driver_sql(_SIZES, {"names": "{" + ",".join(_GROWN) + "}"}).all()
    stale = [
        name
        for name, pages, analysed_pages, has_statistics in sizes
        if pages >= _UNPLANNED_PAGES and (not has_statistics or pages >= 4 * analysed_pages)
    ]
    if not stale:
        return
    tables = ", ".join(f"{table} ({', '.join(_GROWN[table])})" for table in stale)
    tx.conn.exec_driver_sql("SET LOCAL default_statistics_target = 10")
    tx.conn.exec_driver_sql(f"ANALYZE {tables}")


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
