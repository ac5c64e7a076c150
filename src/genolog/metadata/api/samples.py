"""Samples: create, upsert many (with nested sequencing groups and assays), update, query, id maps, history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends

from genolog.metadata.api.service import RequestContext, request_context
from genolog.metadata.errors import BadRequest, NotFound
from genolog.metadata.models import GetSamplesCriteria, SampleUpsert
from genolog.metadata.permissions import READ, WRITE
from genolog.metadata.store import external_ids, history, samples
from genolog.metadata.store.upserts import upsert_items

router = APIRouter(prefix="/sample", tags=["sample"])


@router.post("/", operation_id="getSamples")
def get_samples(
    criteria: GetSamplesCriteria, ctx: RequestContext = Depends(request_context)
) -> list[dict[str, Any]]:
    with ctx.read() as tx:
        project_ids = ctx.readable_project_ids(tx, criteria.project_ids)
        return samples.query(
            tx,
            list(project_ids),
            sample_ids=tx.codecs.sample.parse_many(criteria.sample_ids)
            if criteria.sample_ids is not None
            else None,
            participant_ids=criteria.participant_ids,
            meta=criteria.meta,
            active=criteria.active,
        )


@router.post("/id-map/internal", operation_id="getSampleIdMapByInternal")
def get_sample_id_map_by_internal(
    sample_ids: list[str] = Body(...), ctx: RequestContext = Depends(request_context)
) -> dict[str, str]:
    """Internal sample id -> primary external id."""
    with ctx.read() as tx:
        raw = tx.codecs.sample.parse_many(sample_ids)
        owners = samples.projects_of(tx, raw)
        missing = [
            s
            for s, r in zip(sample_ids, raw, strict=True)
            if r not in owners or not ctx.caller.roles_on(owners[r])
        ]
        if missing:
            raise NotFound(f"Samples not found: {', '.join(missing)}")
        for project_id in set(owners.values()):  # a member without a read role: 403, as everywhere
            ctx.project_by_id(tx, project_id, READ, "Samples not found")
        return samples.internal_to_external(tx, raw)


@router.put("/{project}/", operation_id="createSample")
def create_sample(project: str, sample: SampleUpsert, ctx: RequestContext = Depends(request_context)) -> str:
    if sample.id is not None:
        raise BadRequest("createSample makes a new sample: leave out 'id' (use updateSample to change one)")
    with ctx.write() as tx:
        row = ctx.project(tx, project, WRITE)
        return tx.codecs.sample.format(upsert_items(tx, row["id"], [sample], create_only=True).ids[0])


@router.put("/{project}/upsert-many", operation_id="upsertSamples")
def upsert_samples(
    project: str, samples_in: list[SampleUpsert] = Body(...), ctx: RequestContext = Depends(request_context)
) -> list[dict[str, Any]]:
    """Update samples given by id or primary external id, insert the rest; nested groups and assays
    likewise (see ``store.upserts`` for how they match). All or nothing."""
    with ctx.write() as tx:
        row = ctx.project(tx, project, WRITE)
        return upsert_items(tx, row["id"], samples_in, echo=True).results


@router.post("/{project}/id-map/external", operation_id="getSampleIdMapByExternal")
def get_sample_id_map_by_external(
    project: str,
    external_ids_in: list[str] = Body(...),
    allow_missing: bool = False,
    ctx: RequestContext = Depends(request_context),
) -> dict[str, str]:
    with ctx.read() as tx:
        row = ctx.project(tx, project, READ)
        return samples.external_to_internal(tx, row["id"], external_ids_in, allow_missing)


@router.get("/{project}/id-map/internal/all", operation_id="getAllSampleIdMapByInternal")
def get_all_sample_id_map_by_internal(
    project: str, ctx: RequestContext = Depends(request_context)
) -> dict[str, str]:
    with ctx.read() as tx:
        row = ctx.project(tx, project, READ)
        return samples.all_internal_to_external(tx, row["id"])


@router.get("/{project}/{external_id}/details", operation_id="getSampleByExternalId")
def get_sample_by_external_id(
    project: str, external_id: str, ctx: RequestContext = Depends(request_context)
) -> dict[str, Any]:
    with ctx.read() as tx:
        row = ctx.project(tx, project, READ)
        found = external_ids.lookup(tx.conn, "sample", row["id"], [external_id])
        if not found:
            raise NotFound(f"No sample with external id {external_id!r} in project {project!r}")
        return samples.views(tx, [found[external_id]])[found[external_id]]


@router.get("/{id_}/history", operation_id="getHistoryOfSample")
def get_history_of_sample(id_: str, ctx: RequestContext = Depends(request_context)) -> list[dict[str, Any]]:
    with ctx.read() as tx:
        sample_id = tx.codecs.sample.parse(id_)
        row = samples.get_row(tx, sample_id)
        ctx.project_by_id(tx, row["project_id"], READ, f"Sample {id_} not found")
        return history.read(tx, "sample", sample_id)


@router.get("/{id_}", operation_id="getSampleById")
def get_sample_by_id(id_: str, ctx: RequestContext = Depends(request_context)) -> dict[str, Any]:
    with ctx.read() as tx:
        sample_id = tx.codecs.sample.parse(id_)
        row = samples.get_row(tx, sample_id)
        ctx.project_by_id(tx, row["project_id"], READ, f"Sample {id_} not found")
        return samples.views(tx, [sample_id])[sample_id]


@router.patch("/{id_}", operation_id="updateSample")
def update_sample(id_: str, sample: SampleUpsert, ctx: RequestContext = Depends(request_context)) -> str:
    with ctx.write() as tx:
        sample_id = tx.codecs.sample.parse(id_)
        if sample.id is not None and tx.codecs.sample.parse(sample.id) != sample_id:
            raise BadRequest(f"The body's id {sample.id!r} does not match the path's {id_!r}")
        row = samples.get_row(tx, sample_id)
        ctx.project_by_id(tx, row["project_id"], WRITE, f"Sample {id_} not found")
        upsert_items(tx, row["project_id"], [sample.model_copy(update={"id": id_})])
        return id_
