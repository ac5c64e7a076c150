"""What the change record keeps of each entity: its snapshot, an explicit, versioned serialisation.

``Tx.touch`` stores each touched entity's snapshot before and after a request's change (``change.old`` and
``change.new``), and the history pages and ``/history`` answers read them back. A snapshot is defined here,
entity by entity, and nowhere else: what an API answers may change, what history records may not.

The rule: snapshots written under ``SNAPSHOT_VERSION`` keep that shape forever. A change of shape (a field
added, renamed, removed or formatted differently) is a new version: bump ``SNAPSHOT_VERSION``, record the
version with each new change row (rows written so far carry none: they are version 1), and make
``read`` turn every older version's snapshot into the newest shape, so old rows keep reading as before.

Version 1 is the shape the change record has always held, which was also the REST API's answers until those
were built from the batched reads (``service.reads``) by the service layer's models.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.db import one_of
from genolog.metadata.store import external_ids, projects

if TYPE_CHECKING:  # a runtime import would close a cycle: Tx records changes through snapshots
    from genolog.metadata.context import IdCodecs, Tx

SNAPSHOT_VERSION = 1

Snapshots = dict[int, dict[str, Any]]  # entity id -> its snapshot


def snapshot(tx: Tx, entity: str, ids: list[int]) -> Snapshots:
    """The current snapshots of ``entity``'s rows ``ids`` (those that exist), in ``SNAPSHOT_VERSION``."""
    return SNAPSHOTS[entity](tx, ids)


# --- version 1, entity by entity --------------------------------------------------------------------------


def project_snapshots(tx: Tx, ids: list[int]) -> Snapshots:
    rows = tx.conn.execute(sa.select(t.project).where(t.project.c.id.in_(ids))).mappings()
    members = projects.members(tx.conn, ids)
    return {
        r["id"]: {
            "id": r["id"],
            "name": r["name"],
            "dataset": r["dataset"],
            "meta": r["meta"],
            "members": members[r["id"]],
        }
        for r in rows
    }


def participant_snapshots(tx: Tx, ids: list[int]) -> Snapshots:
    rows = tx.conn.execute(
        sa.select(t.participant).where(t.participant.c.id.in_(ids)).order_by(t.participant.c.id)
    ).mappings()
    eids = external_ids.get_many(tx.conn, "participant", ids)
    phenos = phenotypes(tx, ids)
    return {r["id"]: _participant(r, eids[r["id"]], phenos[r["id"]]) for r in rows}


def _participant(row: Mapping[Any, Any], eids: dict[str, str], phenotypes: dict[str, Any]) -> dict[str, Any]:
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


def family_snapshots(tx: Tx, ids: list[int]) -> Snapshots:
    rows = tx.conn.execute(
        sa.select(t.family).where(t.family.c.id.in_(ids)).order_by(t.family.c.id)
    ).mappings()
    eids = external_ids.get_many(tx.conn, "family", ids)
    members: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    fp = t.family_participant
    for r in tx.conn.execute(
        sa.select(fp).where(fp.c.family_id.in_(ids)).order_by(fp.c.participant_id)
    ).mappings():
        members[r["family_id"]].append(
            {
                "participant_id": r["participant_id"],
                "paternal_participant_id": r["paternal_participant_id"],
                "maternal_participant_id": r["maternal_participant_id"],
                "affected": r["affected"],
                "notes": r["notes"],
            }
        )
    return {
        r["id"]: {
            "id": r["id"],
            "external_ids": eids[r["id"]],
            "project": r["project_id"],
            "description": r["description"],
            "coded_phenotype": r["coded_phenotype"],
            "meta": r["meta"],
            "participants": members[r["id"]],
        }
        for r in rows
    }


def sample_snapshots(tx: Tx, ids: list[int]) -> Snapshots:
    rows = tx.conn.execute(
        sa.select(t.sample).where(t.sample.c.id.in_(ids)).order_by(t.sample.c.id)
    ).mappings()
    eids = external_ids.get_many(tx.conn, "sample", ids)
    return {r["id"]: _sample(tx.codecs, r, eids[r["id"]]) for r in rows}


def _sample(codecs: IdCodecs, row: Mapping[Any, Any], eids: dict[str, str]) -> dict[str, Any]:
    fmt = codecs.sample.format
    return {
        "id": fmt(row["id"]),
        "external_ids": eids,
        "participant_id": row["participant_id"],
        "active": row["active"],
        "meta": row["meta"],
        "type": row["type"],
        "project": row["project_id"],
        "sample_parent_id": fmt(row["parent_id"]) if row["parent_id"] else None,
        "sample_root_id": fmt(row["root_id"]) if row["root_id"] else None,
    }


def assay_snapshots(tx: Tx, ids: list[int]) -> Snapshots:
    rows = tx.conn.execute(sa.select(t.assay).where(t.assay.c.id.in_(ids)).order_by(t.assay.c.id)).mappings()
    eids = external_ids.get_many(tx.conn, "assay", ids)
    return {r["id"]: _assay(tx.codecs, r, eids[r["id"]]) for r in rows}


def _assay(codecs: IdCodecs, row: Mapping[Any, Any], eids: dict[str, str]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "external_ids": eids,
        "sample_id": codecs.sample.format(row["sample_id"]),
        "meta": row["meta"],
        "type": row["type"],
    }


def sequencing_group_snapshots(tx: Tx, ids: list[int]) -> Snapshots:
    """With the ids of the group's assays under ``assays``."""
    rows = list(
        tx.conn.execute(
            sa.select(t.sequencing_group)
            .where(t.sequencing_group.c.id.in_(ids))
            .order_by(t.sequencing_group.c.id)
        ).mappings()
    )
    eids = external_ids.get_many(tx.conn, "sequencing_group", ids)
    links = assay_ids(tx, ids)
    return {r["id"]: _sequencing_group(tx.codecs, r, eids[r["id"]], links[r["id"]]) for r in rows}


def _sequencing_group(
    codecs: IdCodecs, row: Mapping[Any, Any], eids: dict[str, str], assays: list[int]
) -> dict[str, Any]:
    return {
        "id": codecs.sequencing_group.format(row["id"]),
        "type": row["type"],
        "technology": row["technology"],
        "platform": row["platform"],
        "meta": row["meta"],
        "sample_id": codecs.sample.format(row["sample_id"]),
        "external_ids": eids,
        "archived": row["archived"],
        "assays": assays,
    }


def analysis_snapshots(tx: Tx, ids: list[int]) -> Snapshots:
    rows = list(
        tx.conn.execute(
            sa.select(t.analysis).where(t.analysis.c.id.in_(ids)).order_by(t.analysis.c.id)
        ).mappings()
    )
    sgs, cohorts = analysis_links(tx, ids)
    fmt_sg, fmt_cohort = tx.codecs.sequencing_group.format, tx.codecs.cohort.format
    return {
        r["id"]: {
            "id": r["id"],
            "type": r["type"],
            "status": r["status"],
            "output": r["output"],
            "outputs": r["outputs"],
            "sequencing_group_ids": [fmt_sg(s) for s in sgs[r["id"]]],
            "cohort_ids": [fmt_cohort(c) for c in cohorts[r["id"]]],
            "author": r["on_behalf_of"],
            "timestamp_completed": _iso(r["timestamp_completed"]),
            "project": r["project_id"],
            "active": r["active"],
            "meta": r["meta"],
        }
        for r in rows
    }


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
        return value.isoformat() + "+00:00"
    return value.isoformat()


def cohort_snapshots(tx: Tx, ids: list[int]) -> Snapshots:
    rows = tx.conn.execute(sa.select(t.cohort).where(t.cohort.c.id.in_(ids))).mappings()
    sgs = cohort_sequencing_group_ids(tx, ids)
    fmt_sg, fmt_template = tx.codecs.sequencing_group.format, tx.codecs.cohort_template.format
    return {
        r["id"]: {
            "id": tx.codecs.cohort.format(r["id"]),
            "name": r["name"],
            "description": r["description"],
            "author": r["author"],
            "status": r["status"],
            "template_id": None if r["template_id"] is None else fmt_template(r["template_id"]),
            "project": r["project_id"],
            "sequencing_group_ids": [fmt_sg(s) for s in sgs[r["id"]]],
        }
        for r in rows
    }


def cohort_template_snapshots(tx: Tx, ids: list[int]) -> Snapshots:
    rows = tx.conn.execute(sa.select(t.cohort_template).where(t.cohort_template.c.id.in_(ids))).mappings()
    return {
        r["id"]: {
            "id": tx.codecs.cohort_template.format(r["id"]),
            "name": r["name"],
            "description": r["description"],
            "criteria": r["criteria"],
            "project": r["project_id"],
        }
        for r in rows
    }


SNAPSHOTS: dict[str, Callable[[Tx, list[int]], Snapshots]] = {
    "project": project_snapshots,
    "participant": participant_snapshots,
    "family": family_snapshots,
    "sample": sample_snapshots,
    "assay": assay_snapshots,
    "sequencing_group": sequencing_group_snapshots,
    "analysis": analysis_snapshots,
    "cohort": cohort_snapshots,
    "cohort_template": cohort_template_snapshots,
}


# --- the relations the snapshots hold, read for the store's other readers too -----------------------------


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


def assay_ids(tx: Tx, sg_ids: list[int]) -> dict[int, list[int]]:
    """sequencing group id -> the ids of its assays, in order."""
    result: dict[int, list[int]] = {i: [] for i in sg_ids}
    rows = tx.conn.execute(
        sa.select(t.sequencing_group_assay.c.sequencing_group_id, t.sequencing_group_assay.c.assay_id)
        .where(one_of(tx.conn, t.sequencing_group_assay.c.sequencing_group_id, sg_ids))
        .order_by(t.sequencing_group_assay.c.assay_id)
    )
    for sg_id, assay_id in rows:
        result[sg_id].append(assay_id)
    return result


def analysis_links(tx: Tx, ids: list[int]) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """analysis id -> its sequencing group ids, and analysis id -> its cohort ids, in order."""
    sgs: dict[int, list[int]] = {i: [] for i in ids}
    cohorts: dict[int, list[int]] = {i: [] for i in ids}
    asg, ac = t.analysis_sequencing_group, t.analysis_cohort
    for a, s in tx.conn.execute(
        sa.select(asg.c.analysis_id, asg.c.sequencing_group_id)
        .where(asg.c.analysis_id.in_(ids))
        .order_by(asg.c.sequencing_group_id)
    ):
        sgs[a].append(s)
    for a, c in tx.conn.execute(
        sa.select(ac.c.analysis_id, ac.c.cohort_id).where(ac.c.analysis_id.in_(ids)).order_by(ac.c.cohort_id)
    ):
        cohorts[a].append(c)
    return sgs, cohorts


def cohort_sequencing_group_ids(tx: Tx, cohort_ids: list[int]) -> dict[int, list[int]]:
    """cohort id -> its sequencing group ids, in order."""
    link = t.cohort_sequencing_group
    result: dict[int, list[int]] = {i: [] for i in cohort_ids}
    for cohort_id, sg_id in tx.conn.execute(
        sa.select(link.c.cohort_id, link.c.sequencing_group_id)
        .where(link.c.cohort_id.in_(cohort_ids))
        .order_by(link.c.sequencing_group_id)
    ):
        result[cohort_id].append(sg_id)
    return result
