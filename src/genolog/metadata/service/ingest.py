"""Bulk ingest: a stream of participant or sample trees upserted into a project in one transaction.

The records are consumed as they come and upserted a chunk at a time (see ``store.upserts``), so memory
holds one chunk, not the whole request, while the transaction spans it all: all or nothing. Analysis
records (a metadata sheet's QC values) follow the trees and are written after them, in the same
transaction (``store.ingest_analyses``). A dry run does everything, reports it, and rolls back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import BaseModel

from genolog.metadata.errors import BadRequest
from genolog.metadata.models import IngestAnalysis, ParticipantUpsert, SampleUpsert
from genolog.metadata.permissions import WRITE
from genolog.metadata.service.session import Session
from genolog.metadata.store import ingest_analyses
from genolog.metadata.store.upserts import upsert_items

Record = ParticipantUpsert | SampleUpsert | IngestAnalysis


class IngestReport(BaseModel):
    dry_run: bool
    records: int
    counts: dict[str, dict[str, int]]
    changes: list[dict[str, Any]] | None = None  # what was (or would be) created or updated, on dry runs


class DryRunDone(Exception):
    """A dry run's report, raised through the session's transaction so that it rolls back: the caller of
    ``upsert`` that opened the session catches it and answers ``report``."""

    def __init__(self, report: IngestReport) -> None:
        super().__init__("dry run: rolled back")
        self.report = report


def upsert(session: Session, project: str, records: Iterable[Record], dry_run: bool) -> IngestReport:
    """Upsert ``records``, matching existing entities by external id: re-sending changes nothing. Errors
    name the record by its 1-based number. A dry run raises ``DryRunDone`` with what it did."""
    project_id = session.project(project, WRITE)["id"]
    analyses: list[tuple[int, IngestAnalysis]] = []
    done = upsert_items(
        session.tx, project_id, _trees(records, analyses), label="record", keep_changes=dry_run
    )
    written = ingest_analyses.upsert(session.tx, project_id, analyses, label="record", keep_changes=dry_run)
    counts = dict(done.counts)
    if analyses:
        counts["analysis"] = written.counts
    changes = [*done.changes, *written.changes]
    report = IngestReport(
        dry_run=dry_run,
        records=done.items + len(analyses),
        counts=counts,
        changes=changes if dry_run else None,
    )
    if dry_run:
        raise DryRunDone(report)
    return report


def _trees(
    records: Iterable[Record], analyses: list[tuple[int, IngestAnalysis]]
) -> Iterator[ParticipantUpsert | SampleUpsert]:
    """The participant and sample records, as they come; the analyses that follow them go to ``analyses``
    (after the trees, so that the trees keep their record numbers and the groups they name exist)."""
    for number, record in enumerate(records, start=1):
        if isinstance(record, IngestAnalysis):
            analyses.append((number, record))
        elif analyses:
            raise BadRequest(
                f"record {number}: participant and sample records come before every analysis record"
            )
        else:
            yield record
