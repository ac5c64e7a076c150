"""Analyses: create, update, query, latest completed of a type, sequencing groups without a type, details,
history; seqr's CRAM paths and the CRAM proportionate map."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from genolog.metadata.api.dependencies import RequestContext, request_context
from genolog.metadata.api.downloads import text_download
from genolog.metadata.models import (
    Analysis,
    AnalysisQuery,
    AnalysisUpdate,
    LatestCompleteQuery,
    ProportionateMapQuery,
)
from genolog.metadata.models_web import ExportType
from genolog.metadata.service import analyses, cram_proportions, seqr_sheets
from genolog.metadata.service.analyses import SequencingGroupIds, StoredAnalysis
from genolog.metadata.service.cram_proportions import ProportionalDate
from genolog.metadata.service.history import HistoryEntry
from genolog.metadata.service.seqr_sheets import CramPath

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


@router.get(
    "/{project}/type/{analysis_type}/not-included-sample-ids",
    operation_id="getAllSampleIdsWithoutAnalysisType",
)
def get_all_sample_ids_without_analysis_type(
    project: str, analysis_type: str, ctx: RequestContext = Depends(request_context)
) -> SequencingGroupIds:
    """The project's sequencing groups that have no active analysis of this type."""
    with ctx.reading() as session:
        return analyses.sequencing_groups_without_type(session, project, analysis_type)


# the JSON answer is documented; CSV and TSV are text
@router.get(
    "/{project}/sample-cram-path-map",
    operation_id="getSamplesReadsMap",
    tags=["seqr"],
    response_model=list[CramPath],
)
def get_samples_reads_map(
    project: str,
    export_type: ExportType = ExportType.json,
    sequencing_types: list[str] = Query(default=[]),
    ctx: RequestContext = Depends(request_context),
) -> list[CramPath] | Response:
    """For seqr's IGV: each participant's (primary external id) CRAM path and sequencing group."""
    with ctx.reading() as session:
        paths = seqr_sheets.cram_paths(session, project, sequencing_types)
    if export_type == ExportType.json:
        return paths
    rows = [[p.participant_id, p.output, p.sequencing_group_id] for p in paths]
    return text_download(rows, export_type, f"{project}-seqr-igv-paths")


@router.post("/cram-proportionate-map", operation_id="getProportionateMap")
def get_proportionate_map(
    start: str,
    query: ProportionateMapQuery,
    end: str | None = None,
    ctx: RequestContext = Depends(request_context),
) -> dict[str, list[ProportionalDate]]:
    """Each project's share of the CRAM storage day by day, per temporal method (YYYY-MM-DD dates)."""
    with ctx.reading() as session:
        return cram_proportions.proportionate_map(
            session, start, end, query.projects, query.temporal_methods, query.sequencing_types
        )
