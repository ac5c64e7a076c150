"""Assays: create, update, look up by id, external id or criteria, history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from genolog.metadata.api.dependencies import RequestContext, request_context
from genolog.metadata.errors import BadRequest, NotFound
from genolog.metadata.models import AssayQueryCriteria, AssayUpsert
from genolog.metadata.permissions import READ, WRITE
from genolog.metadata.store import assays, external_ids, history, samples
from genolog.metadata.store.filters import meta_matches

router = APIRouter(prefix="/assay", tags=["assay"])


@router.put("/", operation_id="createAssay")
def create_assay(assay: AssayUpsert, ctx: RequestContext = Depends(request_context)) -> int:
    if assay.id is not None:
        raise BadRequest("createAssay makes a new assay: leave out 'id' (use updateAssay to change one)")
    if not assay.sample_id:
        raise BadRequest("A new assay needs a sample_id")
    with ctx.write() as tx:
        sample_id = tx.codecs.sample.parse(assay.sample_id)
        sample = samples.get_row(tx, sample_id)
        ctx.project_by_id(tx, sample["project_id"], WRITE, f"Sample {assay.sample_id} not found")
        return assays.upsert(tx, sample["project_id"], sample_id, assay)


@router.patch("/", operation_id="updateAssay")
def update_assay(assay: AssayUpsert, ctx: RequestContext = Depends(request_context)) -> int:
    if assay.id is None:
        raise BadRequest("updateAssay needs the assay's id")
    with ctx.write() as tx:
        project_id = assays.project_of(tx, assay.id)
        ctx.project_by_id(tx, project_id, WRITE, f"Assay {assay.id} not found")
        current = assays.views(tx, [assay.id])[assay.id]
        sample_id = tx.codecs.sample.parse(current["sample_id"])
        if assay.sample_id is not None and tx.codecs.sample.parse(assay.sample_id) != sample_id:
            raise BadRequest(f"Assay {assay.id} belongs to sample {current['sample_id']} and cannot be moved")
        return assays.upsert(tx, project_id, sample_id, assay)


@router.post("/criteria", operation_id="getAssaysByCriteria")
def get_assays_by_criteria(
    criteria: AssayQueryCriteria, ctx: RequestContext = Depends(request_context)
) -> list[dict[str, Any]]:
    with ctx.read() as tx:
        project_ids = list(ctx.readable_project_ids(tx, criteria.projects))
        sample_rows = samples.query(
            tx,
            project_ids,
            sample_ids=tx.codecs.sample.parse_many(criteria.sample_ids)
            if criteria.sample_ids is not None
            else None,
            meta=criteria.sample_meta,
            active=None,
        )
        sample_ids = [tx.codecs.sample.parse(s["id"]) for s in sample_rows]
        candidates = assays.views(tx, assays.ids_of_samples(tx, sample_ids))
        wanted_ids = set(criteria.assay_ids) if criteria.assay_ids is not None else None
        wanted_eids = set(criteria.external_assay_ids) if criteria.external_assay_ids is not None else None
        return [
            a
            for a in candidates.values()
            if (wanted_ids is None or a["id"] in wanted_ids)
            and (wanted_eids is None or wanted_eids & set(a["external_ids"].values()))
            and (criteria.assay_types is None or a["type"] in criteria.assay_types)
            and meta_matches(a["meta"], criteria.assay_meta)
        ]


@router.get("/{assay_id}/details", operation_id="getAssayById")
def get_assay_by_id(assay_id: int, ctx: RequestContext = Depends(request_context)) -> dict[str, Any]:
    with ctx.read() as tx:
        ctx.project_by_id(tx, assays.project_of(tx, assay_id), READ, f"Assay {assay_id} not found")
        return assays.views(tx, [assay_id])[assay_id]


@router.get("/{project}/external_id/{external_id}/details", operation_id="getAssayByExternalId")
def get_assay_by_external_id(
    project: str, external_id: str, ctx: RequestContext = Depends(request_context)
) -> dict[str, Any]:
    with ctx.read() as tx:
        row = ctx.project(tx, project, READ)
        found = external_ids.lookup(tx.conn, "assay", row["id"], [external_id])
        if not found:
            raise NotFound(f"No assay with external id {external_id!r} in project {project!r}")
        return assays.views(tx, [found[external_id]])[found[external_id]]


@router.get("/{assay_id}/history", operation_id="getHistoryOfAssay")
def get_history_of_assay(
    assay_id: int, ctx: RequestContext = Depends(request_context)
) -> list[dict[str, Any]]:
    with ctx.read() as tx:
        ctx.project_by_id(tx, assays.project_of(tx, assay_id), READ, f"Assay {assay_id} not found")
        return history.read(tx, "assay", assay_id)
