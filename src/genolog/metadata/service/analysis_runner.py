"""Analysis-runner records: record a run, its outcome and meta, list them; and the runner's pre-flight check
of the caller's access to a dataset.

Recording a run, or changing its outcome or meta, needs ``permissions.run_roles`` of its access level on
its project (contributor for a test-level run, writer otherwise); listing needs a read role.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from genolog.metadata.analysis_runner_fields import RECORD_FIELDS
from genolog.metadata.context import naive_utc
from genolog.metadata.errors import BadRequest, Forbidden, NotFound
from genolog.metadata.permissions import READ, run_roles
from genolog.metadata.service.reads import records as reads
from genolog.metadata.service.reads.rows import Rows, parse_json
from genolog.metadata.service.session import Session
from genolog.metadata.store import analysis_runner, projects

ACCESS_LEVELS = ("test", "standard", "full")


class _RunFields(BaseModel):
    """The fields of a run that every answer has, as the published client's ``AnalysisRunner`` names them."""

    ar_guid: str
    output_path: str
    timestamp: str
    access_level: str
    repository: str
    commit: str
    script: str
    description: str
    driver_image: str
    config_path: str
    cwd: str | None
    environment: str
    hail_version: str | None
    batch_url: str
    submitting_user: str


class AnalysisRunnerRecord(_RunFields):
    """A run as Metamist's REST API answers it (``getAnalysisRunnerLogs``): the fields of the published
    client's ``AnalysisRunner`` model and no others, which that model refuses. Its meta values are text,
    as the model requires: a value stored as other JSON (the runner's flags and lists) is its JSON text."""

    meta: dict[str, str]
    project: str
    audit_log_id: int | None


class RunRecord(_RunFields):
    """A run with its meta as stored and genolog's outcome fields (``analysis_runner_fields``): genolog's
    own answer (``getAnalysisRunnerRuns``), which the runner's ``logs`` and ``list`` show."""

    meta: dict[str, Any]
    project: str
    audit_log_id: int | None
    status: str
    exit_code: int | None
    duration_seconds: float | None
    finished_at: str | None


class RunAccess(BaseModel):
    """The caller may run analyses on ``dataset`` at ``access_level``: recorded on ``project``."""

    dataset: str
    project: str
    access_level: str
    user: str
    roles: list[str]


def models(session: Session, rows: Rows) -> list[AnalysisRunnerRecord]:
    """The records of these rows (``reads.analysis_runners``) as Metamist's REST API answers them."""
    names = session.readable_projects()
    return [
        AnalysisRunnerRecord.model_construct(  # from stored rows: not re-validated
            **_run_fields(r, names),
            meta={k: v if isinstance(v, str) else json.dumps(v) for k, v in parse_json(r["meta"]).items()},
        )
        for r in rows
    ]


def run_models(session: Session, rows: Rows) -> list[RunRecord]:
    """The records of these rows with their outcome, as genolog's own route answers them."""
    names = session.readable_projects()
    return [
        RunRecord.model_construct(  # from stored rows: not re-validated
            **_run_fields(r, names),
            meta=parse_json(r["meta"]),
            status=r["status"],
            exit_code=r["exit_code"],
            duration_seconds=r["duration_seconds"],
            finished_at=_iso(r["finished_at"]),
        )
        for r in rows
    ]


def _run_fields(row: Mapping[str, Any], names: Mapping[int, str]) -> dict[str, Any]:
    """What both answers take from a record's row alike: its ``_RunFields``, project name and last writer."""
    return {
        **{field: row[field] for field in RECORD_FIELDS},
        "timestamp": naive_utc(row["timestamp"]).isoformat(),
        "project": names[row["project_id"]],
        "audit_log_id": row["audit_log_id"],
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else naive_utc(moment).isoformat()


def create(
    session: Session, project: str, record: dict[str, Any], meta: Any, status: str | None = None
) -> str:
    """Record a run (``record``: the fields of ``analysis_runner_fields.RECORD_FIELDS``); ``status``
    (genolog's addition, default ``unknown``) is ``running`` for the runner. Its ``ar_guid``."""
    project_id = session.project(project, run_roles(record["access_level"]))["id"]
    if not isinstance(meta, dict):
        raise BadRequest("meta must be a JSON object")
    return analysis_runner.create(session.tx, project_id, record, meta, status)


def finish(
    session: Session, ar_guid: str, status: str, exit_code: int | None, duration_seconds: float | None
) -> RunRecord:
    """Record how a run ended (succeeded, failed or cancelled), its exit code and duration; the record."""
    session.run_to_change(ar_guid)
    analysis_runner.finish(session.tx, ar_guid, status, exit_code, duration_seconds)
    return run_models(session, reads.analysis_runner_by_guid(session, ar_guid))[0]


def update_meta(session: Session, ar_guid: str, patch: dict[str, Any]) -> None:
    """Merge ``patch`` into a run's meta."""
    session.run_to_change(ar_guid)
    analysis_runner.update_meta(session.tx, ar_guid, patch)


def of_project(session: Session, project: str, filters: dict[str, Any]) -> list[AnalysisRunnerRecord]:
    """The project's runs whose fields equal the ``filters`` given (None: any), newest first."""
    row = session.project(project, READ)
    return models(session, reads.analysis_runners_listed(session, [row["id"]], filters))


def query(
    session: Session, project_names: list[str] | None, ar_guid: str | None
) -> list[AnalysisRunnerRecord]:
    """The runs of the readable (or the named) projects, all or the one ``ar_guid``, newest first."""
    project_ids = list(session.readable_projects(project_names))
    return models(session, reads.analysis_runners_listed(session, project_ids, {"ar_guid": ar_guid}))


def runs(session: Session, project_names: list[str] | None, filters: dict[str, Any]) -> list[RunRecord]:
    """The runs of the readable (or the named) projects whose fields equal the ``filters`` given (None:
    any), newest first, with their outcome."""
    project_ids = list(session.readable_projects(project_names))
    return run_models(session, reads.analysis_runners_listed(session, project_ids, filters))


def check_access(session: Session, dataset: str, access_level: str) -> RunAccess:
    """May the caller run analyses on this dataset at this access level? The runner asks before it runs.

    The run is recorded on ``<dataset>-test`` at the test level and on ``<dataset>`` otherwise; the caller
    needs contributor (test) or writer (standard, full) there. Refusals are one sentence each."""
    if access_level not in ACCESS_LEVELS:
        raise BadRequest(f"The access level must be test, standard or full, not {access_level!r}")
    target = f"{dataset}-test" if access_level == "test" and not dataset.endswith("-test") else dataset
    caller = session.caller
    # a dataset on which the caller holds no role does not exist for it, as everywhere else
    found = {name: projects.get_by_name(session.tx.conn, name) for name in {dataset, target}}
    visible = {name: row for name, row in found.items() if row and caller.roles_on(row["id"])}
    if not visible:
        raise NotFound(f"Dataset {dataset!r} is not known to the metadata server")
    row = found[target]
    if row is None:
        raise NotFound(f"Dataset {dataset!r} has no test project {target!r} on the metadata server")
    roles = caller.roles_on(row["id"])
    if not roles & run_roles(access_level):
        role = "contributor" if access_level == "test" else "writer"
        raise Forbidden(
            f"User {caller.user!r} may not run analyses on dataset {dataset!r} at {access_level} "
            f"access: that needs the {role} role on project {target!r} "
            f"(has {', '.join(sorted(roles)) or 'no role'})"
        )
    return RunAccess(
        dataset=dataset, project=target, access_level=access_level, user=caller.user, roles=sorted(roles)
    )
