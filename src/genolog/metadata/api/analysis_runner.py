"""Analysis-runner records: create (fields as query parameters, meta as the body, as the published client sends them) and list."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query

from genolog.metadata.api.service import RequestContext, request_context
from genolog.metadata.permissions import CONTRIBUTE, READ, WRITE
from genolog.metadata.store import analysis_runner

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
    meta: dict[str, Any] = Body(default_factory=dict),
    ctx: RequestContext = Depends(request_context),
) -> str:
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
    # test-level runs need contributor, others writer (as the analysis runner checks before it runs)
    needed = CONTRIBUTE if access_level == "test" else WRITE
    with ctx.write() as tx:
        row = ctx.project(tx, project, needed)
        return analysis_runner.create(tx, row["id"], record, meta)


@router.patch("/analysis-runner/{ar_guid}/meta", operation_id="updateAnalysisRunnerLogMeta")
def update_analysis_runner_log_meta(
    ar_guid: str, patch: dict[str, Any] = Body(...), ctx: RequestContext = Depends(request_context)
) -> bool:
    """Merge into a run's meta (the runner records the outcome and duration here when the driver ends)."""
    with ctx.write() as tx:
        ctx.project_by_id(
            tx, analysis_runner.project_of(tx, ar_guid), CONTRIBUTE, f"No analysis-runner record {ar_guid!r}"
        )
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
