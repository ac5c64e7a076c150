"""A project's analysis-runner runs (newest first, filtered by status and user, paged, with how many
analyses each created or changed), and one run's record with the analyses it created or changed, for a
caller who may read the project (else its 404). The run's log is read by the page (``web.runs``).
"""

from __future__ import annotations

import math
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.analysis_runner_fields import RUN_STATUSES
from genolog.metadata.context import Tx
from genolog.metadata.errors import BadRequest, NotFound
from genolog.metadata.permissions import READ
from genolog.metadata.service.analysis_list import AnalysisPage, AnalysisQuery, analyses_page, touched_by_runs
from genolog.metadata.service.page_numbers import Paged, page_and_size
from genolog.metadata.service.session import Session

DEFAULT_PER_PAGE = 25
#: Analyses shown on a run's page (the rest are a link away, in the list filtered by the run).
RUN_ANALYSES_SHOWN = 100


@dataclass(frozen=True)
class RunQuery:
    status: str = ""
    user: str = ""
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> RunQuery:
        status = params.get("status", "").strip()
        if status and status not in RUN_STATUSES:
            raise BadRequest(f"Unknown run status {status!r}: use one of {', '.join(RUN_STATUSES)}")
        page, per_page = page_and_size(params, DEFAULT_PER_PAGE)
        return cls(status, params.get("user", "").strip(), page, per_page)

    def params(self, **changes: Any) -> str:
        q = replace(self, **({"page": 1} | changes))
        pairs = [("status", q.status), ("user", q.user)]
        pairs += [("page", str(q.page)), ("per", str(q.per_page))]
        defaults = {"status": "", "user": "", "page": "1", "per": str(DEFAULT_PER_PAGE)}
        return urllib.parse.urlencode([(k, v) for k, v in pairs if v != defaults[k]])


@dataclass
class RunsPage(Paged):
    rows: list[dict[str, Any]]  # the analysis_runner row, plus "analyses": how many it created or changed
    total: int
    query: RunQuery
    users: list[str]


def analysis_counts(tx: Tx, project_id: int, guids: list[str]) -> dict[str, int]:
    """How many of the project's analyses (active or not) each run created or changed: one statement."""
    touched = touched_by_runs(t.audit_log.c.ar_guid.in_(guids)).subquery()
    a = t.analysis
    return {
        guid: int(n)
        for guid, n in tx.conn.execute(
            sa.select(touched.c.ar_guid, sa.func.count())
            .join(a, a.c.id == touched.c.analysis_id)
            .where(a.c.project_id == project_id)
            .group_by(touched.c.ar_guid)
        )
    }


def _runs_page(tx: Tx, project_id: int, query: RunQuery) -> RunsPage:
    """Four statements: the users (for the choice), the count, the page's runs, their analysis counts."""
    ar = t.analysis_runner
    users = list(
        tx.conn.execute(
            sa.select(ar.c.submitting_user)
            .where(ar.c.project_id == project_id)
            .distinct()
            .order_by(ar.c.submitting_user)
        ).scalars()
    )
    where = [ar.c.project_id == project_id]
    if query.status:
        where.append(ar.c.status == query.status)
    if query.user:
        where.append(ar.c.submitting_user == query.user)
    total = int(tx.conn.execute(sa.select(sa.func.count()).select_from(ar).where(*where)).scalar_one())
    pages = max(1, math.ceil(total / query.per_page))
    if query.page > pages:
        query = replace(query, page=pages)
    rows = [
        dict(r)
        for r in tx.conn.execute(
            sa.select(ar)
            .where(*where)
            .order_by(ar.c.timestamp.desc(), ar.c.ar_guid)
            .limit(query.per_page)
            .offset((query.page - 1) * query.per_page)
        ).mappings()
    ]
    counts = analysis_counts(tx, project_id, [r["ar_guid"] for r in rows]) if rows else {}
    for r in rows:
        r["analyses"] = counts.get(r["ar_guid"], 0)
    return RunsPage(rows, total, query, users)


def _run_record(tx: Tx, project_id: int, project: str, ar_guid: str) -> dict[str, Any]:
    ar = t.analysis_runner
    row = (
        tx.conn.execute(sa.select(ar).where(ar.c.ar_guid == ar_guid, ar.c.project_id == project_id))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"No analysis-runner run {ar_guid!r} in project {project!r}")
    return dict(row)


@dataclass
class ProjectRuns:
    project: str  # the project's name, as stored
    listing: RunsPage


def project_runs(session: Session, project: str, query: RunQuery) -> ProjectRuns:
    """A page of the runs of a project the caller may read."""
    row = session.project(project, READ)
    return ProjectRuns(row["name"], _runs_page(session.tx, row["id"], query))


@dataclass
class Run:
    project: str  # the project's name, as stored
    record: dict[str, Any]  # the analysis_runner row
    analyses: AnalysisPage  # the first ``RUN_ANALYSES_SHOWN`` it created or changed, active or not


def project_run(session: Session, project: str, ar_guid: str) -> Run:
    """A run of a project the caller may read, with the analyses it created or changed."""
    row = session.project(project, READ)
    record = _run_record(session.tx, row["id"], row["name"], ar_guid)
    query = AnalysisQuery(ar_guid=ar_guid, active="all", per_page=RUN_ANALYSES_SHOWN)
    return Run(row["name"], record, analyses_page(session.tx, row["id"], query, with_types=False))
