"""Metamist's ``/web`` routes: the project summary, the participant grid (page, filter schema, export),
keyword search, and the project's seqr link (family GUID map, dataset sync)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends
from fastapi.responses import StreamingResponse

from genolog.metadata.api.dependencies import RequestContext, request_context
from genolog.metadata.models_web import (
    ExportProjectParticipantFields,
    ExportType,
    ProjectParticipantGridFilter,
    SeqrDatasetType,
)
from genolog.metadata.service import (
    keyword_search,
    participant_export,
    participant_grid,
    project_summary,
    seqr,
)
from genolog.metadata.service.keyword_search import SearchResponseModel
from genolog.metadata.service.participant_grid import ProjectParticipantGridResponse
from genolog.metadata.service.project_summary import ProjectSummary
from genolog.metadata.service.seqr import SeqrSyncResult, SyncSteps
from genolog.metadata.streamed import Streamed, StreamedResponse, hold_open

router = APIRouter(prefix="/web", tags=["web"])


@router.post("/{project}/summary", operation_id="getProjectSummary", response_model=ProjectSummary)
def get_project_summary(project: str, ctx: RequestContext = Depends(request_context)) -> ProjectSummary:
    with ctx.reading() as session:
        return project_summary.summary(session, project, ctx.svc.settings.seqr.url)


@router.post(
    "/{project}/participants/schema",
    operation_id="getProjectParticipantsFilterSchema",
    response_model=dict[str, Any],
)
def get_project_participants_filter_schema(
    project: str, ctx: RequestContext = Depends(request_context)
) -> dict[str, Any]:
    """The JSON schema of the participant grid's filter."""
    with ctx.reading() as session:
        return participant_grid.filter_schema(session, project)


@router.post(
    "/{project}/participants",
    operation_id="getProjectParticipantsGridWithLimit",
    response_model=ProjectParticipantGridResponse,
)
def get_project_participants_grid_with_limit(
    project: str,
    limit: int,
    query: ProjectParticipantGridFilter,
    skip: int = 0,
    ctx: RequestContext = Depends(request_context),
) -> ProjectParticipantGridResponse:
    """A page of ``limit`` participants (at most 1,000) after ``skip``, with the grid's columns."""
    with ctx.reading() as session:
        return participant_grid.grid(session, project, query, limit, skip)


@router.post(
    "/{project}/participants/export/{export_type}",
    operation_id="exportProjectParticipants",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}, "text/tab-separated-values": {}, "application/json": {}}}},
)
def export_project_participants(
    project: str,
    export_type: ExportType,
    query: ProjectParticipantGridFilter = Body(...),
    fields: ExportProjectParticipantFields | None = Body(None),
    ctx: RequestContext = Depends(request_context),
) -> StreamingResponse:
    """Every participant the filter keeps: JSON (the grid's participants), or CSV/TSV with a row per assay."""
    exported, held = hold_open(
        ctx.reading(),
        lambda session: participant_export.export(session, project, export_type, query, fields),
    )
    return StreamedResponse(Streamed(exported.chunks, held), media_type=exported.media_type)


@router.get("/search", operation_id="searchByKeyword", response_model=SearchResponseModel)
def search_by_keyword(keyword: str, ctx: RequestContext = Depends(request_context)) -> SearchResponseModel:
    """Families, participants and samples whose external ids start with ``keyword``, or the sample or
    sequencing group it names, in the projects the caller may read."""
    with ctx.reading() as session:
        return keyword_search.search(session, keyword)


@router.post(
    "/{project}/{sequencing_type}/sync-dataset",
    operation_id="syncSeqrProject",
    response_model=SeqrSyncResult,
    response_model_exclude_none=True,
)
def sync_seqr_project(
    project: str,
    sequencing_type: str,
    es_index_types: list[SeqrDatasetType] = Body(...),
    steps: SyncSteps = Depends(),  # its fields are the query parameters
    ctx: RequestContext = Depends(request_context),
) -> SeqrSyncResult:
    """Push the project's data of the sequencing type to its seqr project (the ``[seqr]`` server)."""
    with ctx.reading() as session:
        return seqr.sync_dataset(
            session, project, sequencing_type, es_index_types, ctx.svc.settings.seqr, steps
        )


@router.get(
    "/{project}/{sequencing_type}/seqr-family-guid-map",
    operation_id="getSeqrFamilyGuidMap",
    response_model=dict[str, str],
)
def get_seqr_family_guid_map(
    project: str, sequencing_type: str, ctx: RequestContext = Depends(request_context)
) -> dict[str, str]:
    """seqr's map of the project's families to its family GUIDs."""
    with ctx.reading() as session:
        return seqr.family_guid_map(session, project, sequencing_type, ctx.svc.settings.seqr)
