"""Sequencing groups: look up, archive, update meta, history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends

from genolog.metadata import access
from genolog.metadata.api.dependencies import RequestContext, request_context
from genolog.metadata.models import SequencingGroupMetaUpdate
from genolog.metadata.permissions import READ, WRITE
from genolog.metadata.store import history, sequencing_groups

router = APIRouter(prefix="/sequencing-group", tags=["sequencing-group"])


@router.patch("/archive", operation_id="archiveSequencingGroups")
def archive_sequencing_groups(
    sequencing_group_ids: list[str] = Body(...), ctx: RequestContext = Depends(request_context)
) -> bool:
    """Archive sequencing groups (and free their external ids). All or nothing."""
    with ctx.write() as tx:
        raw = tx.codecs.sequencing_group.parse_many(sequencing_group_ids)
        by_project: dict[int, list[int]] = {}
        for text, sg_id in zip(sequencing_group_ids, raw, strict=True):
            row = sequencing_groups.get_row(tx, sg_id)
            ctx.project_by_id(tx, row["project_id"], WRITE, f"Sequencing group {text} not found")
            by_project.setdefault(row["project_id"], []).append(sg_id)
        for project_id, ids in by_project.items():
            sequencing_groups.archive(tx, project_id, ids)
    return True


@router.get("/project/{project}", operation_id="getAllSequencingGroupIdsBySampleByType")
def get_all_sequencing_group_ids_by_sample_by_type(
    project: str, ctx: RequestContext = Depends(request_context)
) -> dict[str, dict[str, list[str]]]:
    with ctx.read() as tx:
        row = ctx.project(tx, project, READ)
        return sequencing_groups.ids_by_sample_by_type(tx, row["id"])


@router.patch("/project/{sequencing_group_id}", operation_id="updateSequencingGroup")
def update_sequencing_group(
    sequencing_group_id: str,
    project: str,
    update: SequencingGroupMetaUpdate,
    ctx: RequestContext = Depends(request_context),
) -> bool:
    """Merge ``meta`` into the sequencing group's meta."""
    with ctx.write() as tx:
        sg_id = tx.codecs.sequencing_group.parse(sequencing_group_id)
        project_row = ctx.project(tx, project, WRITE)
        access.in_project(
            project_row["id"],
            lambda: sequencing_groups.get_row(tx, sg_id),
            f"Sequencing group {sequencing_group_id} not found in project {project!r}",
        )
        sequencing_groups.update_meta(tx, sg_id, update.meta or {})
    return True


@router.get("/{sequencing_group_id}/history", operation_id="getHistoryOfSequencingGroup")
def get_history_of_sequencing_group(
    sequencing_group_id: str, ctx: RequestContext = Depends(request_context)
) -> list[dict[str, Any]]:
    with ctx.read() as tx:
        sg_id = tx.codecs.sequencing_group.parse(sequencing_group_id)
        row = sequencing_groups.get_row(tx, sg_id)
        ctx.project_by_id(tx, row["project_id"], READ, f"Sequencing group {sequencing_group_id} not found")
        return history.read(tx, "sequencing_group", sg_id)


@router.get("/{sequencing_group_id}", operation_id="getSequencingGroup")
def get_sequencing_group(
    sequencing_group_id: str, ctx: RequestContext = Depends(request_context)
) -> dict[str, Any]:
    with ctx.read() as tx:
        sg_id = tx.codecs.sequencing_group.parse(sequencing_group_id)
        row = sequencing_groups.get_row(tx, sg_id)
        ctx.project_by_id(tx, row["project_id"], READ, f"Sequencing group {sequencing_group_id} not found")
        return sequencing_groups.views(tx, [sg_id], with_assays=True)[sg_id]
