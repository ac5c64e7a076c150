"""Participants: upsert many (with nested samples), update one, query, id maps, history, participants for
orphan samples, moving one between families, the Parquet export, and seqr's maps and sheet."""

from __future__ import annotations

import ast
from typing import Any

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import Response

from genolog.metadata import individual_metadata
from genolog.metadata.api.dependencies import RequestContext, request_context
from genolog.metadata.api.downloads import streamed_file, text_download
from genolog.metadata.ids import parse_int
from genolog.metadata.models import ParticipantUpsert, QueryParticipantCriteria
from genolog.metadata.models_web import ExportType
from genolog.metadata.service import exports, participants, seqr_sheets
from genolog.metadata.service.history import HistoryEntry
from genolog.metadata.service.participants import FilledIn, Participant
from genolog.metadata.service.seqr_sheets import IndividualMetadata

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


@router.post("/{project}/fill-in-missing-participants", operation_id="fillInMissingParticipants")
def fill_in_missing_participants(project: str, ctx: RequestContext = Depends(request_context)) -> FilledIn:
    """Give each sample without a participant one (matched by the sample's primary external id, else new),
    e.g. before importing a pedigree. All or nothing."""
    with ctx.writing() as session:
        return participants.fill_in_missing(session, project)


def _listed(values: list[str] | None) -> list[str] | None:
    """Query values, each of which may be a Python list's text: the published client sends a list given for
    ``external_participant_ids`` as ``str(list)`` (the parameter has no collection format)."""
    if values is None:
        return None
    found: list[str] = []
    for value in values:
        if value.startswith("[") and value.endswith("]"):
            try:
                items = ast.literal_eval(value)
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                items = None
            if isinstance(items, list) and all(isinstance(i, str) for i in items):
                found.extend(items)
                continue
        found.append(value)
    return found


# the JSON answer is documented; CSV and TSV are text
@router.get(
    "/{project}/individual-metadata-seqr",
    operation_id="getIndividualMetadataForSeqr",
    tags=["seqr"],
    response_model=IndividualMetadata,
)
def get_individual_metadata_for_seqr(
    project: str,
    export_type: ExportType = ExportType.json,
    external_participant_ids: list[str] | None = Query(default=None),
    replace_with_participant_external_ids: bool = True,
    ctx: RequestContext = Depends(request_context),
) -> IndividualMetadata | Response:
    """seqr's individual metadata sheet of the project's participants with phenotypes."""
    with ctx.reading() as session:
        sheet = seqr_sheets.individual_metadata_sheet(
            session, project, _listed(external_participant_ids), replace_with_participant_external_ids
        )
    if export_type == ExportType.json:
        return sheet
    titles = [individual_metadata.HEADER_MAP[h] for h in sheet.headers]
    rows = [titles, *([row.get(h, "") for h in sheet.headers] for row in sheet.rows)]
    return text_download(rows, export_type, project)


# the JSON answer is documented; CSV and TSV are text
@router.get(
    "/{project}/external-pid-to-sg-id",
    operation_id="getExternalParticipantIdToSequencingGroupId",
    tags=["seqr"],
    response_model=list[list[str]],
)
def get_external_participant_id_to_sequencing_group_id(
    project: str,
    sequencing_type: str | None = None,
    export_type: ExportType = ExportType.json,
    flip_columns: bool = False,
    ctx: RequestContext = Depends(request_context),
) -> list[list[str]] | Response:
    """``[external participant id, sequencing group id]`` pairs (``flip_columns``: the group first, for
    seqr), a pair per external id and group; ``sequencing_type`` keeps groups of that type."""
    with ctx.reading() as session:
        pairs = seqr_sheets.participant_sequencing_groups(session, project, sequencing_type, flip_columns)
    if export_type == ExportType.json:
        return pairs
    kind = f"{sequencing_type}-" if sequencing_type else ""
    return text_download(pairs, export_type, f"{project}-{kind}participant-to-sequencing-group-map")


@router.post(
    "/{participant_id}/update-participant-family",
    operation_id="updateParticipantFamily",
    response_model=tuple[int, int],
)
def update_participant_family(
    participant_id: int,
    old_family_id: int,
    new_family_id: int,
    ctx: RequestContext = Depends(request_context),
) -> tuple[int, int]:
    """Move the participant from ``old_family_id`` to ``new_family_id`` (of its project), keeping its
    parents and affected status; answers ``[new_family_id, participant_id]``."""
    with ctx.writing() as session:
        return participants.move_to_family(session, participant_id, old_family_id, new_family_id)


@router.get(
    "/{project}/export/participant_table.parquet",
    operation_id="exportParticipants",
    response_class=Response,
    responses={200: {"content": {"application/vnd.apache.parquet": {}}}},
)
def export_participants(project: str, ctx: RequestContext = Depends(request_context)) -> Response:
    """The project's participants as a Parquet table, streamed (a 404 when there are none)."""
    return streamed_file(
        ctx,
        lambda session: exports.table(session, "participant", project),
        "participant_table.parquet",
        "application/vnd.apache.parquet",
    )
