"""Analyses sent with a bulk ingest (a metadata sheet's QC values), matched so that re-sending changes nothing.

Each names its sequencing group by the sample's external id and the group's type/technology/platform (the
group the same ingest has just written, or an earlier one), and matches the group's active analysis of
the same type linked to that group alone: equal status, output and meta leave it unchanged, a difference
updates it (meta merged, as every ingest merges meta), and without one a new analysis is created.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import sqlalchemy as sa

from genolog.metadata import metrics
from genolog.metadata import tables as t
from genolog.metadata.context import Tx
from genolog.metadata.db import one_of
from genolog.metadata.errors import BadRequest, Conflict
from genolog.metadata.meta import merge_patch
from genolog.metadata.models import Analysis, AnalysisUpdate, IngestAnalysis
from genolog.metadata.store import analyses, external_ids

GroupKey = tuple[int, str, str, str]  # sample id, type, technology, platform


OUTCOMES = ("created", "updated", "unchanged")
IN_CHUNK = 5_000  # ids per IN (...) list, far below either database's bound on parameters


def chunked(values: Iterable[Any]) -> Iterator[list[Any]]:
    iterator = iter(values)
    while part := list(islice(iterator, IN_CHUNK)):
        yield part


@dataclass
class AnalysesReport:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    changes: list[dict[str, Any]] = field(default_factory=list)


def upsert(
    tx: Tx, project_id: int, items: Sequence[tuple[int, IngestAnalysis]], *, label: str, keep_changes: bool
) -> AnalysesReport:
    """Create or update ``items`` (each with the 1-based number that errors name it by)."""
    report = AnalysesReport()
    if not items:
        return report
    conn = tx.conn
    samples: dict[str, int] = {}
    for part in chunked(dict.fromkeys(a.sequencing_group.sample for _, a in items)):
        samples.update(external_ids.lookup(conn, "sample", project_id, part))
    groups = _active_groups(tx, list(samples.values()))
    targets: list[tuple[int, IngestAnalysis, int]] = []
    for number, item in items:
        ref = item.sequencing_group
        sample_id = samples.get(ref.sample)
        if sample_id is None:
            raise BadRequest(f"{label} {number}: no sample {ref.sample!r} in this project")
        found = groups.get((sample_id, ref.type, ref.technology, ref.platform), [])
        kind = f"{ref.type}/{ref.technology}/{ref.platform}"
        if not found:
            raise BadRequest(f"{label} {number}: sample {ref.sample!r} has no active {kind} sequencing group")
        if len(found) > 1:
            raise Conflict(
                f"{label} {number}: sample {ref.sample!r} has several active {kind} sequencing groups"
            )
        targets.append((number, item, found[0]))
    existing = _sole_analyses(tx, project_id, [sg for _, _, sg in targets])
    fmt = tx.codecs.sequencing_group.format
    for number, item, sg_id in targets:
        row = existing.get((sg_id, item.type))
        if row is None:
            analysis = Analysis(
                type=item.type,
                status=item.status,
                output=item.output,
                meta=item.meta or {},
                sequencing_group_ids=[fmt(sg_id)],
            )
            try:
                analysis_id = analyses.create(tx, project_id, analysis)
            except BadRequest as error:
                raise BadRequest(f"{label} {number}: {error}") from None
            outcome = "created"
            existing[(sg_id, item.type)] = {"id": analysis_id, **analysis.model_dump()}
        else:
            analysis_id = row["id"]
            meta = merge_patch(row["meta"] or {}, item.meta or {})
            output = item.output if item.output is not None else row["output"]
            if row["status"] == item.status.value and meta == (row["meta"] or {}) and output == row["output"]:
                outcome = "unchanged"
            else:
                analyses.update(
                    tx, analysis_id, AnalysisUpdate(status=item.status, meta=item.meta, output=item.output)
                )
                outcome = "updated"
        report.counts[outcome] += 1
        if keep_changes and outcome != "unchanged":
            report.changes.append(
                {
                    "entity": "analysis",
                    "id": analysis_id,
                    "external_id": f"{item.sequencing_group.sample} {item.type}",
                    "operation": "create" if outcome == "created" else "update",
                    label: number,
                }
            )
    metrics.rows_written(conn, {"analysis": report.counts})
    return report


def _active_groups(tx: Tx, sample_ids: list[int]) -> dict[GroupKey, list[int]]:
    sg = t.sequencing_group
    result: dict[GroupKey, list[int]] = {}
    for part in chunked(sample_ids):
        rows = tx.conn.execute(
            sa.select(sg.c.id, sg.c.sample_id, sg.c.type, sg.c.technology, sg.c.platform)
            .where(one_of(tx.conn, sg.c.sample_id, part), sg.c.archived.is_(False))
            .order_by(sg.c.id)
        )
        for sg_id, sample_id, kind, technology, platform in rows:
            result.setdefault((sample_id, kind, technology, platform), []).append(sg_id)
    return result


def _sole_analyses(tx: Tx, project_id: int, sg_ids: list[int]) -> dict[tuple[int, str], dict[str, Any]]:
    """(sequencing group, type) -> the newest active analysis of the project linked to that group alone."""
    link, analysis = t.analysis_sequencing_group, t.analysis
    candidates: dict[int, int] = {}  # analysis id -> its sequencing group among ``sg_ids``
    for part in chunked(dict.fromkeys(sg_ids)):
        rows = tx.conn.execute(
            sa.select(link.c.analysis_id, link.c.sequencing_group_id).where(
                one_of(tx.conn, link.c.sequencing_group_id, part)
            )
        )
        candidates.update({a: s for a, s in rows})
    result: dict[tuple[int, str], dict[str, Any]] = {}
    for part in chunked(list(candidates)):
        counts: dict[int, int] = dict(
            tx.conn.execute(
                sa.select(link.c.analysis_id, sa.func.count())
                .where(one_of(tx.conn, link.c.analysis_id, part))
                .group_by(link.c.analysis_id)
            ).all()
        )
        cohorts = set(
            tx.conn.execute(
                sa.select(t.analysis_cohort.c.analysis_id).where(
                    one_of(tx.conn, t.analysis_cohort.c.analysis_id, part)
                )
            ).scalars()
        )
        found = tx.conn.execute(
            sa.select(analysis.c.id, analysis.c.type, analysis.c.status, analysis.c.output, analysis.c.meta)
            .where(
                one_of(tx.conn, analysis.c.id, part),
                analysis.c.project_id == project_id,
                analysis.c.active.is_(True),
            )
            .order_by(analysis.c.id)
        ).mappings()
        for row in found:
            if counts.get(row["id"]) == 1 and row["id"] not in cohorts:
                result[(candidates[row["id"]], row["type"])] = dict(row)  # the newest wins
    return result
