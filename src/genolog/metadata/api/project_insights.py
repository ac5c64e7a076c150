"""Metamist's ``/project-insights`` routes: per project and sequencing type, what was sequenced and how far
its analyses went."""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends

from genolog.metadata.api.dependencies import RequestContext, request_context
from genolog.metadata.service import project_insights
from genolog.metadata.service.project_insights import ProjectInsightsDetails, ProjectInsightsSummary

router = APIRouter(prefix="/project-insights", tags=["project-insights"])


@router.post(
    "/project-insights-summary",
    operation_id="getProjectInsightsSummary",
    response_model=list[ProjectInsightsSummary],
)
def get_project_insights_summary(
    project_names: list[str] = Body(...),
    sequencing_types: list[str] = Body(...),
    ctx: RequestContext = Depends(request_context),
) -> list[ProjectInsightsSummary]:
    with ctx.reading() as session:
        return project_insights.summary(session, project_names, sequencing_types)


@router.post(
    "/project-insights-details",
    operation_id="getProjectInsightsDetails",
    response_model=list[ProjectInsightsDetails],
)
def get_project_insights_details(
    project_names: list[str] = Body(...),
    sequencing_types: list[str] = Body(...),
    ctx: RequestContext = Depends(request_context),
) -> list[ProjectInsightsDetails]:
    with ctx.reading() as session:
        return project_insights.details(session, project_names, sequencing_types)
