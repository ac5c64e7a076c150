"""Participants: upsert many (with nested samples), update one, query, id maps, history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends

from genolog.metadata.api.dependencies import RequestContext, request_context
from genolog.metadata.ids import parse_int
from genolog.metadata.models import ParticipantUpsert, QueryParticipantCriteria
from genolog.metadata.service import participants
from genolog.metadata.service.history import HistoryEntry
from genolog.metadata.service.participants import Participant

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
    with ctx.writing() as session:
        participants.update_primary_external_ids(session, by_id)
    return True


# the items as sent, with the ids they got and their links (Metamist's upsert answer)
@router.put(
    "/{project}/upsert-many",
    operation_id="upsertParticipants",
    response_model=list[ParticipantUpsert],
)
def upsert_participants(
    project: str, items: list[ParticipantUpsert] = Body(...), ctx: RequestContext = Depends(request_context)
) -> list[dict[str, Any]]:
    """Insert participants without ids, update those with ids, with nested samples. All or nothing."""
    with ctx.writing() as session:
        return participants.upsert_many(session, project, items)


@router.post("/{participant_id}/update-participant", operation_id="updateParticipant")
def update_participant(
    participant_id: int, participant: ParticipantUpsert, ctx: RequestContext = Depends(request_context)
) -> dict[str, dict[str, Any]]:
    """Update one participant; Metamist's answer: ``{"success": <the update as sent, with its id>}``."""
    with ctx.writing() as session:
        return {"success": participants.update(session, participant_id, participant)}


@router.post("/{project}/id-map/external", operation_id="getParticipantIdMapByExternalIds")
def get_participant_id_map_by_external_ids(
    project: str,
    external_ids_in: list[str] = Body(...),
    allow_missing: bool = False,
    ctx: RequestContext = Depends(request_context),
) -> dict[str, int]:
    with ctx.reading() as session:
        return participants.id_map_by_external(session, project, external_ids_in, allow_missing)


@router.post("/{project}", operation_id="getParticipants")
def get_participants(
    project: str, criteria: QueryParticipantCriteria, ctx: RequestContext = Depends(request_context)
) -> list[Participant]:
    with ctx.reading() as session:
        return participants.query(session, project, criteria)


@router.get("/{participant_id}/history", operation_id="getHistoryOfParticipant")
def get_history_of_participant(
    participant_id: int, ctx: RequestContext = Depends(request_context)
) -> list[HistoryEntry]:
    with ctx.reading() as session:
        return participants.history_of(session, participant_id)
