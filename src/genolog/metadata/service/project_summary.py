"""Metamist's project summary (``POST /web/{project}/summary``): a project's totals, its sequencing groups
and completed CRAMs and ES indexes by sequencing type, its groups per assay batch, and its seqr links.

Eight grouped statements whatever the project's size. Sequencing groups count when not archived; a
sequencing type counts CRAMs and ES indexes by the type of the groups they were made from.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel

from genolog.metadata import tables as t
from genolog.metadata.permissions import READ
from genolog.metadata.service.session import Session
from genolog.metadata.store import enums

NO_BATCH = "<no-batch>"
SEQR_LINK_TYPES = ("genome", "exome")  # the sequencing types Metamist links to a seqr project page


class WebProject(BaseModel):
    id: int
    name: str
    dataset: str
    meta: dict[str, Any]


class ProjectSummary(BaseModel):
    project: WebProject
    total_samples: int
    total_participants: int
    total_sequencing_groups: int
    total_assays: int
    cram_seqr_stats: dict[str, dict[str, str]]
    batch_sequencing_group_stats: dict[str, dict[str, str]]
    seqr_links: dict[str, str]
    seqr_sync_types: list[str]


def seqr_meta_key(sequencing_type: str) -> str:
    """Where a project's meta keeps the GUID of its seqr project for a sequencing type."""
    return f"seqr-project-{sequencing_type}"


def seqr_project_link(seqr_url: str, guid: str) -> str:
    return f"{seqr_url.rstrip('/')}/project/{guid}/project_page"


def _analysis_groups_by_type(project_id: int, analysis_type: str, of_samples: bool) -> sa.Select[Any]:
    """The (not archived) sequencing groups with a completed analysis of the type, counted by sequencing
    type; of the analyses of the project, or (``of_samples``) of the groups whose samples are in the
    project. Each group counts once (Metamist counts it once per analysis)."""
    a, asg, sg, s = t.analysis, t.analysis_sequencing_group, t.sequencing_group, t.sample
    statement = (
        sa.select(sg.c.type, sa.func.count(sa.distinct(sg.c.id)))
        .select_from(a)
        .join(asg, asg.c.analysis_id == a.c.id)
        .join(sg, sg.c.id == asg.c.sequencing_group_id)
        .where(a.c.status == "completed", a.c.type == analysis_type, sg.c.archived.is_(False))
        .group_by(sg.c.type)
    )
    if of_samples:
        return statement.join(s, s.c.id == sg.c.sample_id).where(s.c.project_id == project_id)
    return statement.where(a.c.project_id == project_id)


def _batch(value: Any) -> str | None:
    """An assay's ``meta.batch`` as the database gives it as text, or None."""
    return None if value is None or value == "" else str(value)


def summary(session: Session, project: str, seqr_url: str | None) -> ProjectSummary:
    """The summary of a project the caller may read; seqr links only when a seqr server is set."""
    row = session.project(project, READ)
    project_id, conn = int(row["id"]), session.tx.conn
    p, s, sg, a, sga = t.participant, t.sample, t.sequencing_group, t.assay, t.sequencing_group_assay
    count = sa.func.count()
    total_samples = conn.execute(
        sa.select(count).where(s.c.project_id == project_id, s.c.active.is_(True))
    ).scalar_one()
    total_participants = conn.execute(sa.select(count).where(p.c.project_id == project_id)).scalar_one()
    groups_by_type: dict[str, int] = dict(
        conn.execute(
            sa.select(sg.c.type, count)
            .join(s, s.c.id == sg.c.sample_id)
            .where(s.c.project_id == project_id, sg.c.archived.is_(False))
            .group_by(sg.c.type)
        ).all()
    )
    total_assays = conn.execute(
        sa.select(count).select_from(a).join(s, s.c.id == a.c.sample_id).where(s.c.project_id == project_id)
    ).scalar_one()
    crams: dict[str, int] = {}
    for kind, n in conn.execute(_analysis_groups_by_type(project_id, "cram", of_samples=False)):
        crams[str(kind).lower()] = crams.get(str(kind).lower(), 0) + int(n)
    in_seqr = {
        str(k): int(n) for k, n in conn.execute(_analysis_groups_by_type(project_id, "es-index", True))
    }
    # the groups of each (assay batch, assay sequencing type), from the assays' meta
    batches: dict[str | None, dict[str | None, int]] = {}
    batch, kind = a.c.meta["batch"].as_string(), a.c.meta["sequencing_type"].as_string()
    for batch_value, kind_value, n in conn.execute(
        sa.select(batch, kind, sa.func.count(sa.distinct(sg.c.id)))
        .select_from(a)
        .join(sga, sga.c.assay_id == a.c.id)
        .join(sg, sg.c.id == sga.c.sequencing_group_id)
        .join(s, s.c.id == a.c.sample_id)
        .where(s.c.project_id == project_id, sg.c.archived.is_(False))
        .group_by(batch, kind)
    ):
        by_type = batches.setdefault(_batch(batch_value), {})
        key = None if kind_value is None else str(kind_value)
        by_type[key] = by_type.get(key, 0) + int(n)
    seen_types = sorted(set(crams) | set(groups_by_type))
    cram_seqr_stats = {
        kind: {
            "Sequences": str(groups_by_type.get(kind, 0)),
            "Crams": str(crams.get(kind, 0)),
            "Seqr": str(in_seqr.get(kind, 0)),
        }
        for kind in seen_types
    }
    batch_stats = {
        batch or NO_BATCH: {kind: str(by_type.get(kind, 0)) for kind in seen_types}
        for batch, by_type in sorted(batches.items(), key=lambda item: (item[0] is None, item[0] or ""))
    }
    meta = dict(row["meta"] or {})
    links: dict[str, str] = {}
    if meta.get("is_seqr") and seqr_url:
        for kind in SEQR_LINK_TYPES:
            guid = meta.get(seqr_meta_key(kind))
            if guid:
                links[kind] = seqr_project_link(seqr_url, str(guid))
    sync_types = [kind for kind in enums.values(conn, "sequencing_type") if seqr_meta_key(kind) in meta]
    return ProjectSummary(
        project=WebProject(id=project_id, name=row["name"], dataset=row["dataset"], meta=meta),
        total_samples=total_samples,
        total_participants=total_participants,
        total_sequencing_groups=sum(groups_by_type.values()),
        total_assays=total_assays,
        cram_seqr_stats=cram_seqr_stats,
        batch_sequencing_group_stats=batch_stats,
        seqr_links=links,
        seqr_sync_types=sync_types,
    )
