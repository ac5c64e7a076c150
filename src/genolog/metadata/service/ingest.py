"""Bulk ingest: a stream of participant or sample trees upserted into a project in one transaction.

The records are consumed as they come and upserted a chunk at a time (see ``store.upserts``), so memory
holds one chunk, not the whole request, while the transaction spans it all: all or nothing. A dry run
does everything, reports it, and rolls back.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from genolog.metadata.models import ParticipantUpsert, SampleUpsert
from genolog.metadata.permissions import WRITE
from genolog.metadata.service.session import Session
from genolog.metadata.store.upserts import upsert_items


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


def upsert(
    session: Session, project: str, records: Iterable[ParticipantUpsert | SampleUpsert], dry_run: bool
) -> IngestReport:
    """Upsert ``records``, matching existing entities by external id: re-sending changes nothing. Errors
    name the record by its 1-based number. A dry run raises ``DryRunDone`` with what it did."""
    project_id = session.project(project, WRITE)["id"]
    done = upsert_items(session.tx, project_id, records, label="record", keep_changes=dry_run)
    report = IngestReport(
        dry_run=dry_run, records=done.items, counts=done.counts, changes=done.changes if dry_run else None
    )
    if dry_run:
        raise DryRunDone(report)
    return report
