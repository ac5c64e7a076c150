"""Participants: the people who gave samples, with reported sex, phenotypes and external ids."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.context import Tx
from genolog.metadata.errors import BadRequest, NotFound
from genolog.metadata.store import external_ids

FIELDS = ("reported_sex", "reported_gender", "karyotype")


def phenotypes(tx: Tx, ids: list[int] | sa.Select[Any]) -> dict[int, dict[str, Any]]:
    """participant id -> {phenotype: value}; for a list every id gets an entry, for a subquery only those with some."""
    result: dict[int, dict[str, Any]] = {} if isinstance(ids, sa.Select) else {i: {} for i in ids}
    rows = tx.conn.execute(
        sa.select(t.participant_phenotype)
        .where(t.participant_phenotype.c.participant_id.in_(ids))
        .order_by(t.participant_phenotype.c.name)
    ).mappings()
    for r in rows:
        result.setdefault(r["participant_id"], {})[r["name"]] = r["value"]
    return result


def views(tx: Tx, ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = tx.conn.execute(
        sa.select(t.participant).where(t.participant.c.id.in_(ids)).order_by(t.participant.c.id)
    ).mappings()
    eids = external_ids.get_many(tx.conn, "participant", ids)
    phenos = phenotypes(tx, ids)
    return {r["id"]: view(r, eids[r["id"]], phenos[r["id"]]) for r in rows}


def view(row: Mapping[Any, Any], eids: dict[str, str], phenotypes: dict[str, Any]) -> dict[str, Any]:
    """A participant as the API shows it (and as its change history records it)."""
    return {
        "id": row["id"],
        "external_ids": eids,
        "reported_sex": row["reported_sex"],
        "reported_gender": row["reported_gender"],
        "karyotype": row["karyotype"],
        "meta": row["meta"],
        "project": row["project_id"],
        "phenotypes": phenotypes,
    }


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


def query(
    tx: Tx, project_id: int, external: list[str] | None = None, internal: list[int] | None = None
) -> list[dict[str, Any]]:
    statement = sa.select(t.participant.c.id).where(t.participant.c.project_id == project_id)
    if internal is not None:
        statement = statement.where(t.participant.c.id.in_(internal))
    if external is not None:
        matched = external_ids.lookup(tx.conn, "participant", project_id, external)
        statement = statement.where(t.participant.c.id.in_(list(matched.values())))
    ids = list(tx.conn.execute(statement.order_by(t.participant.c.id)).scalars())
    return list(views(tx, ids).values())


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
