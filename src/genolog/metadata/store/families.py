"""Families and their pedigree rows (a participant is in at most one family)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.context import Tx
from genolog.metadata.db import one_of
from genolog.metadata.errors import BadRequest, NotFound
from genolog.metadata.meta import merge_patch
from genolog.metadata.models import FamilyUpdate
from genolog.metadata.pedigree import PedigreeRow, check_and_order
from genolog.metadata.store import external_ids


def update(tx: Tx, project_id: int, row: Mapping[str, Any], change: FamilyUpdate) -> None:
    """Apply ``change`` to the family whose current ``row`` it is (its meta merges)."""
    values: dict[str, Any] = {"meta": merge_patch(row["meta"], change.meta or {})}
    for field in ("description", "coded_phenotype"):
        if field in change.model_fields_set:
            values[field] = getattr(change, field)
    tx.touch("family", [change.id], project_id)
    tx.conn.execute(
        t.family.update().where(t.family.c.id == change.id).values(audit_log_id=tx.audit_log_id, **values)
    )
    external_ids.write(tx, "family", project_id, change.id, change.external_ids, creating=False)


def get_row(tx: Tx, family_id: int) -> dict[str, Any]:
    row = tx.conn.execute(sa.select(t.family).where(t.family.c.id == family_id)).mappings().first()
    if row is None:
        raise NotFound(f"Family {family_id} not found")
    return dict(row)


def project_of(tx: Tx, family_id: int) -> int:
    project_id = tx.conn.execute(sa.select(t.family.c.project_id).where(t.family.c.id == family_id)).scalar()
    if project_id is None:
        raise NotFound(f"Family {family_id} not found")
    return int(project_id)


def import_pedigree(
    tx: Tx,
    project_id: int,
    rows: list[PedigreeRow],
    create_missing_participants: bool,
    perform_sex_check: bool,
) -> dict[str, int]:
    """Create or update families and pedigree rows; returns counts of what was created."""
    ordered = check_and_order(rows, perform_sex_check)
    individuals = [r.individual for r in ordered]
    participant_ids = external_ids.lookup(tx.conn, "participant", project_id, individuals)
    missing = [i for i in individuals if i not in participant_ids]
    if missing and not create_missing_participants:
        raise BadRequest(
            f"Participants not found in this project: {', '.join(missing)}; "
            "set create_missing_participants=true to create them"
        )
    created_participants = 0
    for row in ordered:
        if row.individual in participant_ids:
            continue
        new_id = tx.conn.execute(
            t.participant.insert()
            .values(
                project_id=project_id,
                reported_sex=row.sex,
                meta={},
                audit_log_id=tx.audit_log_id,
                created_audit_log_id=tx.audit_log_id,
            )
            .returning(t.participant.c.id)
        ).scalar_one()
        external_ids.write(tx, "participant", project_id, new_id, {"": row.individual}, creating=True)
        tx.created("participant", [new_id], project_id)
        participant_ids[row.individual] = new_id
        created_participants += 1

    family_names = list(dict.fromkeys(r.family for r in ordered))
    family_ids = external_ids.lookup(tx.conn, "family", project_id, family_names)
    created_families = 0
    for name in family_names:
        if name in family_ids:
            continue
        new_id = tx.conn.execute(
            t.family.insert()
            .values(project_id=project_id, meta={}, audit_log_id=tx.audit_log_id)
            .returning(t.family.c.id)
        ).scalar_one()
        external_ids.write(tx, "family", project_id, new_id, {"": name}, creating=True)
        tx.created("family", [new_id], project_id)
        family_ids[name] = new_id
        created_families += 1

    ids = [participant_ids[r.individual] for r in ordered]
    fp = t.family_participant
    previous = dict(
        tx.conn.execute(
            sa.select(fp.c.participant_id, fp.c.family_id).where(fp.c.participant_id.in_(ids))
        ).all()
    )
    tx.touch("family", sorted({*previous.values(), *family_ids.values()}), project_id)
    tx.touch("participant", ids, project_id)
    tx.conn.execute(fp.delete().where(fp.c.participant_id.in_(ids)))
    tx.conn.execute(
        fp.insert(),
        [
            {
                "participant_id": participant_ids[r.individual],
                "family_id": family_ids[r.family],
                "paternal_participant_id": participant_ids[r.paternal] if r.paternal else None,
                "maternal_participant_id": participant_ids[r.maternal] if r.maternal else None,
                "affected": r.affected,
                "notes": r.notes,
                "audit_log_id": tx.audit_log_id,
            }
            for r in ordered
        ],
    )
    for r in ordered:
        if r.sex:
            tx.conn.execute(
                t.participant.update()
                .where(t.participant.c.id == participant_ids[r.individual])
                .values(reported_sex=r.sex, audit_log_id=tx.audit_log_id)
            )
    return {
        "families_created": created_families,
        "participants_created": created_participants,
        "rows": len(ordered),
    }


def pedigree(
    tx: Tx,
    project_id: int,
    family_ids: list[int] | None,
    replace_with_participant_external_ids: bool = True,
    replace_with_family_external_ids: bool = True,
    include_participants_not_in_families: bool = False,
    empty_participant_value: str | None = None,
) -> list[dict[str, Any]]:
    """The project's pedigree rows (parents first within each family)."""
    fp = t.family_participant
    statement = (
        sa.select(fp, t.participant.c.reported_sex)
        .join(t.participant, t.participant.c.id == fp.c.participant_id)
        .where(t.participant.c.project_id == project_id)
        .order_by(fp.c.family_id, fp.c.participant_id)
    )
    if family_ids:
        statement = statement.where(one_of(tx.conn, fp.c.family_id, family_ids))
    rows = [dict(r) for r in tx.conn.execute(statement).mappings()]
    participant_ids = [r["participant_id"] for r in rows]
    if include_participants_not_in_families and not family_ids:
        loose = tx.conn.execute(
            sa.select(t.participant.c.id, t.participant.c.reported_sex)
            .where(t.participant.c.project_id == project_id, t.participant.c.id.not_in(participant_ids))
            .order_by(t.participant.c.id)
        )
        rows += [
            {
                "family_id": None,
                "participant_id": i,
                "paternal_participant_id": None,
                "maternal_participant_id": None,
                "affected": 0,
                "notes": None,
                "reported_sex": sex,
            }
            for i, sex in loose
        ]
    all_ids = {
        r[k]
        for r in rows
        for k in ("participant_id", "paternal_participant_id", "maternal_participant_id")
        if r[k]
    }
    p_names = {
        i: e.get("", str(i)) for i, e in external_ids.get_many(tx.conn, "participant", all_ids).items()
    }
    f_ids = {r["family_id"] for r in rows if r["family_id"]}
    f_names = {i: e.get("", str(i)) for i, e in external_ids.get_many(tx.conn, "family", f_ids).items()}

    def person(i: int | None) -> Any:
        if i is None:
            return empty_participant_value
        return p_names.get(i, str(i)) if replace_with_participant_external_ids else i

    def fam(i: int | None) -> Any:
        if i is None:
            return None
        return f_names.get(i, str(i)) if replace_with_family_external_ids else i

    return [
        {
            "family_id": fam(r["family_id"]),
            "individual_id": person(r["participant_id"]),
            "paternal_id": person(r["paternal_participant_id"]),
            "maternal_id": person(r["maternal_participant_id"]),
            "sex": r["reported_sex"] or 0,
            "affected": r["affected"] if r["affected"] is not None else 0,
            "notes": r["notes"],
        }
        for r in rows
    ]


def move_participant(
    tx: Tx, project_id: int, participant_id: int, old_family_id: int, new_family_id: int
) -> None:
    """Move a participant's pedigree row from one family of its project to another (parents and
    affected status stay as they were); both families are known to be of ``project_id``."""
    fp = t.family_participant
    current = tx.conn.execute(sa.select(fp.c.family_id).where(fp.c.participant_id == participant_id)).scalar()
    if current != old_family_id:
        raise BadRequest(f"Participant {participant_id} is not in family {old_family_id}")
    tx.touch("family", [old_family_id, new_family_id], project_id)
    tx.conn.execute(
        fp.update()
        .where(fp.c.participant_id == participant_id)
        .values(family_id=new_family_id, audit_log_id=tx.audit_log_id)
    )


def create(
    tx: Tx,
    project_id: int,
    external_id: str,
    description: str | None = None,
    coded_phenotype: str | None = None,
    meta: dict[str, Any] | None = None,
) -> int:
    """A new family of the project, named ``external_id`` by the primary organisation; its id."""
    family_id = tx.conn.execute(
        t.family.insert()
        .values(
            project_id=project_id,
            description=description,
            coded_phenotype=coded_phenotype,
            meta=merge_patch({}, meta or {}),
            audit_log_id=tx.audit_log_id,
        )
        .returning(t.family.c.id)
    ).scalar_one()
    external_ids.write(
        tx, "family", project_id, family_id, {external_ids.PRIMARY: external_id}, creating=True
    )
    tx.created("family", [family_id], project_id)
    return int(family_id)


def add_members(tx: Tx, project_id: int, members: dict[int, int]) -> None:
    """Put participants in no family into families of the project, ``{participant_id: family_id}``, without
    parents and with an unknown affected status (0)."""
    if not members:
        return
    tx.touch("family", sorted(set(members.values())), project_id)
    tx.conn.execute(
        t.family_participant.insert(),
        [
            {"participant_id": pid, "family_id": fid, "affected": 0, "audit_log_id": tx.audit_log_id}
            for pid, fid in members.items()
        ],
    )
