"""Samples: create, upsert many (with nested sequencing groups and assays), update, merge, query, id maps,
creation dates, history, the Parquet export."""

from __future__ import annotations

import datetime
from typing import Any

from fastapi import APIRouter, Body, Depends
from fastapi.responses import Response

from genolog.metadata.api.dependencies import RequestContext, request_context
from genolog.metadata.api.downloads import streamed_file
from genolog.metadata.models import GetSamplesCriteria, SampleUpsert
from genolog.metadata.service import exports, samples
from genolog.metadata.service.history import HistoryEntry
from genolog.metadata.service.samples import Sample, SampleVersion

router = APIRouter(prefix="/sample", tags=["sample"])


@router.post("/", operation_id="getSamples")
def get_samples(criteria: GetSamplesCriteria, ctx: RequestContext = Depends(request_context)) -> list[Sample]:
    with ctx.reading() as session:
        return samples.query(session, criteria)


@router.post("/id-map/internal", operation_id="getSampleIdMapByInternal")
def get_sample_id_map_by_internal(
    sample_ids: list[str] = Body(...), ctx: RequestContext = Depends(request_context)
) -> dict[str, str]:
    """Internal sample id -> primary external id."""
    with ctx.reading() as session:
        return samples.id_map_by_internal(session, sample_ids)


@router.post("/samples-create-date", operation_id="getSamplesCreateDate")
def get_samples_create_date(
    sample_ids: list[str] = Body(...), ctx: RequestContext = Depends(request_context)
) -> dict[str, datetime.date]:
    """Internal sample id -> the day it was created."""
    with ctx.reading() as session:
        return samples.created_dates(session, sample_ids)


@router.put("/{project}/", operation_id="createSample")
def create_sample(project: str, sample: SampleUpsert, ctx: RequestContext = Depends(request_context)) -> str:
    with ctx.writing() as session:
        return samples.create(session, project, sample)


# the items as sent, with the ids they got and their links (Metamist's upsert answer)
@router.put(
    "/{project}/upsert-many",
    operation_id="upsertSamples",
    response_model=list[SampleUpsert],
)
def upsert_samples(
    project: str, samples_in: list[SampleUpsert] = Body(...), ctx: RequestContext = Depends(request_context)
) -> list[dict[str, Any]]:
    """Update samples given by id or primary external id, insert the rest; nested groups and assays
    likewise. All or nothing."""
    with ctx.writing() as session:
        return samples.upsert_many(session, project, samples_in)


@router.post("/{project}/id-map/external", operation_id="getSampleIdMapByExternal")
def get_sample_id_map_by_external(
    project: str,
    external_ids_in: list[str] = Body(...),
    allow_missing: bool = False,
    ctx: RequestContext = Depends(request_context),
) -> dict[str, str]:
    with ctx.reading() as session:
        return samples.id_map_by_external(session, project, external_ids_in, allow_missing)


@router.get("/{project}/id-map/internal/all", operation_id="getAllSampleIdMapByInternal")
def get_all_sample_id_map_by_internal(
    project: str, ctx: RequestContext = Depends(request_context)
) -> dict[str, str]:
    with ctx.reading() as session:
        return samples.all_id_map_by_internal(session, project)


@router.get("/{project}/{external_id}/details", operation_id="getSampleByExternalId")
def get_sample_by_external_id(
    project: str, external_id: str, ctx: RequestContext = Depends(request_context)
) -> Sample:
    with ctx.reading() as session:
        return samples.get_by_external_id(session, project, external_id)


@router.get("/{id_}/history", operation_id="getHistoryOfSample")
def get_history_of_sample(id_: str, ctx: RequestContext = Depends(request_context)) -> list[SampleVersion]:
    """Every version of the sample, oldest first, as Metamist answers it."""
    with ctx.reading() as session:
        return samples.versions_of(session, id_)


@router.get("/{id_}/audit-history", operation_id="getAuditHistoryOfSample")
def get_audit_history_of_sample(
    id_: str, ctx: RequestContext = Depends(request_context)
) -> list[HistoryEntry]:
    """The sample's recorded changes, as the other entities' ``/history`` answer them: who, when, on whose
    behalf, and the sample before and after."""
    with ctx.reading() as session:
        return samples.history_of(session, id_)


@router.get("/{id_}", operation_id="getSampleById")
def get_sample_by_id(id_: str, ctx: RequestContext = Depends(request_context)) -> Sample:
    with ctx.reading() as session:
        return samples.get(session, id_)


# Metamist's answer: the update as sent, with its id (as an upsert echoes it)
@router.patch("/{id_}", operation_id="updateSample", response_model=SampleUpsert)
def update_sample(
    id_: str, sample: SampleUpsert, ctx: RequestContext = Depends(request_context)
) -> dict[str, Any]:
    with ctx.writing() as session:
        return samples.update(session, id_, sample)


@router.patch("/{id_keep}/{id_merge}", operation_id="mergeSamples")
def merge_samples(id_keep: str, id_merge: str, ctx: RequestContext = Depends(request_context)) -> Sample:
    """Merge sample ``id_merge`` into ``id_keep``: its assays and sequencing groups move over, its meta is
    merged in (``merged_from`` lists it), and it is deactivated (``merged_into`` names the kept one)."""
    with ctx.writing() as session:
        return samples.merge(session, id_keep, id_merge)


@router.get(
    "/{project}/export/sample_table.parquet",
    operation_id="exportSamples",
    response_class=Response,
    responses={200: {"content": {"application/vnd.apache.parquet": {}}}},
)
def export_samples(project: str, ctx: RequestContext = Depends(request_context)) -> Response:
    """The project's samples as a Parquet table, streamed (a 404 when there are none)."""
    return streamed_file(
        ctx,
        lambda session: exports.table(session, "sample", project),
        "sample_table.parquet",
        "application/vnd.apache.parquet",
    )
