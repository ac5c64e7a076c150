"""Participants: query, id map, history, upsert many (with nested samples), update one, set primary external
ids, participants for the samples without one, move one to another family, and a form's meta edit; each
function checks the caller's role on the participant's project."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from pydantic import BaseModel

from genolog.metadata.errors import BadRequest, NotFound
from genolog.metadata.ids import int_or_none
from genolog.metadata.models import ParticipantUpsert, QueryParticipantCriteria, SampleUpsert
from genolog.metadata.permissions import READ, WRITE
from genolog.metadata.service import families
from genolog.metadata.service.history import HistoryEntry, recorded_changes
from genolog.metadata.service.reads import participants as reads
from genolog.metadata.service.reads.projects import external_ids_of
from genolog.metadata.service.reads.rows import Rows, parse_json
from genolog.metadata.service.session import Session, in_project
from genolog.metadata.store import external_ids, participants, samples
from genolog.metadata.store.upserts import upsert_items

T = TypeVar("T")


class Participant(BaseModel):
    """A participant as the REST API answers it."""

    id: int
    external_ids: dict[str, str]
    reported_sex: int | None
    reported_gender: str | None
    karyotype: str | None
    meta: dict[str, Any]
    project: int
    phenotypes: dict[str, Any]


def models(session: Session, rows: Rows) -> list[Participant]:
    """The participants of these rows (``reads.participants``) as the REST API answers them."""
    ids = [r["id"] for r in rows]
    eids = external_ids_of(session, "participant", ids)
    phenotypes = reads.phenotypes(session, ids)
    return [
        Participant.model_construct(  # from stored rows: not re-validated
            id=r["id"],
            external_ids=eids[r["id"]],
            reported_sex=r["reported_sex"],
            reported_gender=r["reported_gender"],
            karyotype=r["karyotype"],
            meta=parse_json(r["meta"]),
            project=r["project_id"],
            phenotypes=phenotypes[r["id"]],
        )
        for r in rows
    ]


def query(session: Session, project: str, criteria: QueryParticipantCriteria) -> list[Participant]:
    project_id = session.project(project, READ)["id"]
    found = reads.participants_listed(
        session, project_id, criteria.internal_participant_ids, criteria.external_participant_ids
    )
    return models(session, found)


def id_map_by_external(
    session: Session, project: str, external: list[str], allow_missing: bool
) -> dict[str, int]:
    project_id = session.project(project, READ)["id"]
    return participants.external_to_internal(session.tx, project_id, external, allow_missing)


def _visible(session: Session, participant_id: int, needed: frozenset[str]) -> dict[str, Any]:
    """The participant's row if the caller holds ``needed`` on its project (else the same 404 as a
    participant that does not exist)."""
    row = participants.get_row(session.tx, participant_id)
    session.project_by_id(row["project_id"], needed, f"Participant {participant_id} not found")
    return row


def history_of(session: Session, participant_id: int) -> list[HistoryEntry]:
    _visible(session, participant_id, READ)
    return recorded_changes(session.tx, "participant", participant_id)


def upsert_many(session: Session, project: str, items: list[ParticipantUpsert]) -> list[dict[str, Any]]:
    """Insert participants without ids, update those with ids, with nested samples; the items echoed back
    with their ids. All or nothing."""
    project_id = session.project(project, WRITE)["id"]
    return upsert_items(session.tx, project_id, items, echo=True).results


def upsert_many_ids(session: Session, project: str, items: list[ParticipantUpsert]) -> list[int]:
    """``upsert_many``, answering only the participants' ids, in order (nothing echoed)."""
    project_id = session.project(project, WRITE)["id"]
    return upsert_items(session.tx, project_id, items).ids


def update(session: Session, participant_id: int, participant: ParticipantUpsert) -> dict[str, Any]:
    """Update one participant (and its nested samples); the update echoed back with its ids, as Metamist
    answers it (samples null when none were sent)."""
    if participant.id is not None and participant.id != participant_id:
        raise BadRequest(f"The body's id {participant.id} does not match the path's {participant_id}")
    row = _visible(session, participant_id, WRITE)
    change = participant.model_copy(update={"id": participant_id})
    echo = upsert_items(session.tx, row["project_id"], [change], echo=True).results[0]
    if participant.samples is None:
        echo["samples"] = None
    return echo


def update_primary_external_ids(session: Session, new_external_ids: dict[int, str]) -> None:
    """Set the primary external id of participants, ``{participant_id: new_external_id}``, in whichever
    projects the caller may write."""
    by_project: dict[int, dict[int, str]] = {}
    for participant_id, eid in new_external_ids.items():
        row = participants.get_row(session.tx, participant_id)
        by_project.setdefault(row["project_id"], {})[participant_id] = eid
    for project_id, changes in by_project.items():
        # the same 404 as for a participant id that does not exist at all
        session.project_by_id(project_id, WRITE, f"Participant {next(iter(changes))} not found")
        participants.update_primary_external_ids(session.tx, project_id, changes)


class FilledIn(BaseModel):
    """What ``fill_in_missing`` did, in Metamist's words."""

    success: str


def fill_in_missing(session: Session, project: str) -> FilledIn:
    """Give each active sample of the project without a participant one: the participant whose external id
    is the sample's primary external id, else a new participant with the sample's external ids. All or
    nothing."""
    project_id = session.project(project, WRITE)["id"]
    orphans = samples.without_participant(session.tx, project_id)
    names = external_ids.get_many(session.tx.conn, "sample", orphans)
    primary = {
        sid: names[sid][external_ids.PRIMARY] for sid in orphans if names[sid].get(external_ids.PRIMARY)
    }
    existing = external_ids.lookup(session.tx.conn, "participant", project_id, primary.values())
    fmt = session.codecs.sample.format
    items = [
        ParticipantUpsert(id=existing[eid], samples=[SampleUpsert(id=fmt(sid))])
        if eid in existing
        else ParticipantUpsert(external_ids=dict(names[sid]), samples=[SampleUpsert(id=fmt(sid))])
        for sid, eid in primary.items()
    ]
    if not items:
        return FilledIn(success="0 participants updated")
    upsert_items(session.tx, project_id, items)
    return FilledIn(success=f"Updated {len(items)} records")


def move_to_family(
    session: Session, participant_id: int, old_family_id: int, new_family_id: int
) -> tuple[int, int]:
    """Move a participant from one family of its project to another, keeping its parents and affected
    status; the new family's id and the participant's."""
    families.move_participant(session, participant_id, old_family_id, new_family_id)
    return new_family_id, participant_id


def change_meta(
    session: Session,
    project: str,
    participant_id: str,
    change: Callable[[dict[str, Any]], tuple[dict[str, Any], T]],
) -> T:
    """A form's edit of the meta of participant ``participant_id`` (its id as typed) of ``project``:
    ``change`` gets the current meta once the caller's right to write is checked, and returns the merge
    patch to store and what the form reports; that report is the answer."""
    not_found = f"Participant {participant_id} not found in project {project!r}"
    number = int_or_none(participant_id)
    if number is None:
        raise NotFound(not_found)
    project_id = session.project(project, WRITE)["id"]
    row = in_project(project_id, partial(participants.get_row, session.tx, number), not_found)
    patch, report = change(row["meta"])
    upsert_items(session.tx, project_id, [ParticipantUpsert(id=row["id"], meta=patch)])
    return report
