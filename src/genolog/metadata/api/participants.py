"""Participants: upsert many (with nested samples), update one, query, id maps, history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends

from genolog.metadata.api.dependencies import RequestContext, request_context
from genolog.metadata.errors import BadRequest
from genolog.metadata.ids import parse_int
from genolog.metadata.models import ParticipantUpsert, QueryParticipantCriteria
from genolog.metadata.permissions import READ, WRITE
from genolog.metadata.store import history, participants
from genolog.metadata.store.upserts import upsert_items

router = APIRouter(prefix="/participant", tags=["participant"])


@router.post("/update-many", operation_id="updateManyParticipants")
def update_many_participants(
    new_external_ids: dict[str, str] = Body(...), ctx: RequestContext = Depends(request_context)
) -> bool:
    """Set the primary external id of participants: ``{participant_id: new_external_id}``."""
    by_id = {
        parse_int(k, "participant id", " (the keys are participant ids)"): v
        for k, v in new_external_ids.items()
    }
    with ctx.write() as tx:
        by_project: dict[int, dict[int, str]] = {}
        for participant_id, eid in by_id.items():
            row = participants.get_row(tx, participant_id)
            by_project.setdefault(row["project_id"], {})[participant_id] = eid
        for project_id, changes in by_project.items():
            # the same 404 as for a participant id that does not exist at all
            ctx.project_by_id(tx, project_id, WRITE, f"Participant {next(iter(changes))} not found")
            participants.update_primary_external_ids(tx, project_id, changes)
    return True


@router.put("/{project}/upsert-many", operation_id="upsertParticipants")
def upsert_participants(
    project: str, items: list[ParticipantUpsert] = Body(...), ctx: RequestContext = Depends(request_context)
) -> list[dict[str, Any]]:
    """Insert participants without ids, update those with ids, with nested samples. All or nothing."""
    with ctx.write() as tx:
        row = ctx.project(tx, project, WRITE)
        return upsert_items(tx, row["id"], items, echo=True).results


@router.post("/{participant_id}/update-participant", operation_id="updateParticipant")
def update_participant(
    participant_id: int, participant: ParticipantUpsert, ctx: RequestContext = Depends(request_context)
) -> dict[str, Any]:
    if participant.id is not None and participant.id != participant_id:
        raise BadRequest(f"The body's id {participant.id} does not match the path's {participant_id}")
    with ctx.write() as tx:
        row = participants.get_row(tx, participant_id)
        ctx.project_by_id(tx, row["project_id"], WRITE, f"Participant {participant_id} not found")
        update = participant.model_copy(update={"id": participant_id})
        return upsert_items(tx, row["project_id"], [update], echo=True).results[0]


@router.post("/{project}/id-map/external", operation_id="getParticipantIdMapByExternalIds")
def get_participant_id_map_by_external_ids(
    project: str,
    external_ids_in: list[str] = Body(...),
    allow_missing: bool = False,
    ctx: RequestContext = Depends(request_context),
) -> dict[str, int]:
    with ctx.read() as tx:
        row = ctx.project(tx, project, READ)
        return participants.external_to_internal(tx, row["id"], external_ids_in, allow_missing)


@router.post("/{project}", operation_id="getParticipants")
def get_participants(
    project: str, criteria: QueryParticipantCriteria, ctx: RequestContext = Depends(request_context)
) -> list[dict[str, Any]]:
    with ctx.read() as tx:
        row = ctx.project(tx, project, READ)
        return participants.query(
            tx, row["id"], criteria.external_participant_ids, criteria.internal_participant_ids
        )


@router.get("/{participant_id}/history", operation_id="getHistoryOfParticipant")
def get_history_of_participant(
    participant_id: int, ctx: RequestContext = Depends(request_context)
) -> list[dict[str, Any]]:
    with ctx.read() as tx:
        row = participants.get_row(tx, participant_id)
        ctx.project_by_id(tx, row["project_id"], READ, f"Participant {participant_id} not found")
        return history.read(tx, "participant", participant_id)
