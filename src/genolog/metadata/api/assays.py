"""Assays: create, update, look up by id, external id or criteria, history."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from genolog.metadata.api.dependencies import RequestContext, request_context
from genolog.metadata.models import AssayQueryCriteria, AssayUpsert
from genolog.metadata.service import assays
from genolog.metadata.service.assays import Assay
from genolog.metadata.service.history import HistoryEntry

router = APIRouter(prefix="/assay", tags=["assay"])


@router.put("/", operation_id="createAssay")
def create_assay(assay: AssayUpsert, ctx: RequestContext = Depends(request_context)) -> int:
    with ctx.writing() as session:
        return assays.create(session, assay)


@router.patch("/", operation_id="updateAssay")
def update_assay(assay: AssayUpsert, ctx: RequestContext = Depends(request_context)) -> int:
    with ctx.writing() as session:
        return assays.update(session, assay)


@router.post("/criteria", operation_id="getAssaysByCriteria")
def get_assays_by_criteria(
    criteria: AssayQueryCriteria, ctx: RequestContext = Depends(request_context)
) -> list[Assay]:
    with ctx.reading() as session:
        return assays.query(session, criteria)


@router.get("/{assay_id}/details", operation_id="getAssayById")
def get_assay_by_id(assay_id: int, ctx: RequestContext = Depends(request_context)) -> Assay:
    with ctx.reading() as session:
        return assays.get(session, assay_id)


@router.get("/{project}/external_id/{external_id}/details", operation_id="getAssayByExternalId")
def get_assay_by_external_id(
    project: str, external_id: str, ctx: RequestContext = Depends(request_context)
) -> Assay:
    with ctx.reading() as session:
        return assays.get_by_external_id(session, project, external_id)


@router.get("/{assay_id}/history", operation_id="getHistoryOfAssay")
def get_history_of_assay(assay_id: int, ctx: RequestContext = Depends(request_context)) -> list[HistoryEntry]:
    with ctx.reading() as session:
        return assays.history_of(session, assay_id)
