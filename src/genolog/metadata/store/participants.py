"""Participants: the people who gave samples, with reported sex, phenotypes and external ids."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.context import Tx
from genolog.metadata.errors import BadRequest, NotFound
from genolog.metadata.store import external_ids
from genolog.metadata.store.snapshots import phenotypes as phenotypes  # GraphQL's loader reads it here

FIELDS = ("reported_sex", "reported_gender", "karyotype")


def get_row(tx: Tx, participant_id: int) -> dict[str, Any]:
    row = (
        tx.conn.execute(sa.select(t.participant).where(t.participant.c.id == participant_id))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"Participant {participant_id} not found")
    return dict(row)


def ids_in_project(tx: Tx, project_id: int, ids: list[int]) -> list[int]:
    return list(
        tx.conn.execute(
            sa.select(t.participant.c.id).where(
                t.participant.c.project_id == project_id, t.participant.c.id.in_(ids)
            )
        ).scalars()
    )


def external_to_internal(tx: Tx, project_id: int, eids: list[str], allow_missing: bool) -> dict[str, int]:
    found = external_ids.lookup(tx.conn, "participant", project_id, eids)
    missing = [e for e in eids if e not in found]
    if missing and not allow_missing:
        raise NotFound(f"Participant external ids not found in this project: {', '.join(missing)}")
    return found


def update_primary_external_ids(tx: Tx, project_id: int, new_ids: dict[int, str]) -> None:
    """Set the primary external id of several participants (the update-many route)."""
    found = set(ids_in_project(tx, project_id, list(new_ids)))
    missing = [str(i) for i in new_ids if i not in found]
    if missing:
        raise NotFound(f"Participants not found: {', '.join(missing)}")
    for participant_id, eid in new_ids.items():
        if not isinstance(eid, str) or not eid.strip():
            raise BadRequest(
                f"The new external id of participant {participant_id} must be a non-empty string"
            )
        tx.touch("participant", [participant_id], project_id)
        external_ids.write(tx, "participant", project_id, participant_id, {"": eid}, creating=False)
