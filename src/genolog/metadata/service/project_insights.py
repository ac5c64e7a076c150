"""Metamist's project insights (``POST /project-insights/project-insights-{summary,details}``): per project,
sequencing type and technology, what was sequenced and how far its analyses went.

- The summary has one row per (project, sequencing type, technology) with sequencing groups: its
  families, participants, samples, sequencing groups and groups with a completed CRAM, and, for
  short-read data, the latest completed AnnotateDataset (``custom`` analysis with ``meta.stage``) and the
  latest SNV and SV ES indexes (``es-index`` analyses of the stages ``MtToEs`` and ``MtToEsSv`` (genome)
  or ``MtToEsCNV`` (exome)) of that sequencing type (``meta.sequencing_type``).
- The details have one row per sequencing group of a participant in a family: its ids, latest completed
  CRAM, whether the latest analyses above include it, and links to its latest Stripy and mitochondrial
  (``web`` analyses) reports.

Every project named must be readable (else its 404). Sequencing groups count when not archived and of
active samples; analyses when active. Where Metamist gives a row per combination of a sample's external
ids and swaps the platform and technology of a detail row, this gives one row per group, fields as named.
A fixed number of statements; the details answer at most ``MAX_DETAIL_ROWS`` rows (else a 400).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel

from genolog.metadata import tables as t
from genolog.metadata.context import stored_utc
from genolog.metadata.db import one_of
from genolog.metadata.errors import BadRequest
from genolog.metadata.inputs import check_list_length
from genolog.metadata.permissions import READ
from genolog.metadata.service.session import Session
from genolog.metadata.store import enums, external_ids
from genolog.metadata.store.analyses import output_path

MAX_DETAIL_ROWS = 25_000
SNV_STAGE = "MtToEs"
SV_STAGES = {"genome": "MtToEsSv", "exome": "MtToEsCNV"}
ANNOTATE_STAGE = "AnnotateDataset"
SHORT_READ = "short-read"
WEB_BASES = ("https://main-web.populationgenomics.org.au", "https://test-web.populationgenomics.org.au")


class AnalysisStats(BaseModel):
    id: int | None
    name: str | None
    sg_count: int | None
    timestamp: str | None


class ProjectInsightsSummary(BaseModel):
    project: int
    dataset: str
    sequencing_type: str
    sequencing_technology: str
    total_families: int
    total_participants: int
    total_samples: int
    total_sequencing_groups: int
    total_crams: int
    latest_annotate_dataset: AnalysisStats | None
    latest_snv_es_index: AnalysisStats | None
    latest_sv_es_index: AnalysisStats | None


class ProjectInsightsDetails(BaseModel):
    project: int
    dataset: str
    sequencing_type: str
    sequencing_platform: str
    sequencing_technology: str
    sample_type: str
    family_id: int
    family_ext_id: str
    participant_id: int
    participant_ext_id: str
    sample_id: str
    sample_ext_ids: list[str]
    sequencing_group_id: str
    cram: dict[str, Any]
    in_latest_annotate_dataset: bool
    in_latest_snv_es_index: bool
    in_latest_sv_es_index: bool
    web_reports: dict[str, dict[str, Any]]


@dataclass
class _Analysis:
    id: int
    output: str | None
    completed: datetime.datetime | None
    meta: dict[str, Any]


def _iso(moment: datetime.datetime | None) -> str | None:
    return None if moment is None else stored_utc(moment).isoformat()


def _projects(session: Session, names: list[str], types: list[str]) -> dict[int, str]:
    """The named projects (each readable, else its 404), id -> name, in the order named."""
    check_list_length(names, "project names")
    check_list_length(types, "sequencing types")
    found: dict[int, str] = {}
    for name in names:
        row = session.project(name, READ)
        found[int(row["id"])] = str(row["name"])
    return found


def _latest(
    session: Session, project_ids: list[int], types: list[str], analysis_type: str, stages: Iterable[str]
) -> dict[tuple[int, str, str], _Analysis]:
    """(project, sequencing type, stage) -> the latest completed active analysis of ``analysis_type``
    with that ``meta.sequencing_type`` and ``meta.stage`` (latest completion, then highest id)."""
    a = t.analysis
    rows = session.tx.conn.execute(
        sa.select(a.c.id, a.c.project_id, a.c.output, a.c.outputs, a.c.meta, a.c.timestamp_completed)
        .where(
            a.c.project_id.in_(project_ids),
            a.c.type == analysis_type,
            a.c.status == "completed",
            a.c.active.is_(True),
            a.c.meta["sequencing_type"].as_string().in_(types),
            a.c.meta["stage"].as_string().in_(list(stages)),
        )
        .order_by(a.c.timestamp_completed.is_(None), a.c.timestamp_completed, a.c.id)
    )
    latest: dict[tuple[int, str, str], _Analysis] = {}
    for r in rows:  # in ascending order: the last one of a key wins
        meta = r.meta or {}
        key = (r.project_id, str(meta.get("sequencing_type")), str(meta.get("stage")))
        latest[key] = _Analysis(r.id, output_path(r.output, r.outputs), r.timestamp_completed, meta)
    return latest


def _groups_of(session: Session, analysis_ids: Iterable[int]) -> dict[int, set[int]]:
    asg = t.analysis_sequencing_group
    ids = list(set(analysis_ids))
    found: dict[int, set[int]] = {i: set() for i in ids}
    if ids:
        for analysis_id, group_id in session.tx.conn.execute(
            sa.select(asg.c.analysis_id, asg.c.sequencing_group_id).where(asg.c.analysis_id.in_(ids))
        ):
            found[analysis_id].add(group_id)
    return found


@dataclass
class _Latest:
    """The latest analyses of one (project, sequencing type, technology), for short-read data."""

    annotate: _Analysis | None
    snv: _Analysis | None
    sv: _Analysis | None


class _Analyses:
    def __init__(self, session: Session, project_ids: list[int], types: list[str]) -> None:
        self.annotate = _latest(session, project_ids, types, "custom", [ANNOTATE_STAGE])
        self.es_index = _latest(session, project_ids, types, "es-index", [SNV_STAGE, *SV_STAGES.values()])
        self.groups = _groups_of(session, [x.id for x in [*self.annotate.values(), *self.es_index.values()]])

    def latest(self, project_id: int, kind: str, technology: str) -> _Latest:
        if technology != SHORT_READ:
            return _Latest(None, None, None)
        sv_stage = SV_STAGES.get(kind)
        return _Latest(
            self.annotate.get((project_id, kind, ANNOTATE_STAGE)),
            self.es_index.get((project_id, kind, SNV_STAGE)),
            None if sv_stage is None else self.es_index.get((project_id, kind, sv_stage)),
        )

    def stats(self, analysis: _Analysis | None) -> AnalysisStats | None:
        if analysis is None:
            return None
        return AnalysisStats(
            id=analysis.id,
            name=analysis.output,
            sg_count=len(self.groups.get(analysis.id, ())),
            timestamp=_iso(analysis.completed),
        )

    def includes(self, analysis: _Analysis | None, group_id: int) -> bool:
        return analysis is not None and group_id in self.groups.get(analysis.id, ())


def _groups_where(project_ids: list[int], types: list[str]) -> list[sa.ColumnElement[bool]]:
    s, sg = t.sample, t.sequencing_group
    return [
        s.c.project_id.in_(project_ids),
        sg.c.type.in_(types),
        sg.c.archived.is_(False),
        s.c.active.is_(True),
    ]


def summary(session: Session, project_names: list[str], types: list[str]) -> list[ProjectInsightsSummary]:
    projects = _projects(session, project_names, types)
    if not projects or not types:
        return []
    ids, conn = list(projects), session.tx.conn
    s, sg, fp, a, asg = (
        t.sample,
        t.sequencing_group,
        t.family_participant,
        t.analysis,
        t.analysis_sequencing_group,
    )
    distinct = lambda column: sa.func.count(sa.distinct(column))  # noqa: E731
    totals = {
        (r.project_id, r.type, r.technology): r
        for r in conn.execute(
            sa.select(
                s.c.project_id,
                sg.c.type,
                sg.c.technology,
                distinct(sg.c.id).label("groups"),
                distinct(s.c.id).label("samples"),
                distinct(s.c.participant_id).label("participants"),
                distinct(fp.c.family_id).label("families"),
            )
            .select_from(sg)
            .join(s, s.c.id == sg.c.sample_id)
            .outerjoin(fp, fp.c.participant_id == s.c.participant_id)
            .where(*_groups_where(ids, types))
            .group_by(s.c.project_id, sg.c.type, sg.c.technology)
        )
    }
    crams = {
        (r.project_id, r.type, r.technology): int(r.n)
        for r in conn.execute(
            sa.select(s.c.project_id, sg.c.type, sg.c.technology, distinct(sg.c.id).label("n"))
            .select_from(a)
            .join(asg, asg.c.analysis_id == a.c.id)
            .join(sg, sg.c.id == asg.c.sequencing_group_id)
            .join(s, s.c.id == sg.c.sample_id)
            .where(
                a.c.project_id.in_(ids),
                a.c.type == "cram",
                a.c.status == "completed",
                a.c.active.is_(True),
                *_groups_where(ids, types),
            )
            .group_by(s.c.project_id, sg.c.type, sg.c.technology)
        )
    }
    analyses = _Analyses(session, ids, types)
    answer = []
    for project_id, name in projects.items():
        for kind in dict.fromkeys(types):
            for technology in enums.values(conn, "sequencing_technology"):
                row = totals.get((project_id, kind, technology))
                if row is None:
                    continue
                latest = analyses.latest(project_id, kind, technology)
                answer.append(
                    ProjectInsightsSummary(
                        project=project_id,
                        dataset=name,
                        sequencing_type=kind,
                        sequencing_technology=technology,
                        total_families=int(row.families),
                        total_participants=int(row.participants),
                        total_samples=int(row.samples),
                        total_sequencing_groups=int(row.groups),
                        total_crams=crams.get((project_id, kind, technology), 0),
                        latest_annotate_dataset=analyses.stats(latest.annotate),
                        latest_snv_es_index=analyses.stats(latest.snv),
                        latest_sv_es_index=analyses.stats(latest.sv),
                    )
                )
    return answer


def _latest_by_group(
    session: Session, project_ids: list[int], group_ids: list[int], analysis_type: str, stage: str | None
) -> dict[int, _Analysis]:
    """Sequencing group -> its latest completed active analysis of the type (and ``meta.stage``)."""
    a, asg = t.analysis, t.analysis_sequencing_group
    where = [
        a.c.project_id.in_(project_ids),
        a.c.type == analysis_type,
        a.c.status == "completed",
        a.c.active.is_(True),
        one_of(session.tx.conn, asg.c.sequencing_group_id, group_ids),
    ]
    if stage is not None:
        where.append(a.c.meta["stage"].as_string() == stage)
    order = (
        [a.c.id]
        if stage is not None
        else [a.c.timestamp_completed.is_(None), a.c.timestamp_completed, a.c.id]
    )
    latest: dict[int, _Analysis] = {}
    for r in session.tx.conn.execute(
        sa.select(
            asg.c.sequencing_group_id, a.c.id, a.c.output, a.c.outputs, a.c.timestamp_completed, a.c.meta
        )
        .join(asg, asg.c.analysis_id == a.c.id)
        .where(*where)
        .order_by(*order)
    ):
        latest[r.sequencing_group_id] = _Analysis(
            r.id, output_path(r.output, r.outputs), r.timestamp_completed, r.meta or {}
        )
    return latest


def _report_url(project: str, group: str, output: str | None, stage: str) -> str:
    base = WEB_BASES[0] if output and "main-web" in output else WEB_BASES[1]
    if stage == "Stripy":
        return f"{base}/{project}/stripy/{group}.stripy.html"
    return f"{base}/{project}/mito/mitoreport-{group}/index.html"


def details(session: Session, project_names: list[str], types: list[str]) -> list[ProjectInsightsDetails]:
    projects = _projects(session, project_names, types)
    if not projects or not types:
        return []
    ids, conn, codecs = list(projects), session.tx.conn, session.codecs
    s, sg, fp = t.sample, t.sequencing_group, t.family_participant
    where = [*_groups_where(ids, types)]
    count = conn.execute(
        sa.select(sa.func.count())
        .select_from(sg)
        .join(s, s.c.id == sg.c.sample_id)
        .join(fp, fp.c.participant_id == s.c.participant_id)
        .where(*where)
    ).scalar_one()
    if count > MAX_DETAIL_ROWS:
        raise BadRequest(
            f"The details would have {count:,} rows, more than {MAX_DETAIL_ROWS:,}: ask for fewer projects or "
            "sequencing types at a time"
        )
    rows = conn.execute(
        sa.select(
            s.c.project_id,
            sg.c.id,
            sg.c.type,
            sg.c.platform,
            sg.c.technology,
            s.c.type.label("sample_type"),
            s.c.id.label("sample_id"),
            fp.c.family_id,
            fp.c.participant_id,
        )
        .select_from(sg)
        .join(s, s.c.id == sg.c.sample_id)
        .join(fp, fp.c.participant_id == s.c.participant_id)
        .where(*where)
    ).all()
    group_ids = [r.id for r in rows]
    family_eids = external_ids.get_many(conn, "family", {r.family_id for r in rows})
    participant_eids = external_ids.get_many(conn, "participant", {r.participant_id for r in rows})
    sample_eids = external_ids.get_many(conn, "sample", {r.sample_id for r in rows})
    crams = _latest_by_group(session, ids, group_ids, "cram", None)
    stripy = _latest_by_group(session, ids, group_ids, "web", "Stripy")
    mito = _latest_by_group(session, ids, group_ids, "web", "MitoReport")
    analyses = _Analyses(session, ids, types)
    order = {pid: i for i, pid in enumerate(projects)}
    type_order = {kind: i for i, kind in enumerate(dict.fromkeys(types))}
    rows = sorted(
        rows,
        key=lambda r: (
            order[r.project_id],
            type_order[r.type],
            r.platform,
            r.technology,
            r.sample_type,
            r.family_id,
            r.participant_id,
            r.id,
        ),
    )
    answer = []
    for r in rows:
        project, group = projects[r.project_id], codecs.sequencing_group.format(r.id)
        cram = crams.get(r.id)
        reports: dict[str, dict[str, Any]] = {}
        if (report := stripy.get(r.id)) is not None:
            loci = report.meta.get("outlier_loci")
            reports["stripy"] = {
                "url": _report_url(project, group, report.output, "Stripy"),
                "outliers_detected": report.meta.get("outliers_detected"),
                "outlier_loci": loci if loci else None,
                "timestamp_completed": _iso(report.completed),
            }
        if (report := mito.get(r.id)) is not None:
            reports["mito"] = {
                "url": _report_url(project, group, report.output, "MitoReport"),
                "timestamp_completed": _iso(report.completed),
            }
        latest = analyses.latest(r.project_id, r.type, r.technology)
        completed = None if cram is None or cram.completed is None else stored_utc(cram.completed)
        answer.append(
            ProjectInsightsDetails(
                project=r.project_id,
                dataset=project,
                sequencing_type=r.type,
                sequencing_platform=r.platform,
                sequencing_technology=r.technology,
                sample_type=r.sample_type,
                family_id=r.family_id,
                family_ext_id=family_eids.get(r.family_id, {}).get("", ""),
                participant_id=r.participant_id,
                participant_ext_id=participant_eids.get(r.participant_id, {}).get("", ""),
                sample_id=codecs.sample.format(r.sample_id),
                sample_ext_ids=list(sample_eids.get(r.sample_id, {}).values()),
                sequencing_group_id=group,
                cram={
                    "id": None if cram is None else cram.id,
                    "output": None if cram is None else cram.output,
                    "timestamp_completed": None if completed is None else completed.strftime("%d-%m-%y"),
                },
                in_latest_annotate_dataset=analyses.includes(latest.annotate, r.id),
                in_latest_snv_es_index=analyses.includes(latest.snv, r.id),
                in_latest_sv_es_index=analyses.includes(latest.sv, r.id),
                web_reports=reports,
            )
        )
    return answer
