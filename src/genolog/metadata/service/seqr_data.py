"""What a seqr synchronisation sends, read from one project (``seqr.sync_dataset``): its pedigree, families,
individual metadata (phenotypes), the participant <-> sequencing group map, ES indexes and CRAMs, in the
shapes seqr's API takes, as Metamist builds them.

Sequencing groups count when not archived and of active samples; analyses when active and completed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.db import one_of
from genolog.metadata.service.session import Session
from genolog.metadata.store import external_ids

SEX = {1: "M", 2: "F"}
AFFECTED = {-9: "U", 0: "U", 1: "N", 2: "A"}

# Metamist's individual-metadata template columns (phenotype names) -> seqr's fields; values of the first
# two are comma-separated HPO terms, sent as lists
HPO_FIELDS = {"hpo terms (present)": "features", "hpo terms (absent)": "absent_features"}
PHENOTYPE_FIELDS = {
    **HPO_FIELDS,
    "birth year": "birth_year",
    "death year": "death_year",
    "age of onset": "onset_age",
    "individual notes": "notes",
    "maternal ancestry": "maternal_ethnicity",
    "paternal ancestry": "paternal_ethnicity",
    "consanguinity": "consanguinity",
}
_TRUE, _FALSE = ("t", "true", "yes", "y", "1"), ("f", "false", "no", "n", "0")


@dataclass
class Participants:
    """The project's participants with groups of the sequencing type, and their families."""

    groups: dict[int, list[int]]  # participant -> its sequencing groups of the type
    families: dict[int, int]  # participant (of those with groups) -> family, for those in one


def _primary(ids: dict[str, str], fallback: object) -> str:
    return ids.get("") or next(iter(ids.values()), None) or str(fallback)


def participants(session: Session, project_id: int, sequencing_type: str) -> Participants:
    s, sg, fp = t.sample, t.sequencing_group, t.family_participant
    conn = session.tx.conn
    groups: dict[int, list[int]] = {}
    for participant_id, group_id in conn.execute(
        sa.select(s.c.participant_id, sg.c.id)
        .join(s, s.c.id == sg.c.sample_id)
        .where(
            s.c.project_id == project_id,
            s.c.participant_id.is_not(None),
            s.c.active.is_(True),
            sg.c.type == sequencing_type,
            sg.c.archived.is_(False),
        )
        .order_by(sg.c.id)
    ):
        groups.setdefault(participant_id, []).append(group_id)
    families = dict(
        conn.execute(
            sa.select(fp.c.participant_id, fp.c.family_id).where(
                one_of(conn, fp.c.participant_id, list(groups))
            )
        ).all()
    )
    return Participants(groups, families)


def pedigree(session: Session, family_ids: list[int]) -> list[dict[str, Any]]:
    """Every member of the families, as seqr's individuals sync takes them (external ids)."""
    fp, p = t.family_participant, t.participant
    conn = session.tx.conn
    rows = conn.execute(
        sa.select(fp, p.c.reported_sex)
        .join(p, p.c.id == fp.c.participant_id)
        .where(one_of(conn, fp.c.family_id, family_ids))
        .order_by(fp.c.family_id, fp.c.participant_id)
    ).all()
    people = {r.participant_id for r in rows} | {
        i for r in rows for i in (r.paternal_participant_id, r.maternal_participant_id) if i is not None
    }
    names = {i: _primary(ids, i) for i, ids in external_ids.get_many(conn, "participant", people).items()}
    family_names = {
        i: _primary(ids, i) for i, ids in external_ids.get_many(conn, "family", family_ids).items()
    }
    return [
        {
            "familyId": family_names.get(r.family_id, str(r.family_id)),
            "individualId": names.get(r.participant_id),
            "paternalId": names.get(r.paternal_participant_id) if r.paternal_participant_id else None,
            "maternalId": names.get(r.maternal_participant_id) if r.maternal_participant_id else None,
            "notes": r.notes,
            "sex": SEX.get(r.reported_sex, "U") if r.reported_sex else "",
            "affected": AFFECTED.get(r.affected, "U") if r.affected is not None else "U",
        }
        for r in rows
    ]


def families(session: Session, family_ids: list[int]) -> list[dict[str, Any]]:
    f, conn = t.family, session.tx.conn
    names = {i: _primary(ids, i) for i, ids in external_ids.get_many(conn, "family", family_ids).items()}
    return [
        {
            "familyId": names.get(r.id),
            "displayName": names.get(r.id),
            "description": r.description,
            "codedPhenotype": r.coded_phenotype,
        }
        for r in conn.execute(sa.select(f).where(one_of(conn, f.c.id, family_ids)).order_by(f.c.id))
    ]


def _consanguinity(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _TRUE:
        return True
    if isinstance(value, str) and value.lower() in _FALSE:
        return False
    return None


def individual_metadata(session: Session, participant_families: dict[int, int]) -> list[dict[str, Any]]:
    """The phenotypes of the participants (participant -> family) that have some, as seqr's individual
    metadata sync takes them."""
    pp, conn = t.participant_phenotype, session.tx.conn
    found: dict[int, dict[str, Any]] = {}
    for participant_id, name, value in conn.execute(
        sa.select(pp.c.participant_id, pp.c.name, pp.c.value)
        .where(one_of(conn, pp.c.participant_id, list(participant_families)))
        .order_by(pp.c.participant_id, pp.c.name)
    ):
        if value is not None:
            found.setdefault(participant_id, {})[str(name).lower()] = value
    names = {i: _primary(ids, i) for i, ids in external_ids.get_many(conn, "participant", found).items()}
    family_ids = {participant_families[i] for i in found}
    family_names = {
        i: _primary(ids, i) for i, ids in external_ids.get_many(conn, "family", family_ids).items()
    }
    records = []
    for participant_id, phenotypes in found.items():
        record: dict[str, Any] = {
            "family_id": family_names.get(participant_families[participant_id]),
            "individual_id": names.get(participant_id),
        }
        for column, field in PHENOTYPE_FIELDS.items():
            value = phenotypes.get(column)
            if not value:
                continue
            if column in HPO_FIELDS:
                value = [term.strip() for term in str(value).split(",")]
            elif column == "consanguinity":
                value = _consanguinity(value)
            record[field] = value
        records.append(record)
    return records


def participant_group_map(session: Session, project_id: int, sequencing_type: str) -> list[tuple[str, int]]:
    """(participant external id of any organisation, sequencing group) for the groups of the type."""
    peid, s, sg = t.participant_external_id, t.sample, t.sequencing_group
    return [
        (str(eid), int(group))
        for eid, group in session.tx.conn.execute(
            sa.select(peid.c.external_id, sg.c.id)
            .join(s, s.c.participant_id == peid.c.participant_id)
            .join(sg, sg.c.sample_id == s.c.id)
            .where(
                peid.c.project_id == project_id,
                s.c.active.is_(True),
                sg.c.type == sequencing_type,
                sg.c.archived.is_(False),
            )
            .order_by(sg.c.id, peid.c.name)
        )
    ]


@dataclass
class Analysis:
    id: int
    output: str | None
    stage: Any
    groups: set[int]


def _output(output: str | None, outputs: Any) -> str | None:
    if output:
        return output
    if isinstance(outputs, dict) and isinstance(outputs.get("path"), str):
        return str(outputs["path"])
    return None


def es_indexes(session: Session, project_id: int, sequencing_type: str) -> list[Analysis]:
    """The project's completed ES indexes of the sequencing type, oldest completion first."""
    a, asg, conn = t.analysis, t.analysis_sequencing_group, session.tx.conn
    rows = conn.execute(
        sa.select(a.c.id, a.c.output, a.c.outputs, a.c.meta)
        .where(
            a.c.project_id == project_id,
            a.c.type == "es-index",
            a.c.status == "completed",
            a.c.active.is_(True),
            a.c.meta["sequencing_type"].as_string() == sequencing_type,
        )
        .order_by(a.c.timestamp_completed.is_(None), a.c.timestamp_completed, a.c.id)
    ).all()
    groups: dict[int, set[int]] = {r.id: set() for r in rows}
    if rows:
        for analysis_id, group_id in conn.execute(
            sa.select(asg.c.analysis_id, asg.c.sequencing_group_id).where(
                one_of(conn, asg.c.analysis_id, list(groups))
            )
        ):
            groups[analysis_id].add(group_id)
    return [
        Analysis(r.id, _output(r.output, r.outputs), (r.meta or {}).get("stage"), groups[r.id]) for r in rows
    ]


def crams(
    session: Session, project_id: int, sequencing_type: str, participant_ids: list[int]
) -> list[dict[str, Any]]:
    """The completed CRAMs (analyses whose ``meta.sequencing_type`` is the type) of the participants'
    sequencing groups, newest first: participant primary external id, output, sequencing group."""
    a, asg, sg, s, peid = (
        t.analysis,
        t.analysis_sequencing_group,
        t.sequencing_group,
        t.sample,
        t.participant_external_id,
    )
    conn = session.tx.conn
    return [
        {
            "participant_id": r.external_id,
            "output": _output(r.output, r.outputs),
            "sequencing_group_id": r.group,
        }
        for r in conn.execute(
            sa.select(peid.c.external_id, a.c.output, a.c.outputs, sg.c.id.label("group"))
            .select_from(a)
            .join(asg, asg.c.analysis_id == a.c.id)
            .join(sg, sg.c.id == asg.c.sequencing_group_id)
            .join(s, s.c.id == sg.c.sample_id)
            .join(peid, peid.c.participant_id == s.c.participant_id)
            .where(
                a.c.project_id == project_id,
                a.c.active.is_(True),
                a.c.type == "cram",
                a.c.status == "completed",
                a.c.meta["sequencing_type"].as_string() == sequencing_type,
                peid.c.project_id == project_id,
                peid.c.name == "",
                one_of(conn, peid.c.participant_id, participant_ids),
            )
            .order_by(a.c.timestamp_completed.desc(), a.c.id.desc())
        )
    ]
