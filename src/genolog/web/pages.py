"""The web interface's routes: sign-in and out, home, project (grid and export), sample and analysis.

Pages read through the GraphQL API in-process (``graph.query``) for entities, and through the service
layer (``service.overview``, ``service.grid``, ``service.history``) for counts, the sample grid and
histories; every page runs a fixed number of statements in one read transaction, whatever the
project's size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from genolog.metadata.errors import NotFound
from genolog.metadata.ids import int_or_none
from genolog.metadata.read_files import read_files
from genolog.metadata.service import Service, Session, grid, overview
from genolog.metadata.service.browser import page_project, token_owner
from genolog.metadata.service.history import entity_history
from genolog.metadata.service.oidc import end_web_session
from genolog.metadata.streamed import Streamed, StreamedResponse, hold_open
from genolog.web import edits, graph, session
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
    if token_owner(svc, token) is None:
        return sign_in_page(request, 401, "That API token is unknown or revoked.", target)
    response = RedirectResponse(target, status_code=303)
    session.start(response, request, token)
    return response


@router.post("/signout")
def sign_out(request: Request) -> Response:
    svc: Service = request.app.state.service
    token = request.cookies.get(session.COOKIE)
    if token:
        end_web_session(svc, token)  # a token minted for a sign-in with the provider ends with the session
    response = RedirectResponse("/signin" if not svc.settings.dev_user else "/", 303)
    session.end(response, request)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    with page_read(request) as opened:
        found = overview.home(opened)
    return render(request, "home.html", opened.caller, projects=found.projects, activity=found.activity)


@router.get("/projects/{project}", response_class=HTMLResponse)
def project_page(request: Request, project: str) -> HTMLResponse:
    query = grid.GridQuery.from_params(request.query_params)
    with page_read(request) as opened:
        found = overview.project_overview(opened, project, query)
    return render(
        request,
        "project.html",
        opened.caller,
        project=found.name,
        dataset=found.dataset,
        counts=found.counts,
        grid=found.grid,
        activity=found.activity,
        manage_members=found.manage_members,
    )


@router.get("/projects/{project}/samples.{kind}")
def export_samples(request: Request, project: str, kind: str) -> Response:
    delimiters = {"csv": ",", "tsv": "\t"}
    if kind not in delimiters:
        raise NotFound(f"No export format {kind!r}: use samples.csv or samples.tsv")
    query = grid.GridQuery.from_params(request.query_params)
    exported, held = hold_open(
        page_read(request), lambda opened: grid.export(opened, project, query, delimiters[kind])
    )
    media = "text/csv" if kind == "csv" else "text/tab-separated-values"
    return StreamedResponse(
        Streamed(exported.chunks, held),
        media_type=f"{media}; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{exported.project}-samples.{kind}"',
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
    with page_read(request) as opened:
        found = found_entity(
            request,
            opened,
            project,
            SAMPLE_QUERY,
            {"project": project, "id": sample_id},
            "samples",
            f"Sample {sample_id!r}",
        )
        sample = found.entity
        codecs = opened.codecs
        entities = {
            "sample": [codecs.sample.parse(sample["id"])],
            "assay": [a["id"] for a in sample["assays"]],
            "sequencing_group": [codecs.sequencing_group.parse(g["id"]) for g in sample["sequencingGroups"]],
        }
        if sample["participant"]:
            entities["participant"] = [sample["participant"]["id"]]
        history = entity_history(opened, found.project_id, entities)
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
        opened.caller,
        project=found.name,
        sample=sample,
        files={a["id"]: read_files(a) for a in sample["assays"]},
        history=history,
        names=names,
        can_write=found.can_write,
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
    with page_read(request) as opened:
        variables = {"project": project, "id": number}
        found = found_entity(
            request, opened, project, ANALYSIS_QUERY, variables, "analyses", f"Analysis {analysis_id}"
        )
        analysis = found.entity
        guid = next((log["arGuid"] for log in analysis["auditLogs"] if log["arGuid"]), None)
        run = None
        if guid:
            try:
                run = graph.query(request, opened, RUN_QUERY, {"guid": guid})["analysisRunner"]
            except NotFound:
                run = None  # recorded on a project the caller cannot read
    return render(
        request,
        "analysis.html",
        opened.caller,
        project=found.name,
        analysis=analysis,
        run=run,
        ar_guid=guid,
        can_write=found.can_write,
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
    with page_read(request) as opened:
        variables = {"project": project, "id": number}
        found = found_entity(
            request,
            opened,
            project,
            PARTICIPANT_QUERY,
            variables,
            "participants",
            f"Participant {participant_id}",
        )
        participant = found.entity
        history = entity_history(opened, found.project_id, {"participant": [participant["id"]]})
    return render(
        request,
        "participant.html",
        opened.caller,
        project=found.name,
        participant=participant,
        history=history,
        can_write=found.can_write,
    )


@dataclass
class Found:
    """The one entity a page's query found, and its project."""

    project_id: int
    name: str  # the project's, as stored
    entity: dict[str, Any]
    can_write: bool  # the caller may write the project: the page shows its edit forms


def found_entity(
    request: Request,
    opened: Session,
    project: str,
    query: str,
    variables: dict[str, Any],
    field: str,
    missing: str,
) -> Found:
    """The one entity ``query`` finds under ``field`` (else a 404 naming ``missing``), with the project's
    name and id and whether the caller may write the project.

    The access check comes first, so an unreadable project gets the API's 404 wording, not GraphQL's."""
    checked = page_project(opened, project)
    data = graph.query(request, opened, query, variables)["project"]
    if not data[field]:
        raise NotFound(f"{missing} not found in project {project!r}")
    return Found(checked.id, data["name"], data[field][0], checked.can_write)
