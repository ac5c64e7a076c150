"""Analyses: create, update, query, latest completed of a type, details, history."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from genolog.metadata.api.dependencies import RequestContext, request_context
from genolog.metadata.models import Analysis, AnalysisQuery, AnalysisUpdate, LatestCompleteQuery
from genolog.metadata.service import analyses
from genolog.metadata.service.analyses import StoredAnalysis
from genolog.metadata.service.history import HistoryEntry

router = APIRouter(prefix="/analysis", tags=["analysis"])


@router.post("/query", operation_id="queryAnalyses")
def query_analyses(
    query: AnalysisQuery, ctx: RequestContext = Depends(request_context)
) -> list[StoredAnalysis]:
    with ctx.reading() as session:
        return analyses.query(session, query)


@router.put("/{project}/", operation_id="createAnalysis")
def create_analysis(project: str, analysis: Analysis, ctx: RequestContext = Depends(request_context)) -> int:
    """Create an analysis linked to sequencing groups and/or cohorts; returns its id."""
    with ctx.writing() as session:
        return analyses.create(session, project, analysis)


@router.patch("/{analysis_id}/", operation_id="updateAnalysis")
def update_analysis(
    analysis_id: int, update: AnalysisUpdate, ctx: RequestContext = Depends(request_context)
) -> bool:
    with ctx.writing() as session:
        analyses.update(session, analysis_id, update)
    return True


@router.get("/{analysis_id}/details", operation_id="getAnalysisById")
def get_analysis_by_id(analysis_id: int, ctx: RequestContext = Depends(request_context)) -> StoredAnalysis:
    with ctx.reading() as session:
        return analyses.get(session, analysis_id)


@router.get("/{analysis_id}/history", operation_id="getHistoryOfAnalysis")
def get_history_of_analysis(
    analysis_id: int, ctx: RequestContext = Depends(request_context)
) -> list[HistoryEntry]:
    with ctx.reading() as session:
        return analyses.history_of(session, analysis_id)


@router.get("/{project}/incomplete", operation_id="getIncompleteAnalyses")
def get_incomplete_analyses(
    project: str, ctx: RequestContext = Depends(request_context)
) -> list[StoredAnalysis]:
    with ctx.reading() as session:
        return analyses.incomplete(session, project)


@router.get("/{project}/{analysis_type}/latest-complete", operation_id="getLatestCompleteAnalysisForType")
def get_latest_complete_analysis_for_type(
    project: str, analysis_type: str, ctx: RequestContext = Depends(request_context)
) -> StoredAnalysis:
    """The most recently completed active analysis of this type (404 when there is none)."""
    with ctx.reading() as session:
        return analyses.latest_complete(session, project, analysis_type, None)


@router.post(
    "/{project}/{analysis_type}/latest-complete", operation_id="getLatestCompleteAnalysisForTypePost"
)
def get_latest_complete_analysis_for_type_post(
    project: str,
    analysis_type: str,
    body: LatestCompleteQuery,
    ctx: RequestContext = Depends(request_context),
) -> StoredAnalysis:
    """As the GET form, keeping only analyses whose meta matches ``body.meta``."""
    with ctx.reading() as session:
        return analyses.latest_complete(session, project, analysis_type, body.meta)
