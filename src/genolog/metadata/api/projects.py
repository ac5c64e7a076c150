"""Projects: create (with a ``-test`` twin), list, update meta, replace members, wipe a test project."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends

from genolog.metadata import access
from genolog.metadata.api.dependencies import RequestContext, request_context
from genolog.metadata.errors import BadRequest
from genolog.metadata.models import ProjectMemberUpdate
from genolog.metadata.permissions import MEMBER_ADMIN, PROJECT_ADMIN, READ
from genolog.metadata.store import history, projects

router = APIRouter(prefix="/project", tags=["project"])


@router.get("/all", operation_id="getAllProjects")
def get_all_projects(ctx: RequestContext = Depends(request_context)) -> list[dict[str, Any]]:
    """Projects on which the caller holds any role, with those roles."""
    with ctx.read() as tx:
        rows = [r for r in projects.list_all(tx.conn) if ctx.caller.roles_on(r["id"])]
    return [
        {
            "id": r["id"],
            "name": r["name"],
            "dataset": r["dataset"],
            "meta": r["meta"],
            "roles": sorted(ctx.caller.roles_on(r["id"])),
        }
        for r in rows
    ]


@router.get("/", operation_id="getMyProjects")
def get_my_projects(ctx: RequestContext = Depends(request_context)) -> list[str]:
    """Names of the projects the caller can read."""
    with ctx.read() as tx:
        return [r["name"] for r in projects.list_all(tx.conn) if ctx.caller.can_read(r["id"])]


@router.put("/", operation_id="createProject")
def create_project(
    name: str,
    dataset: str | None = None,
    create_test_project: bool = False,
    ctx: RequestContext = Depends(request_context),
) -> int:
    """Create a project (and its ``-test`` twin); the caller becomes the owner of both."""
    with ctx.write() as tx:
        return access.create_project(tx, ctx.caller, name, dataset, create_test_project)


@router.get("/seqr/all", operation_id="getSeqrProjects")
def get_seqr_projects(ctx: RequestContext = Depends(request_context)) -> list[dict[str, Any]]:
    with ctx.read() as tx:
        rows = [
            r
            for r in projects.list_all(tx.conn)
            if ctx.caller.can_read(r["id"]) and (r["meta"] or {}).get("is_seqr")
        ]
    return [{"id": r["id"], "name": r["name"], "dataset": r["dataset"], "meta": r["meta"]} for r in rows]


@router.post("/{project}/update", operation_id="updateProject")
def update_project(
    project: str, body: dict[str, Any] = Body(...), ctx: RequestContext = Depends(request_context)
) -> bool:
    """Merge ``body`` into the project's meta (RFC 7396)."""
    with ctx.write() as tx:
        row = ctx.project(tx, project, PROJECT_ADMIN)
        projects.update_meta(tx, row["id"], body)
    return True


@router.delete("/{project}", operation_id="deleteProjectData")
def delete_project_data(
    project: str, delete_project: bool = False, ctx: RequestContext = Depends(request_context)
) -> bool:
    """Hard-delete all data of a ``-test`` project (and the project itself with ``delete_project``)."""
    with ctx.write() as tx:
        row = ctx.project(tx, project, PROJECT_ADMIN)
        if not projects.is_test_project(row["name"]):
            raise BadRequest(
                f"Only test projects (names ending in '-test') can be wiped; {project!r} is not one"
            )
        projects.delete_data(tx, row["id"], delete_project)
    return True


@router.patch("/{project}/members", operation_id="updateProjectMembers")
def update_project_members(
    project: str, members: list[ProjectMemberUpdate], ctx: RequestContext = Depends(request_context)
) -> bool:
    """Replace the project's member list."""
    with ctx.write() as tx:
        row = ctx.project(tx, project, MEMBER_ADMIN)
        projects.set_members(tx, row["id"], [(m.member, [r.value for r in m.roles]) for m in members])
    return True


@router.get("/{project}/members", operation_id="getProjectMembers")
def get_project_members(project: str, ctx: RequestContext = Depends(request_context)) -> list[dict[str, Any]]:
    with ctx.read() as tx:
        row = ctx.project(tx, project, READ | PROJECT_ADMIN | MEMBER_ADMIN)
        members = projects.members(tx.conn, [row["id"]])[row["id"]]
    return [{"member": m, "roles": roles} for m, roles in members.items()]


@router.get("/{project}/history", operation_id="getProjectHistory")
def get_project_history(project: str, ctx: RequestContext = Depends(request_context)) -> list[dict[str, Any]]:
    with ctx.read() as tx:
        row = ctx.project(tx, project, READ | PROJECT_ADMIN | MEMBER_ADMIN)
        return history.read(tx, "project", row["id"])
