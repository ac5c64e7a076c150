"""Analyses: create, update, query, latest completed of a type, details, history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from genolog.metadata.api.dependencies import RequestContext, request_context
from genolog.metadata.models import Analysis, AnalysisQuery, AnalysisUpdate, LatestCompleteQuery
from genolog.metadata.permissions import READ, WRITE
from genolog.metadata.store import analyses, history

router = APIRouter(prefix="/analysis", tags=["analysis"])


@router.post("/query", operation_id="queryAnalyses")
def query_analyses(
    query: AnalysisQuery, ctx: RequestContext = Depends(request_context)
) -> list[dict[str, Any]]:
    with ctx.read() as tx:
        project_ids = ctx.readable_project_ids(tx, query.projects)
        return analyses.query(
            tx,
            list(project_ids),
            sequencing_group_ids=tx.codecs.sequencing_group.parse_many(query.sequencing_group_ids)
            if query.sequencing_group_ids
            else None,
            analysis_type=query.type,
            status=query.status.value if query.status else None,
            meta=query.meta,
            output=query.output,
            active=query.active,
        )


@router.put("/{project}/", operation_id="createAnalysis")
def create_analysis(project: str, analysis: Analysis, ctx: RequestContext = Depends(request_context)) -> int:
    """Create an analysis linked to sequencing groups and/or cohorts; returns its id."""
    with ctx.write() as tx:
        row = ctx.project(tx, project, WRITE)
        return analyses.create(tx, row["id"], analysis)


@router.patch("/{analysis_id}/", operation_id="updateAnalysis")
def update_analysis(
    analysis_id: int, update: AnalysisUpdate, ctx: RequestContext = Depends(request_context)
) -> bool:
    with ctx.write() as tx:
        row = analyses.get_row(tx, analysis_id)
        ctx.project_by_id(tx, row["project_id"], WRITE, f"Analysis {analysis_id} not found")
        analyses.update(tx, analysis_id, update)
    return True


@router.get("/{analysis_id}/details", operation_id="getAnalysisById")
def get_analysis_by_id(analysis_id: int, ctx: RequestContext = Depends(request_context)) -> dict[str, Any]:
    with ctx.read() as tx:
        row = analyses.get_row(tx, analysis_id)
        ctx.project_by_id(tx, row["project_id"], READ, f"Analysis {analysis_id} not found")
        return analyses.views(tx, [analysis_id])[analysis_id]


@router.get("/{analysis_id}/history", operation_id="getHistoryOfAnalysis")
def get_history_of_analysis(
    analysis_id: int, ctx: RequestContext = Depends(request_context)
) -> list[dict[str, Any]]:
    with ctx.read() as tx:
        row = analyses.get_row(tx, analysis_id)
        ctx.project_by_id(tx, row["project_id"], READ, f"Analysis {analysis_id} not found")
        return history.read(tx, "analysis", analysis_id)


@router.get("/{project}/incomplete", operation_id="getIncompleteAnalyses")
def get_incomplete_analyses(
    project: str, ctx: RequestContext = Depends(request_context)
) -> list[dict[str, Any]]:
    with ctx.read() as tx:
        row = ctx.project(tx, project, READ)
        return analyses.query(tx, [row["id"]], statuses=["queued", "in-progress"], active=True)


def _latest(
    ctx: RequestContext, project: str, analysis_type: str, meta: dict[str, Any] | None
) -> dict[str, Any] | None:
    with ctx.read() as tx:
        row = ctx.project(tx, project, READ)
        return analyses.latest_complete(tx, row["id"], analysis_type, meta)


@router.get("/{project}/{analysis_type}/latest-complete", operation_id="getLatestCompleteAnalysisForType")
def get_latest_complete_analysis_for_type(
    project: str, analysis_type: str, ctx: RequestContext = Depends(request_context)
) -> dict[str, Any] | None:
    """The most recently completed active analysis of this type, or null."""
    return _latest(ctx, project, analysis_type, None)


@router.post(
    "/{project}/{analysis_type}/latest-complete", operation_id="getLatestCompleteAnalysisForTypePost"
)
def get_latest_complete_analysis_for_type_post(
    project: str,
    analysis_type: str,
    body: LatestCompleteQuery,
    ctx: RequestContext = Depends(request_context),
) -> dict[str, Any] | None:
    """As the GET form, keeping only analyses whose meta matches ``body.meta``."""
    return _latest(ctx, project, analysis_type, body.meta)
