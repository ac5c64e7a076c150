"""What a seqr synchronisation sends, read from one project (``seqr.sync_dataset``): its pedigree, families,
individual metadata (phenotypes), the participant <-> sequencing group map, ES indexes and CRAMs, in the
shapes seqr's API takes, as Metamist builds them. What seqr's sheets and the REST routes answer too is
read as they read it (``reads.seqr``, ``reads.participants``), and only shaped here.

Sequencing groups count when not archived and of active samples; analyses when active and completed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.db import one_of
from genolog.metadata.service.reads import participants as participant_reads
from genolog.metadata.service.reads import seqr as seqr_reads
from genolog.metadata.service.reads.projects import external_ids_of, primary_external_id
from genolog.metadata.service.reads.rows import parse_json
from genolog.metadata.service.session import Session
from genolog.metadata.store.analyses import output_path

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


def participants(session: Session, project_id: int, sequencing_type: str) -> Participants:
    s, sg = t.sample, t.sequencing_group
    groups: dict[int, list[int]] = {}
    for participant_id, group_id in session.tx.conn.execute(
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
    return Participants(groups, seqr_reads.families_of(session, list(groups)))


def pedigree(session: Session, project_id: int, family_ids: list[int]) -> list[dict[str, Any]]:
    """Every member of the families (the project's pedigree rows of them), as seqr's individuals sync takes
    them (external ids)."""
    rows = participant_reads.pedigree(session, project_id, family_ids, True, True, False, None)
    return [
        {
            "familyId": r["family_id"],
            "individualId": r["individual_id"],
            "paternalId": r["paternal_id"],
            "maternalId": r["maternal_id"],
            "notes": r["notes"],
            "sex": SEX.get(r["sex"], "U") if r["sex"] else "",
            "affected": AFFECTED.get(r["affected"], "U"),
        }
        for r in rows
    ]


def families(session: Session, family_ids: list[int]) -> list[dict[str, Any]]:
    names = external_ids_of(session, "family", family_ids)
    return [
        {
            "familyId": primary_external_id(names, r["id"]),
            "displayName": primary_external_id(names, r["id"]),
            "description": r["description"],
            "codedPhenotype": r["coded_phenotype"],
        }
        for r in participant_reads.families_by_ids(session, family_ids)
    ]


def _consanguinity(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _TRUE:
        return True
    if isinstance(value, str) and value.lower() in _FALSE:
        return False
    return None


def individual_metadata(
    session: Session, project_id: int, participant_families: dict[int, int]
) -> list[dict[str, Any]]:
    """The phenotypes of the participants (participant -> family) that have some, as seqr's individual
    metadata sync takes them."""
    found = seqr_reads.phenotyped_participants(session, project_id, list(participant_families))
    names = external_ids_of(session, "participant", list(found))
    family_names = external_ids_of(session, "family", sorted({participant_families[i] for i in found}))
    records = []
    for participant_id, stored in found.items():
        phenotypes = {str(name).lower(): value for name, value in stored.items()}
        record: dict[str, Any] = {
            "family_id": primary_external_id(family_names, participant_families[participant_id]),
            "individual_id": primary_external_id(names, participant_id),
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
    """(participant external id of any organisation, sequencing group) for the groups of the type, not
    archived and of active samples, by group (a stable sort keeps each group's ids in organisation order)."""
    rows = seqr_reads.participant_sequencing_groups(session, project_id, sequencing_type, current_only=True)
    pairs = [(str(r["external_id"]), int(r["sequencing_group_id"])) for r in rows]
    return sorted(pairs, key=lambda pair: pair[1])


@dataclass
class Analysis:
    id: int
    output: str | None
    stage: Any
    groups: set[int]


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
        Analysis(r.id, output_path(r.output, r.outputs), (r.meta or {}).get("stage"), groups[r.id])
        for r in rows
    ]


def crams(
    session: Session, project_id: int, sequencing_type: str, participant_ids: list[int]
) -> list[dict[str, Any]]:
    """The completed CRAMs (analyses whose ``meta.sequencing_type`` is the type) of the participants'
    sequencing groups, newest first: participant primary external id, output, sequencing group."""
    return [
        {
            "participant_id": r["participant_id"],
            "output": output_path(r["output"], parse_json(r["outputs"])),
            "sequencing_group_id": r["sequencing_group_id"],
        }
        for r in seqr_reads.cram_paths(session, project_id, [sequencing_type], participant_ids)
    ]
