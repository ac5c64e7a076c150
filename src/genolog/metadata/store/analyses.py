"""Analyses: outputs computed from sequencing groups or cohorts, with a status lifecycle."""

from __future__ import annotations

import posixpath
from datetime import UTC
from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.context import Tx, utcnow
from genolog.metadata.errors import BadRequest, NotFound
from genolog.metadata.meta import merge_patch
from genolog.metadata.models import Analysis, AnalysisStatus, AnalysisUpdate
from genolog.metadata.store import enums


def file_object(path: str) -> dict[str, Any]:
    """A CWL-style description of one output file."""
    basename = posixpath.basename(path.rstrip("/"))
    nameroot, dot, ext = basename.rpartition(".")
    return {
        "path": path,
        "basename": basename,
        "dirname": posixpath.dirname(path.rstrip("/")),
        "nameroot": nameroot if dot else basename,
        "nameext": f".{ext}" if dot else "",
        "file_checksum": None,
        "size": None,
        "secondary_files": {},
    }


def output_path(output: str | None, outputs: Any) -> str | None:
    """Where an analysis's output is: its ``output``, else the ``path`` of its ``outputs`` object."""
    if output:
        return output
    if isinstance(outputs, dict) and isinstance(outputs.get("path"), str):
        return str(outputs["path"])
    return None


def normalise_outputs(outputs: Any) -> Any:
    """Turn paths (strings or ``{"path": ...}``) anywhere in ``outputs`` into file objects."""
    if outputs is None:
        return None
    if isinstance(outputs, str):
        return file_object(outputs)
    if isinstance(outputs, dict):
        if isinstance(outputs.get("path"), str):
            return {**file_object(outputs["path"]), **{k: v for k, v in outputs.items() if k != "path"}}
        return {key: normalise_outputs(value) for key, value in outputs.items()}
    if isinstance(outputs, list):
        return [normalise_outputs(value) for value in outputs]
    raise BadRequest("Analysis outputs must be a path, a {'path': ...} object, or objects and lists of them")


def _check_sequencing_groups(tx: Tx, project_id: int, sg_ids: list[int]) -> None:
    found = dict(
        tx.conn.execute(
            sa.select(t.sequencing_group.c.id, t.sample.c.project_id)
            .join(t.sample)
            .where(t.sequencing_group.c.id.in_(sg_ids))
        ).all()
    )
    fmt = tx.codecs.sequencing_group.format
    missing = [fmt(i) for i in sg_ids if found.get(i) != project_id]
    if missing:
        raise BadRequest(f"Sequencing groups not found in this project: {', '.join(missing)}")


def _check_cohorts(tx: Tx, project_id: int, cohort_ids: list[int]) -> None:
    found = set(
        tx.conn.execute(
            sa.select(t.cohort.c.id).where(t.cohort.c.id.in_(cohort_ids), t.cohort.c.project_id == project_id)
        ).scalars()
    )
    missing = [tx.codecs.cohort.format(i) for i in cohort_ids if i not in found]
    if missing:
        raise BadRequest(f"Cohorts not found in this project: {', '.join(missing)}")


def create(tx: Tx, project_id: int, analysis: Analysis) -> int:
    sg_ids = tx.codecs.sequencing_group.parse_many(analysis.sequencing_group_ids or [])
    cohort_ids = tx.codecs.cohort.parse_many(analysis.cohort_ids or [])
    if not sg_ids and not cohort_ids:
        raise BadRequest("An analysis must be linked to at least one sequencing group or cohort")
    _check_sequencing_groups(tx, project_id, sg_ids)
    _check_cohorts(tx, project_id, cohort_ids)
    completed = analysis.timestamp_completed
    if completed is not None and completed.tzinfo is not None:
        completed = completed.astimezone(UTC)  # SQLite keeps the wall time given and drops its offset
    if completed is None and analysis.status == AnalysisStatus.completed:
        completed = utcnow()
    analysis_id = tx.conn.execute(
        t.analysis.insert()
        .values(
            project_id=project_id,
            type=enums.check(tx.conn, "analysis_type", analysis.type),
            status=analysis.status.value,
            output=analysis.output,
            outputs=normalise_outputs(analysis.outputs if analysis.outputs is not None else analysis.output),
            meta=merge_patch({}, analysis.meta or {}),
            active=True if analysis.active is None else analysis.active,
            on_behalf_of=analysis.author
            or (tx.audit.on_behalf_of if tx.audit else None)
            or (tx.audit.author if tx.audit else None),
            timestamp_completed=completed,
            created_at=utcnow(),
            audit_log_id=tx.audit_log_id,
        )
        .returning(t.analysis.c.id)
    ).scalar_one()
    if sg_ids:
        tx.conn.execute(
            t.analysis_sequencing_group.insert(),
            [
                {"analysis_id": analysis_id, "sequencing_group_id": s, "audit_log_id": tx.audit_log_id}
                for s in dict.fromkeys(sg_ids)
            ],
        )
    if cohort_ids:
        tx.conn.execute(
            t.analysis_cohort.insert(),
            [
                {"analysis_id": analysis_id, "cohort_id": c, "audit_log_id": tx.audit_log_id}
                for c in dict.fromkeys(cohort_ids)
            ],
        )
    tx.created("analysis", [analysis_id], project_id)
    return int(analysis_id)


def get_row(tx: Tx, analysis_id: int) -> dict[str, Any]:
    row = tx.conn.execute(sa.select(t.analysis).where(t.analysis.c.id == analysis_id)).mappings().first()
    if row is None:
        raise NotFound(f"Analysis {analysis_id} not found")
    return dict(row)


def update(tx: Tx, analysis_id: int, change: AnalysisUpdate) -> None:
    row = get_row(tx, analysis_id)
    values: dict[str, Any] = {"meta": merge_patch(row["meta"], change.meta or {})}
    if change.status is not None:
        values["status"] = change.status.value
        if change.status == AnalysisStatus.completed and row["timestamp_completed"] is None:
            values["timestamp_completed"] = utcnow()
    if change.output is not None:
        values["output"] = change.output
        if change.outputs is None and row["outputs"] is None:
            values["outputs"] = normalise_outputs(change.output)
    if change.outputs is not None:
        values["outputs"] = normalise_outputs(change.outputs)
    if change.active is not None:
        values["active"] = change.active
    tx.touch("analysis", [analysis_id], row["project_id"])
    tx.conn.execute(
        t.analysis.update()
        .where(t.analysis.c.id == analysis_id)
        .values(audit_log_id=tx.audit_log_id, **values)
    )
