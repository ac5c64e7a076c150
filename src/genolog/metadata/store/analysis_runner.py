"""Analysis-runner records: who ran which commit of which script, with which config and image."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.analysis_runner_fields import FINAL_STATUSES, RECORD_FIELDS, RUN_STATUSES
from genolog.metadata.context import Tx, utcnow
from genolog.metadata.errors import BadRequest, Conflict, NotFound
from genolog.metadata.meta import merge_patch


def check_status(status: str, allowed: tuple[str, ...] = RUN_STATUSES) -> str:
    if status not in allowed:
        raise BadRequest(f"An analysis-runner status must be one of {', '.join(allowed)}, not {status!r}")
    return status


def create(
    tx: Tx, project_id: int, record: dict[str, Any], meta: dict[str, Any], status: str | None = None
) -> str:
    status = check_status(status or "unknown")
    missing = [f for f in RECORD_FIELDS if f not in ("cwd", "hail_version") and not record.get(f)]
    if missing:
        raise BadRequest(f"An analysis-runner record needs: {', '.join(missing)}")
    exists = tx.conn.execute(
        sa.select(t.analysis_runner.c.ar_guid).where(t.analysis_runner.c.ar_guid == record["ar_guid"])
    ).first()
    if exists:
        raise Conflict(f"An analysis-runner record with ar_guid {record['ar_guid']!r} already exists")
    tx.conn.execute(
        t.analysis_runner.insert().values(
            project_id=project_id,
            timestamp=utcnow(),
            meta=merge_patch({}, meta),  # bounded as every meta
            status=status,
            audit_log_id=tx.audit_log_id,
            **record,
        )
    )
    return str(record["ar_guid"])


def update_meta(tx: Tx, ar_guid: str, patch: dict[str, Any]) -> None:
    row = get_row(tx, ar_guid)
    tx.conn.execute(
        t.analysis_runner.update()
        .where(t.analysis_runner.c.ar_guid == ar_guid)
        .values(meta=merge_patch(row["meta"], patch), audit_log_id=tx.audit_log_id)
    )


def finish(tx: Tx, ar_guid: str, status: str, exit_code: int | None, duration_seconds: float | None) -> None:
    """Record how a run ended: a final status, the driver's exit code and how long it ran."""
    check_status(status, FINAL_STATUSES)
    if duration_seconds is not None and duration_seconds < 0:
        raise BadRequest("duration_seconds must not be negative")
    result = tx.conn.execute(
        t.analysis_runner.update()
        .where(t.analysis_runner.c.ar_guid == ar_guid)
        .values(
            status=status,
            exit_code=exit_code,
            duration_seconds=duration_seconds,
            finished_at=utcnow(),
            audit_log_id=tx.audit_log_id,
        )
    )
    if not result.rowcount:
        raise NotFound(f"No analysis-runner record {ar_guid!r}")


def get_row(tx: Tx, ar_guid: str) -> dict[str, Any]:
    row = (
        tx.conn.execute(sa.select(t.analysis_runner).where(t.analysis_runner.c.ar_guid == ar_guid))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"No analysis-runner record {ar_guid!r}")
    return dict(row)
