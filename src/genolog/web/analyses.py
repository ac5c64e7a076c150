"""The web interface's analyses list and analysis-runner runs: ``/projects/{project}/analyses`` (filtered,
sorted, paged), ``/projects/{project}/runs`` and ``/projects/{project}/runs/{ar_guid}`` (the run's
provenance, its analyses and the tail of its driver's log).

Each page checks the caller may read the project first (a non-member gets the API's 404) and runs a
fixed number of statements in one read transaction (`analysis_list`, `runs`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from genolog.metadata import access
from genolog.metadata.analysis_runner_fields import RUN_STATUSES
from genolog.metadata.permissions import READ
from genolog.web import analysis_list, runs
from genolog.web.render import PageRoute, page_read, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

#: Analyses shown on a run's page (the rest are a link away, in the list filtered by the run).
RUN_ANALYSES_SHOWN = 100


@router.get("/projects/{project}/analyses", response_class=HTMLResponse)
def analyses_list(request: Request, project: str) -> HTMLResponse:
    query = analysis_list.AnalysisQuery.from_params(request.query_params)
    with page_read(request) as (caller, tx):
        row = access.project_by_name(tx, caller, project, READ)
        page = analysis_list.analyses_page(tx, row["id"], query)
    return render(
        request,
        "analyses.html",
        caller,
        project=row["name"],
        listing=page,
        statuses=analysis_list.STATUSES,
        date_fields=analysis_list.DATE_FIELDS,
    )


@router.get("/projects/{project}/runs", response_class=HTMLResponse)
def runs_list(request: Request, project: str) -> HTMLResponse:
    query = runs.RunQuery.from_params(request.query_params)
    with page_read(request) as (caller, tx):
        row = access.project_by_name(tx, caller, project, READ)
        page = runs.runs_page(tx, row["id"], query)
    return render(
        request,
        "runs.html",
        caller,
        project=row["name"],
        listing=page,
        statuses=RUN_STATUSES,
        duration=runs.duration,
    )


@router.get("/projects/{project}/runs/{ar_guid}", response_class=HTMLResponse)
def run_page(request: Request, project: str, ar_guid: str) -> HTMLResponse:
    query = analysis_list.AnalysisQuery(ar_guid=ar_guid, active="all", per_page=RUN_ANALYSES_SHOWN)
    with page_read(request) as (caller, tx):
        row = access.project_by_name(tx, caller, project, READ)
        record = runs.run_record(tx, row["id"], row["name"], ar_guid)
        produced = analysis_list.analyses_page(tx, row["id"], query, with_types=False)
    log = runs.read_log(request.app.state.service.settings.data_dir, row["name"], record)
    return render(
        request,
        "run.html",
        caller,
        project=row["name"],
        run=record,
        analyses=produced,
        log=log,
        duration=runs.duration,
    )
