"""Analysis-runner records: create (fields as query parameters, meta as the body, as the published client
sends them), record a run's outcome, list; and the runner's pre-flight check of the caller's access."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel, ConfigDict

from genolog.metadata.api.dependencies import RequestContext, request_context
from genolog.metadata.service import analysis_runner
from genolog.metadata.service.analysis_runner import AnalysisRunnerRecord, RunAccess, RunRecord

router = APIRouter(tags=["analysis-runner"])


def run_filters(
    ar_guid: str | None = None,
    submitting_user: str | None = None,
    repository: str | None = None,
    access_level: str | None = None,
    environment: str | None = None,
) -> dict[str, str | None]:
    """The query parameters the run listings filter on, by the record's field each names (None: any)."""
    return {
        "ar_guid": ar_guid,
        "submitting_user": submitting_user,
        "repository": repository,
        "access_level": access_level,
        "environment": environment,
    }


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
    with ctx.writing() as session:
        return analysis_runner.create(session, project, record, meta, status)


class RunOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: str
    exit_code: int | None = None
    duration_seconds: float | None = None


@router.patch("/analysis-runner/{ar_guid}/outcome", operation_id="updateAnalysisRunnerLogOutcome")
def update_analysis_runner_log_outcome(
    ar_guid: str, outcome: RunOutcome, ctx: RequestContext = Depends(request_context)
) -> RunRecord:
    """Record how a run ended (succeeded, failed or cancelled), its exit code and duration."""
    with ctx.writing() as session:
        return analysis_runner.finish(
            session, ar_guid, outcome.status, outcome.exit_code, outcome.duration_seconds
        )


@router.get("/analysis-runner/{dataset}/access", operation_id="checkAnalysisRunnerAccess")
def check_analysis_runner_access(
    dataset: str, access_level: str = "test", ctx: RequestContext = Depends(request_context)
) -> RunAccess:
    """May the caller run analyses on this dataset at this access level? The runner asks before it runs.

    The run is recorded on ``<dataset>-test`` at the test level and on ``<dataset>`` otherwise; the caller
    needs contributor (test) or writer (standard, full) there. Refusals are one sentence each."""
    with ctx.reading() as session:
        return analysis_runner.check_access(session, dataset, access_level)


@router.patch("/analysis-runner/{ar_guid}/meta", operation_id="updateAnalysisRunnerLogMeta")
def update_analysis_runner_log_meta(
    ar_guid: str, patch: dict[str, Any] = Body(...), ctx: RequestContext = Depends(request_context)
) -> bool:
    """Merge into a run's meta (the runner records the outcome and duration here when the driver ends)."""
    with ctx.writing() as session:
        analysis_runner.update_meta(session, ar_guid, patch)
    return True


# before "/analysis-runner/{project}/": a project named "runs" is still reached with its trailing slash
@router.get("/analysis-runner/runs", operation_id="getAnalysisRunnerRuns")
def get_analysis_runner_runs(
    project_names: list[str] | None = Query(default=None),
    filters: dict[str, str | None] = Depends(run_filters),
    ctx: RequestContext = Depends(request_context),
) -> list[RunRecord]:
    """genolog's runs with their outcome (status, exit code, duration, end) and meta as stored, which
    Metamist's record (``getAnalysisRunnerLogs``) has no place for: of the readable projects, or the named
    ones, whose fields equal the filters given; newest first."""
    with ctx.reading() as session:
        return analysis_runner.runs(session, project_names, filters)


@router.get("/analysis-runner/{project}/", operation_id="getAnalysisRunnerLogs")
def get_analysis_runner_logs(
    project: str,
    filters: dict[str, str | None] = Depends(run_filters),
    ctx: RequestContext = Depends(request_context),
) -> list[AnalysisRunnerRecord]:
    with ctx.reading() as session:
        return analysis_runner.of_project(session, project, filters)


@router.get("/analysis/analysis-runner", operation_id="getAnalysisRunnerLog")
def get_analysis_runner_log(
    project_names: list[str] | None = Query(default=None),
    ar_guid: str | None = None,
    ctx: RequestContext = Depends(request_context),
) -> list[AnalysisRunnerRecord]:
    with ctx.reading() as session:
        return analysis_runner.query(session, project_names, ar_guid)
