"""Analyses: create, update (also a writer's status edit on the web), query, the latest completed of a
type, the sequencing groups without a type, details and history; each function checks the caller's role
on the analysis' project."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from genolog.metadata.context import naive_utc
from genolog.metadata.errors import BadRequest, NotFound
from genolog.metadata.ids import int_or_none
from genolog.metadata.models import Analysis, AnalysisQuery, AnalysisStatus, AnalysisUpdate
from genolog.metadata.permissions import READ, WRITE
from genolog.metadata.service.deferred import Deferred, made
from genolog.metadata.service.history import HistoryEntry, recorded_changes
from genolog.metadata.service.reads import analyses as reads
from genolog.metadata.service.reads.filters import meta_matches
from genolog.metadata.service.reads.rows import Rows, parse_json
from genolog.metadata.service.session import Session, in_project
from genolog.metadata.store import analyses
from genolog.metadata.store.snapshots import analysis_links

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


def models(session: Session, rows: Rows) -> list[StoredAnalysis]:
    """The analyses of these rows (``reads.analyses``) as the REST API answers them."""
    sgs, cohorts = analysis_links(session.tx, [r["id"] for r in rows])
    fmt_sg, fmt_cohort = session.codecs.sequencing_group.format, session.codecs.cohort.format
    return [
        StoredAnalysis.model_construct(  # from stored rows: not re-validated
            id=r["id"],
            type=r["type"],
            status=r["status"],
            output=r["output"],
            outputs=parse_json(r["outputs"]),
            sequencing_group_ids=[fmt_sg(i) for i in sgs[r["id"]]],
            cohort_ids=[fmt_cohort(i) for i in cohorts[r["id"]]],
            author=r["on_behalf_of"],
            timestamp_completed=_iso(naive_utc(r["timestamp_completed"])),
            project=r["project_id"],
            active=r["active"],
            meta=parse_json(r["meta"]),
        )
        for r in rows
    ]


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _visible(session: Session, analysis_id: int, needed: frozenset[str]) -> None:
    """Nothing, if the caller holds ``needed`` on the analysis' project (else the same 404 as an analysis
    that does not exist)."""
    row = analyses.get_row(session.tx, analysis_id)
    session.project_by_id(row["project_id"], needed, f"Analysis {analysis_id} not found")


def query(session: Session, criteria: AnalysisQuery) -> list[StoredAnalysis]:
    """The analyses matching ``criteria`` in the readable (or the named) projects."""
    project_ids = session.readable_projects(criteria.projects)
    found = reads.analyses_listed(
        session,
        list(project_ids),
        sequencing_group_ids=session.codecs.sequencing_group.parse_many(criteria.sequencing_group_ids)
        if criteria.sequencing_group_ids
        else None,
        type=criteria.type,
        statuses=[criteria.status.value] if criteria.status else None,
        output=criteria.output,
        active=criteria.active,
        meta=criteria.meta,
    )
    if criteria.meta:
        found = Rows(r for r in found if meta_matches(parse_json(r["meta"]), criteria.meta))
    return models(session, found)


def create(session: Session, project: str, analysis: Deferred[Analysis]) -> int:
    """Create an analysis linked to sequencing groups and/or cohorts of the project; its id."""
    project_id = session.project(project, WRITE)["id"]
    return analyses.create(session.tx, project_id, made(analysis))


def update(session: Session, analysis_id: int, change: Deferred[AnalysisUpdate]) -> None:
    _visible(session, analysis_id, WRITE)
    analyses.update(session.tx, analysis_id, made(change))


def get(session: Session, analysis_id: int) -> StoredAnalysis:
    found = reads.analysis_by_id(session, analysis_id)
    if not found:  # missing, or not readable: the 404 (or a member without a read role's 403)
        _visible(session, analysis_id, READ)
        raise NotFound(f"Analysis {analysis_id} not found")
    return models(session, found)[0]


def history_of(session: Session, analysis_id: int) -> list[HistoryEntry]:
    _visible(session, analysis_id, READ)
    return recorded_changes(session.tx, "analysis", analysis_id)


def incomplete(session: Session, project: str) -> list[StoredAnalysis]:
    """The project's active analyses that are queued or in progress."""
    project_id = session.project(project, READ)["id"]
    found = reads.analyses_listed(session, [project_id], statuses=["queued", "in-progress"], active=True)
    return models(session, found)


def latest_complete(
    session: Session, project: str, analysis_type: str, meta: dict[str, Any] | None
) -> StoredAnalysis:
    """The most recently completed active analysis of this type whose meta matches ``meta``; Metamist's
    404 when there is none."""
    project_id = session.project(project, READ)["id"]
    for row in reads.completed_analyses(session, project_id, analysis_type, meta):
        if meta_matches(parse_json(row["meta"]), meta):
            return models(session, Rows([row]))[0]
    raise NotFound(f"Couldn't find any analysis with type {analysis_type}")


class SequencingGroupIds(BaseModel):
    sequencing_group_ids: list[str]


def sequencing_groups_without_type(session: Session, project: str, analysis_type: str) -> SequencingGroupIds:
    """The project's unarchived sequencing groups without an active analysis of this type."""
    project_id = session.project(project, READ)["id"]
    fmt = session.codecs.sequencing_group.format
    found = reads.sequencing_groups_without(session, project_id, analysis_type)
    return SequencingGroupIds(sequencing_group_ids=[fmt(i) for i in found])


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
