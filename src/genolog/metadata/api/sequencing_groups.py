"""Sequencing groups: look up, archive, update meta, history."""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends

from genolog.metadata.api.dependencies import RequestContext, request_context
from genolog.metadata.models import SequencingGroupMetaUpdate
from genolog.metadata.service import sequencing_groups
from genolog.metadata.service.history import HistoryEntry
from genolog.metadata.service.sequencing_groups import SequencingGroup

router = APIRouter(prefix="/sequencing-group", tags=["sequencing-group"])


@router.patch("/archive", operation_id="archiveSequencingGroups")
def archive_sequencing_groups(
    sequencing_group_ids: list[str] = Body(...), ctx: RequestContext = Depends(request_context)
) -> bool:
    """Archive sequencing groups (and free their external ids). All or nothing."""
    with ctx.writing() as session:
        sequencing_groups.archive(session, sequencing_group_ids)
    return True


@router.get("/project/{project}", operation_id="getAllSequencingGroupIdsBySampleByType")
def get_all_sequencing_group_ids_by_sample_by_type(
    project: str, ctx: RequestContext = Depends(request_context)
) -> dict[str, dict[str, list[str]]]:
    with ctx.reading() as session:
        return sequencing_groups.ids_by_sample_by_type(session, project)


@router.patch("/project/{sequencing_group_id}", operation_id="updateSequencingGroup")
def update_sequencing_group(
    sequencing_group_id: str,
    project: str,
    update: SequencingGroupMetaUpdate,
    ctx: RequestContext = Depends(request_context),
) -> bool:
    """Merge ``meta`` into the sequencing group's meta."""
    with ctx.writing() as session:
        sequencing_groups.update_meta(session, project, sequencing_group_id, update.meta or {})
    return True


@router.get("/{sequencing_group_id}/history", operation_id="getHistoryOfSequencingGroup")
def get_history_of_sequencing_group(
    sequencing_group_id: str, ctx: RequestContext = Depends(request_context)
) -> list[HistoryEntry]:
    with ctx.reading() as session:
        return sequencing_groups.history_of(session, sequencing_group_id)


@router.get("/{sequencing_group_id}", operation_id="getSequencingGroup")
def get_sequencing_group(
    sequencing_group_id: str, ctx: RequestContext = Depends(request_context)
) -> SequencingGroup:
    with ctx.reading() as session:
        return sequencing_groups.get(session, sequencing_group_id)
