"""The web interface's analyses list and analysis-runner runs: ``/projects/{project}/analyses`` (filtered,
sorted, paged), ``/projects/{project}/runs`` and ``/projects/{project}/runs/{ar_guid}`` (the run's
provenance, its analyses and the tail of its driver's log).

Each page calls one service function (``service.analysis_list``, ``service.runs``), which checks the
caller may read the project first (a non-member gets the API's 404) and runs a fixed number of
statements in the page's one read transaction; the run's log is read here (``web.runs``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from genolog.metadata.analysis_runner_fields import RUN_STATUSES
from genolog.metadata.service import analysis_list
from genolog.metadata.service.runs import RunQuery, project_run, project_runs
from genolog.web import runs
from genolog.web.render import PageRoute, page_read, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/projects/{project}/analyses", response_class=HTMLResponse)
def analyses_list(request: Request, project: str) -> HTMLResponse:
    query = analysis_list.AnalysisQuery.from_params(request.query_params)
    with page_read(request) as session:
        found = analysis_list.project_analyses(session, project, query)
    return render(
        request,
        "analyses.html",
        session.caller,
        project=found.project,
        listing=found.listing,
        statuses=analysis_list.STATUSES,
        date_fields=analysis_list.DATE_FIELDS,
    )


@router.get("/projects/{project}/runs", response_class=HTMLResponse)
def runs_list(request: Request, project: str) -> HTMLResponse:
    query = RunQuery.from_params(request.query_params)
    with page_read(request) as session:
        found = project_runs(session, project, query)
    return render(
        request,
        "runs.html",
        session.caller,
        project=found.project,
        listing=found.listing,
        statuses=RUN_STATUSES,
        duration=runs.duration,
    )


@router.get("/projects/{project}/runs/{ar_guid}", response_class=HTMLResponse)
def run_page(request: Request, project: str, ar_guid: str) -> HTMLResponse:
    with page_read(request) as session:
        run = project_run(session, project, ar_guid)
    log = runs.read_log(request.app.state.service.settings.data_dir, run.project, run.record)
    return render(
        request,
        "run.html",
        session.caller,
        project=run.project,
        run=run.record,
        analyses=run.analyses,
        log=log,
        duration=runs.duration,
    )
