"""What seqr loads from a project (Metamist's ``seqr`` routes): the CRAM of each participant's sequencing
groups, the participants' sequencing groups, and the individual metadata sheet of their phenotypes (each
needs reading the project); and the import of such a sheet (writing it)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from genolog.metadata import individual_metadata
from genolog.metadata.errors import BadRequest, NotFound
from genolog.metadata.inputs import check_list_length
from genolog.metadata.models import ParticipantUpsert
from genolog.metadata.permissions import READ, WRITE
from genolog.metadata.service.reads import seqr as reads
from genolog.metadata.service.reads.projects import external_ids_of, primary_external_id
from genolog.metadata.service.reads.rows import parse_json
from genolog.metadata.service.session import Session
from genolog.metadata.store import external_ids, families, participants
from genolog.metadata.store.upserts import upsert_items

UNKNOWN_FAMILY = "<unknown>"  # Metamist's family id of a participant in no family


class CramPath(BaseModel):
    """One CRAM of a participant's sequencing group, as seqr's IGV paths list it."""

    participant_id: str
    output: str | None
    sequencing_group_id: str
    outputs: Any = None


class IndividualMetadata(BaseModel):
    """seqr's individual metadata sheet: ``rows`` keyed by ``headers`` (the keys some row has, in the
    sheet's order), ``header_map`` naming each key's column."""

    rows: list[dict[str, Any]]
    headers: list[str]
    header_map: dict[str, str]


def cram_paths(session: Session, project: str, sequencing_types: list[str]) -> list[CramPath]:
    """The project's active completed CRAM analyses, one entry per sequencing group of a sample with a
    participant, the most recently completed first (``sequencing_types``: only analyses whose
    ``meta.sequencing_type`` is one of them)."""
    check_list_length(sequencing_types, "sequencing types")
    project_id = session.project(project, READ)["id"]
    fmt = session.codecs.sequencing_group.format
    return [
        CramPath.model_construct(
            participant_id=r["participant_id"],
            output=r["output"],
            sequencing_group_id=fmt(r["sequencing_group_id"]),
            outputs=parse_json(r["outputs"]),
        )
        for r in reads.cram_paths(session, project_id, sequencing_types)
    ]


def participant_sequencing_groups(
    session: Session, project: str, sequencing_type: str | None, flip_columns: bool
) -> list[list[str]]:
    """``[external participant id, sequencing group id]`` for each external id (any organisation) of the
    project's participants and each sequencing group of their samples (``sequencing_type``: only groups of
    that type); ``flip_columns`` puts the group first, as seqr takes it."""
    project_id = session.project(project, READ)["id"]
    fmt = session.codecs.sequencing_group.format
    pairs = [
        [r["external_id"], fmt(r["sequencing_group_id"])]
        for r in reads.participant_sequencing_groups(session, project_id, sequencing_type)
    ]
    return [pair[::-1] for pair in pairs] if flip_columns else pairs


def individual_metadata_sheet(
    session: Session,
    project: str,
    external_participant_ids: list[str] | None,
    replace_with_participant_external_ids: bool,
) -> IndividualMetadata:
    """The individual metadata sheet of the project's participants that have phenotypes (or of those
    listed by external id: an unknown one is a 404), with their family's external id (``<unknown>`` for
    none) and their own (their internal id unless ``replace_with_participant_external_ids``)."""
    project_id = session.project(project, READ)["id"]
    wanted = None
    if external_participant_ids:
        wanted = list(
            participants.external_to_internal(
                session.tx, project_id, external_participant_ids, False
            ).values()
        )
    phenotypes = reads.phenotyped_participants(session, project_id, wanted)
    ids = list(phenotypes)
    names = external_ids_of(session, "participant", ids) if replace_with_participant_external_ids else {}
    family_of = reads.families_of(session, ids)
    family_names = external_ids_of(session, "family", sorted(set(family_of.values())))

    def family(pid: int) -> str:
        return primary_external_id(family_names, family_of[pid]) if pid in family_of else UNKNOWN_FAMILY

    sheet = individual_metadata.template(
        [(primary_external_id(names, pid), family(pid), phenotypes[pid]) for pid in ids]
    )
    return IndividualMetadata(**sheet)


class ExtraParticipants(StrEnum):
    """What an individual metadata import does with individuals the project does not have."""

    fail = "fail"
    ignore = "ignore"
    add = "add"


class Imported(BaseModel):
    success: bool


def import_individual_metadata(
    session: Session, project: str, records: list[list[str]], extra: ExtraParticipants
) -> Imported:
    """Store the phenotypes of an individual metadata sheet (its header and rows) on the project's
    participants, matched by external id; individuals the project lacks are an error, skipped, or created
    (``extra``). A Family ID must be the participant's family's, if it is in one; else the participant is
    put in that family (created if need be). All or nothing."""
    project_id = session.project(project, WRITE)["id"]
    sheet = individual_metadata.read_sheet(records)
    found = external_ids.lookup(
        session.tx.conn, "participant", project_id, (sheet.individual(r) for _, r in sheet.rows)
    )
    rows = sheet.rows
    missing = [sheet.individual(r) for _, r in rows if sheet.individual(r) not in found]
    if missing and extra == ExtraParticipants.fail:
        raise NotFound(
            f"Participants not found in project {project!r}: {', '.join(missing)} "
            "(extra_participants_method=add creates them, =ignore skips them)"
        )
    if extra == ExtraParticipants.ignore:
        rows = [(n, r) for n, r in rows if sheet.individual(r) in found]
    items = [
        ParticipantUpsert(id=found[name], phenotypes=phenotypes)
        if (name := sheet.individual(row)) in found
        else ParticipantUpsert(external_ids={external_ids.PRIMARY: name}, phenotypes=phenotypes)
        for number, row in rows
        for phenotypes in [individual_metadata.phenotypes_of(sheet, row, number)]
    ]
    ids = upsert_items(session.tx, project_id, items).ids if items else []
    wanted = {pid: family for pid, (_, row) in zip(ids, rows, strict=True) if (family := sheet.family(row))}
    _place_in_families(
        session, project_id, wanted, dict(zip(ids, (sheet.individual(r) for _, r in rows), strict=True))
    )
    return Imported(success=True)


def _place_in_families(
    session: Session, project_id: int, wanted: dict[int, str], names: dict[int, str]
) -> None:
    """Check that participants already in a family are in the one ``wanted`` names (by any of its external
    ids); put the others in it."""
    current = reads.families_of(session, list(wanted))
    current_names = external_ids_of(session, "family", sorted(set(current.values())))
    wrong = [
        f"{names[pid]} (in {shown!r}, the sheet says {family!r})"
        for pid, family in wanted.items()
        if pid in current
        and family not in (known := current_names[current[pid]]).values()
        and (shown := known.get(external_ids.PRIMARY, str(current[pid])))
    ]
    if wrong:
        raise BadRequest(f"Family IDs that differ from the participants' families: {'; '.join(wrong)}")
    placing = {pid: family for pid, family in wanted.items() if pid not in current}
    family_ids = external_ids.lookup(session.tx.conn, "family", project_id, placing.values())
    for family in dict.fromkeys(placing.values()):
        if family not in family_ids:
            family_ids[family] = families.create(session.tx, project_id, family)
    families.add_members(session.tx, project_id, {pid: family_ids[family] for pid, family in placing.items()})
