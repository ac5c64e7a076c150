"""Projects: create (with a ``-test`` twin), list, update meta, replace members, wipe a test project."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends

from genolog.metadata.api.dependencies import RequestContext, request_context
from genolog.metadata.models import ProjectMemberUpdate
from genolog.metadata.service import projects
from genolog.metadata.service.history import HistoryEntry
from genolog.metadata.service.projects import ProjectMember, ProjectWithRoles, SeqrProject

router = APIRouter(prefix="/project", tags=["project"])


@router.get("/all", operation_id="getAllProjects")
def get_all_projects(ctx: RequestContext = Depends(request_context)) -> list[ProjectWithRoles]:
    """Projects on which the caller holds any role, with those roles."""
    with ctx.reading() as session:
        return projects.all_with_roles(session)


@router.get("/", operation_id="getMyProjects")
def get_my_projects(ctx: RequestContext = Depends(request_context)) -> list[str]:
    """Names of the projects the caller can read."""
    with ctx.reading() as session:
        return projects.readable_names(session)


@router.put("/", operation_id="createProject")
def create_project(
    name: str,
    dataset: str | None = None,
    create_test_project: bool = False,
    ctx: RequestContext = Depends(request_context),
) -> int:
    """Create a project (and its ``-test`` twin); the caller becomes the owner of both."""
    with ctx.writing() as session:
        return projects.create(session, name, dataset, create_test_project)


@router.get("/seqr/all", operation_id="getSeqrProjects")
def get_seqr_projects(ctx: RequestContext = Depends(request_context)) -> list[SeqrProject]:
    with ctx.reading() as session:
        return projects.seqr_projects(session)


@router.post("/{project}/update", operation_id="updateProject")
def update_project(
    project: str, body: dict[str, Any] = Body(...), ctx: RequestContext = Depends(request_context)
) -> None:
    """Merge ``body["meta"]`` into the project's meta (RFC 7396), as Metamist does; answers null, as it does."""
    with ctx.writing() as session:
        projects.update(session, project, body)


@router.delete("/{project}", operation_id="deleteProjectData")
def delete_project_data(
    project: str, delete_project: bool = False, ctx: RequestContext = Depends(request_context)
) -> bool:
    """Hard-delete all data of a ``-test`` project (and the project itself with ``delete_project``)."""
    with ctx.writing() as session:
        projects.wipe(session, project, delete_project)
    return True


@router.patch("/{project}/members", operation_id="updateProjectMembers")
def update_project_members(
    project: str, members: list[ProjectMemberUpdate], ctx: RequestContext = Depends(request_context)
) -> dict[str, bool]:
    """Replace the project's member list; Metamist's acknowledgement, ``{"success": true}``."""
    with ctx.writing() as session:
        projects.set_members(session, project, members)
    return {"success": True}


@router.get("/{project}/members", operation_id="getProjectMembers")
def get_project_members(project: str, ctx: RequestContext = Depends(request_context)) -> list[ProjectMember]:
    with ctx.reading() as session:
        return projects.members(session, project)


@router.get("/{project}/history", operation_id="getProjectHistory")
def get_project_history(project: str, ctx: RequestContext = Depends(request_context)) -> list[HistoryEntry]:
    with ctx.reading() as session:
        return projects.history_of(session, project)
