"""Analysis-runner records: create (fields as query parameters, meta as the body, as the published client
sends them), record a run's outcome, list; and the runner's pre-flight check of the caller's access."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel, ConfigDict

from genolog.metadata import access
from genolog.metadata.api.dependencies import RequestContext, request_context
from genolog.metadata.errors import BadRequest, Forbidden, NotFound
from genolog.metadata.permissions import READ, run_roles
from genolog.metadata.store import analysis_runner, projects

router = APIRouter(tags=["analysis-runner"])


@router.put("/analysis-runner/{project}/", operation_id="createAnalysisRunnerLog")
def create_analysis_runner_log(
    project: str,
    ar_guid: str,
    access_level: str,
    repository: str,
    commit: str,
    script: str,
    description: str,
    driver_image: str,
    config_path: str,
    environment: str,
    batch_url: str,
    submitting_user: str,
    output_path: str,
    hail_version: str | None = None,
    cwd: str | None = None,
    status: str | None = None,
    meta: dict[str, Any] = Body(default_factory=dict),
    ctx: RequestContext = Depends(request_context),
) -> str:
    """Record a run; ``status`` (genolog's addition, default ``unknown``) is ``running`` for the runner."""
    record = {
        "ar_guid": ar_guid,
        "access_level": access_level,
        "repository": repository,
        "commit": commit,
        "script": script,
        "description": description,
        "driver_image": driver_image,
        "config_path": config_path,
        "cwd": cwd,
        "environment": environment,
        "hail_version": hail_version,
        "batch_url": batch_url,
        "submitting_user": submitting_user,
        "output_path": output_path,
    }
    with ctx.write() as tx:
        row = ctx.project(tx, project, run_roles(access_level))
        return analysis_runner.create(tx, row["id"], record, meta, status)


class RunOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: str
    exit_code: int | None = None
    duration_seconds: float | None = None


@router.patch("/analysis-runner/{ar_guid}/outcome", operation_id="updateAnalysisRunnerLogOutcome")
def update_analysis_runner_log_outcome(
    ar_guid: str, outcome: RunOutcome, ctx: RequestContext = Depends(request_context)
) -> dict[str, Any]:
    """Record how a run ended (succeeded, failed or cancelled), its exit code and duration."""
    with ctx.write() as tx:
        access.run_to_change(tx, ctx.caller, ar_guid)
        return analysis_runner.finish(
            tx, ar_guid, outcome.status, outcome.exit_code, outcome.duration_seconds
        )


@router.get("/analysis-runner/{dataset}/access", operation_id="checkAnalysisRunnerAccess")
def check_analysis_runner_access(
    dataset: str, access_level: str = "test", ctx: RequestContext = Depends(request_context)
) -> dict[str, Any]:
    """May the caller run analyses on this dataset at this access level? The runner asks before it runs.

    The run is recorded on ``<dataset>-test`` at the test level and on ``<dataset>`` otherwise; the caller
    needs contributor (test) or writer (standard, full) there. Refusals are one sentence each."""
    if access_level not in ("test", "standard", "full"):
        raise BadRequest(f"The access level must be test, standard or full, not {access_level!r}")
    target = f"{dataset}-test" if access_level == "test" and not dataset.endswith("-test") else dataset
    with ctx.read() as tx:
        # a dataset on which the caller holds no role does not exist for it, as everywhere else
        found = {name: projects.get_by_name(tx.conn, name) for name in {dataset, target}}
        visible = {name: row for name, row in found.items() if row and ctx.caller.roles_on(row["id"])}
        if not visible:
            raise NotFound(f"Dataset {dataset!r} is not known to the metadata server")
        row = found[target]
        if row is None:
            raise NotFound(f"Dataset {dataset!r} has no test project {target!r} on the metadata server")
        roles = ctx.caller.roles_on(row["id"])
        needed = run_roles(access_level)
        if not roles & needed:
            role = "contributor" if access_level == "test" else "writer"
            raise Forbidden(
                f"User {ctx.caller.user!r} may not run analyses on dataset {dataset!r} at {access_level} "
                f"access: that needs the {role} role on project {target!r} "
                f"(has {', '.join(sorted(roles)) or 'no role'})"
            )
    return {
        "dataset": dataset,
        "project": target,
        "access_level": access_level,
        "user": ctx.caller.user,
        "roles": sorted(roles),
    }


@router.patch("/analysis-runner/{ar_guid}/meta", operation_id="updateAnalysisRunnerLogMeta")
def update_analysis_runner_log_meta(
    ar_guid: str, patch: dict[str, Any] = Body(...), ctx: RequestContext = Depends(request_context)
) -> bool:
    """Merge into a run's meta (the runner records the outcome and duration here when the driver ends)."""
    with ctx.write() as tx:
        access.run_to_change(tx, ctx.caller, ar_guid)
        analysis_runner.update_meta(tx, ar_guid, patch)
    return True


@router.get("/analysis-runner/{project}/", operation_id="getAnalysisRunnerLogs")
def get_analysis_runner_logs(
    project: str,
    ar_guid: str | None = None,
    submitting_user: str | None = None,
    repository: str | None = None,
    access_level: str | None = None,
    environment: str | None = None,
    ctx: RequestContext = Depends(request_context),
) -> list[dict[str, Any]]:
    filters = {
        "ar_guid": ar_guid,
        "submitting_user": submitting_user,
        "repository": repository,
        "access_level": access_level,
        "environment": environment,
    }
    with ctx.read() as tx:
        row = ctx.project(tx, project, READ)
        return analysis_runner.query(tx, {row["id"]: row["name"]}, filters)


@router.get("/analysis/analysis-runner", operation_id="getAnalysisRunnerLog")
def get_analysis_runner_log(
    project_names: list[str] | None = Query(default=None),
    ar_guid: str | None = None,
    ctx: RequestContext = Depends(request_context),
) -> list[dict[str, Any]]:
    with ctx.read() as tx:
        return analysis_runner.query(tx, ctx.readable_project_ids(tx, project_names), {"ar_guid": ar_guid})
