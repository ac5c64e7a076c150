"""Analyses: create, update (also a writer's status edit on the web), query, the latest completed of a
type, details and history; each function checks the caller's role on the analysis' project."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from genolog.metadata.errors import BadRequest, NotFound
from genolog.metadata.ids import int_or_none
from genolog.metadata.models import Analysis, AnalysisQuery, AnalysisStatus, AnalysisUpdate
from genolog.metadata.permissions import READ, WRITE
from genolog.metadata.service.deferred import Deferred, made
from genolog.metadata.service.history import HistoryEntry, recorded_changes
from genolog.metadata.service.session import Session, in_project
from genolog.metadata.store import analyses

STATUSES = [s.value for s in AnalysisStatus]


class StoredAnalysis(BaseModel):
    """An analysis as the REST API answers it."""

    id: int
    type: str
    status: str
    output: str | None
    outputs: Any
    sequencing_group_ids: list[str]
    cohort_ids: list[str]
    author: str | None
    timestamp_completed: str | None
    project: int
    active: bool
    meta: dict[str, Any]


def _model(view: dict[str, Any]) -> StoredAnalysis:
    # ``store.analyses.views`` made it from the row, and it is the history's snapshot too: not re-validated
    return StoredAnalysis.model_construct(**view)


def _visible(session: Session, analysis_id: int, needed: frozenset[str]) -> None:
    """Nothing, if the caller holds ``needed`` on the analysis' project (else the same 404 as an analysis
    that does not exist)."""
    row = analyses.get_row(session.tx, analysis_id)
    session.project_by_id(row["project_id"], needed, f"Analysis {analysis_id} not found")


def query(session: Session, criteria: AnalysisQuery) -> list[StoredAnalysis]:
    """The analyses matching ``criteria`` in the readable (or the named) projects."""
    project_ids = session.readable_projects(criteria.projects)
    found = analyses.query(
        session.tx,
        list(project_ids),
        sequencing_group_ids=session.codecs.sequencing_group.parse_many(criteria.sequencing_group_ids)
        if criteria.sequencing_group_ids
        else None,
        analysis_type=criteria.type,
        status=criteria.status.value if criteria.status else None,
        meta=criteria.meta,
        output=criteria.output,
        active=criteria.active,
    )
    return [_model(v) for v in found]


def create(session: Session, project: str, analysis: Deferred[Analysis]) -> int:
    """Create an analysis linked to sequencing groups and/or cohorts of the project; its id."""
    project_id = session.project(project, WRITE)["id"]
    return analyses.create(session.tx, project_id, made(analysis))


def update(session: Session, analysis_id: int, change: Deferred[AnalysisUpdate]) -> None:
    _visible(session, analysis_id, WRITE)
    analyses.update(session.tx, analysis_id, made(change))


def get(session: Session, analysis_id: int) -> StoredAnalysis:
    _visible(session, analysis_id, READ)
    return _model(analyses.views(session.tx, [analysis_id])[analysis_id])


def history_of(session: Session, analysis_id: int) -> list[HistoryEntry]:
    _visible(session, analysis_id, READ)
    return recorded_changes(session.tx, "analysis", analysis_id)


def incomplete(session: Session, project: str) -> list[StoredAnalysis]:
    """The project's active analyses that are queued or in progress."""
    project_id = session.project(project, READ)["id"]
    found = analyses.query(session.tx, [project_id], statuses=["queued", "in-progress"], active=True)
    return [_model(v) for v in found]


def latest_complete(
    session: Session, project: str, analysis_type: str, meta: dict[str, Any] | None
) -> StoredAnalysis | None:
    """The most recently completed active analysis of this type whose meta matches ``meta``, or None."""
    project_id = session.project(project, READ)["id"]
    found = analyses.latest_complete(session.tx, project_id, analysis_type, meta)
    return None if found is None else _model(found)


def number_in_project(project: str, text_id: str) -> int:
    """The number of the analysis ``text_id`` of the named project, or the 404 of an analysis not found."""
    number = int_or_none(text_id)
    if number is None:
        raise NotFound(f"Analysis {text_id!r} not found in project {project!r}")
    return number


def set_status(session: Session, project: str, text_id: str, status: str, active: bool) -> AnalysisUpdate:
    """A writer's status edit of an analysis of the named project: its status and active flag; the change
    made. An analysis of another project answers the 404 of one that does not exist."""
    number = number_in_project(project, text_id)
    project_id = session.project(project, WRITE)["id"]
    if status not in STATUSES:
        raise BadRequest(f"Unknown analysis status {status!r}: one of {', '.join(STATUSES)}.")
    in_project(
        project_id,
        lambda: analyses.get_row(session.tx, number),
        f"Analysis {text_id} not found in project {project!r}",
    )
    change = AnalysisUpdate(status=AnalysisStatus(status), active=active)
    analyses.update(session.tx, number, change)
    return change
