"""The web interface's routes: sign-in and out, home, project (grid and export), sample and analysis.

Pages read through the GraphQL API in-process (``graph.query``) for entities, and through the grouped
SQL of ``overview``, ``grid`` and ``changes`` for counts, the sample grid and histories; every page runs
a fixed number of statements in one read transaction, whatever the project's size.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from genolog.metadata import access
from genolog.metadata.context import Tx
from genolog.metadata.errors import NotFound
from genolog.metadata.ids import int_or_none
from genolog.metadata.permissions import MEMBER_ADMIN, READ, WRITE, Caller
from genolog.metadata.reads import read_files
from genolog.metadata.service import Service
from genolog.web import changes, edits, graph, grid, overview, session
from genolog.web.render import PageRoute, page_read, render, sign_in_page

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/signin", response_class=HTMLResponse)
def sign_in_form(request: Request, next: str = "/") -> HTMLResponse:
    return sign_in_page(request, next_path=session.safe_next(next))


@router.post("/signin", response_class=HTMLResponse)
def sign_in(request: Request, token: str = Form(""), next: str = Form("/")) -> Response:
    svc: Service = request.app.state.service
    target = session.safe_next(next)
    token = token.strip()
    if not token:
        return sign_in_page(
            request, 400, "Enter an API token (make one with `genolog token create`).", target
        )
    with svc.db.read() as conn:
        caller = session.caller_for_token(conn, token)
    if caller is None:
        return sign_in_page(request, 401, "That API token is unknown or revoked.", target)
    response = RedirectResponse(target, status_code=303)
    session.start(response, request, token)
    return response


@router.post("/signout")
def sign_out(request: Request) -> Response:
    response = RedirectResponse("/signin" if not request.app.state.service.settings.dev_user else "/", 303)
    session.end(response, request)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    with page_read(request) as (caller, tx):
        readable = dict(sorted(access.readable_projects(tx, caller).items(), key=lambda item: item[1]))
        counts = overview.counts(tx.conn, list(readable))
        activity = overview.recent_activity(tx.conn, readable)
    projects = [(name, counts[pid]) for pid, name in readable.items()]
    return render(request, "home.html", caller, projects=projects, activity=activity)


@router.get("/projects/{project}", response_class=HTMLResponse)
def project_page(request: Request, project: str) -> HTMLResponse:
    query = grid.GridQuery.from_params(request.query_params)
    with page_read(request) as (caller, tx):
        row = access.project_by_name(tx, caller, project, READ)
        counts = overview.counts(tx.conn, [row["id"]])[row["id"]]
        page = grid.grid_page(tx, row["id"], query)
        activity = overview.recent_activity(tx.conn, {row["id"]: row["name"]}, limit=10)
    return render(
        request,
        "project.html",
        caller,
        project=row["name"],
        dataset=row["dataset"],
        counts=counts,
        grid=page,
        activity=activity,
        manage_members=bool(caller.roles_on(row["id"]) & MEMBER_ADMIN),
    )


@router.get("/projects/{project}/samples.{kind}")
def export_samples(request: Request, project: str, kind: str) -> Response:
    delimiters = {"csv": ",", "tsv": "\t"}
    if kind not in delimiters:
        raise NotFound(f"No export format {kind!r}: use samples.csv or samples.tsv")
    query = grid.GridQuery.from_params(request.query_params)
    with ExitStack() as stack:
        caller, tx = stack.enter_context(page_read(request))
        row = access.project_by_name(tx, caller, project, READ)
        chunks = grid.export(tx, row["id"], query, delimiters[kind])
        held = stack.pop_all()  # the read transaction stays open while the rows stream out
    media = "text/csv" if kind == "csv" else "text/tab-separated-values"
    return StreamingResponse(
        grid.Streamed(chunks, held),
        media_type=f"{media}; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{row["name"]}-samples.{kind}"',
            "Cache-Control": "no-store",
        },
    )


SAMPLE_QUERY = """
query ($project: String!, $id: String!) {
  project(name: $project) {
    name
    samples(id: {eq: $id}) {
      id externalId externalIds type meta active
      participant { id externalId externalIds reportedSex reportedGender karyotype meta }
      assays { id type meta }
      sequencingGroups {
        id type technology platform archived meta
        analyses(active: {in_: [true, false]}) { id type status active output meta timestampCompleted }
      }
    }
  }
}
"""


@router.get("/projects/{project}/samples/{sample_id}", response_class=HTMLResponse)
def sample_page(request: Request, project: str, sample_id: str) -> HTMLResponse:
    with page_read(request) as (caller, tx):
        name, sample, can_write = _one_writable(
            tx,
            caller,
            project,
            SAMPLE_QUERY,
            {"project": project, "id": sample_id},
            "samples",
            f"Sample {sample_id!r}",
        )
        codecs = tx.codecs
        entities = {
            "sample": [codecs.sample.parse(sample["id"])],
            "assay": [a["id"] for a in sample["assays"]],
            "sequencing_group": [codecs.sequencing_group.parse(g["id"]) for g in sample["sequencingGroups"]],
        }
        if sample["participant"]:
            entities["participant"] = [sample["participant"]["id"]]
        history = changes.history(tx, entities)
    names = {
        ("sample", entities["sample"][0]): sample["id"],
        **{
            ("sequencing_group", pk): g["id"]
            for pk, g in zip(entities["sequencing_group"], sample["sequencingGroups"], strict=True)
        },
    }
    return render(
        request,
        "sample.html",
        caller,
        project=name,
        sample=sample,
        files={a["id"]: read_files(a) for a in sample["assays"]},
        history=history,
        names=names,
        can_write=can_write,
    )


ANALYSIS_QUERY = """
query ($project: String!, $id: Int!) {
  project(name: $project) {
    name
    analyses(ids: {eq: $id}, active: {in_: [true, false]}) {
      id type status active output outputs meta timestampCompleted
      sequencingGroups { id type technology platform sample { id externalId } }
      auditLogs { id author timestamp arGuid comment meta }
    }
  }
}
"""

RUN_QUERY = """
query ($guid: String!) {
  analysisRunner(arGuid: $guid) {
    arGuid timestamp accessLevel repository commit script description driverImage configPath cwd
    environment batchUrl submittingUser outputPath status exitCode durationSeconds finishedAt meta
    project { name }
  }
}
"""


@router.get("/projects/{project}/analyses/{analysis_id}", response_class=HTMLResponse)
def analysis_page(request: Request, project: str, analysis_id: str) -> HTMLResponse:
    number = int_or_none(analysis_id)
    if number is None:
        raise NotFound(f"Analysis {analysis_id!r} not found in project {project!r}")
    with page_read(request) as (caller, tx):
        variables = {"project": project, "id": number}
        name, analysis, can_write = _one_writable(
            tx, caller, project, ANALYSIS_QUERY, variables, "analyses", f"Analysis {analysis_id}"
        )
        guid = next((log["arGuid"] for log in analysis["auditLogs"] if log["arGuid"]), None)
        run = None
        if guid:
            try:
                run = graph.query(tx, caller, RUN_QUERY, {"guid": guid})["analysisRunner"]
            except NotFound:
                run = None  # recorded on a project the caller cannot read
    return render(
        request,
        "analysis.html",
        caller,
        project=name,
        analysis=analysis,
        run=run,
        ar_guid=guid,
        can_write=can_write,
        statuses=edits.ANALYSIS_STATUSES,
    )


PARTICIPANT_QUERY = """
query ($project: String!, $id: Int!) {
  project(name: $project) {
    name
    participants(id: {eq: $id}) {
      id externalId externalIds reportedSex reportedGender karyotype meta phenotypes
      samples { id externalId type active sequencingGroups { id type technology platform } }
      families { id externalId }
    }
  }
}
"""


@router.get("/projects/{project}/participants/{participant_id}", response_class=HTMLResponse)
def participant_page(request: Request, project: str, participant_id: str) -> HTMLResponse:
    number = int_or_none(participant_id)
    if number is None:
        raise NotFound(f"Participant {participant_id!r} not found in project {project!r}")
    with page_read(request) as (caller, tx):
        variables = {"project": project, "id": number}
        name, participant, can_write = _one_writable(
            tx, caller, project, PARTICIPANT_QUERY, variables, "participants", f"Participant {participant_id}"
        )
        history = changes.history(tx, {"participant": [participant["id"]]})
    return render(
        request,
        "participant.html",
        caller,
        project=name,
        participant=participant,
        history=history,
        can_write=can_write,
    )


def _one(
    tx: Tx, caller: Caller, project: str, query: str, variables: dict[str, Any], field: str, missing: str
) -> tuple[str, dict[str, Any]]:
    """The project's name and the one entity ``query`` finds under ``field``; else a 404 naming ``missing``."""
    name, entity, _ = _one_writable(tx, caller, project, query, variables, field, missing)
    return name, entity


def _one_writable(
    tx: Tx, caller: Caller, project: str, query: str, variables: dict[str, Any], field: str, missing: str
) -> tuple[str, dict[str, Any], bool]:
    """``_one``, and whether the caller may write the project (the page then shows its edit forms).

    The access check comes first, so an unreadable project gets the API's 404 wording, not GraphQL's."""
    row = access.project_by_name(tx, caller, project, READ)
    data = graph.query(tx, caller, query, variables)["project"]
    if not data[field]:
        raise NotFound(f"{missing} not found in project {project!r}")
    return data["name"], data[field][0], bool(caller.roles_on(row["id"]) & WRITE)
