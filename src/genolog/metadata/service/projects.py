"""Projects: create (with a ``-test`` twin), list, update meta, wipe a test project, members and their roles.

Reading a project's members or history needs a read role or one of the admin roles on it; changing its
meta or wiping it needs ``PROJECT_ADMIN``; replacing its members needs ``MEMBER_ADMIN``. A project on which
the caller holds no role does not exist for it (404), as everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

from genolog.metadata.errors import BadRequest, Forbidden
from genolog.metadata.models import ProjectMemberUpdate, Role
from genolog.metadata.permissions import ALL_ROLES, MEMBER_ADMIN, PROJECT_ADMIN, READ, Caller
from genolog.metadata.service.deferred import Deferred, made
from genolog.metadata.service.history import HistoryEntry, recorded_changes
from genolog.metadata.service.session import Session
from genolog.metadata.store import projects

#: who may see a project's members and history: its readers and its admins (who may not read its data)
_SEE_MEMBERS = READ | PROJECT_ADMIN | MEMBER_ADMIN

T = TypeVar("T")
Members = dict[str, list[str]]  # member -> roles


class ProjectWithRoles(BaseModel):
    """A project on which the caller holds a role, with those roles."""

    id: int
    name: str
    dataset: str
    meta: dict[str, Any] | None
    roles: list[str]


class SeqrProject(BaseModel):
    id: int
    name: str
    dataset: str
    meta: dict[str, Any] | None


class ProjectMember(BaseModel):
    member: str
    roles: list[str]


class ManagedMembers(BaseModel):
    """A project's member list as its member admin manages it."""

    project_id: int
    project: str
    members: Members


def all_with_roles(session: Session) -> list[ProjectWithRoles]:
    """Projects on which the caller holds any role, with those roles."""
    caller = session.caller
    return [
        ProjectWithRoles(
            id=r["id"], name=r["name"], dataset=r["dataset"], meta=r["meta"], roles=sorted(roles)
        )
        for r in projects.list_all(session.tx.conn)
        if (roles := caller.roles_on(r["id"]))
    ]


def readable_names(session: Session) -> list[str]:
    """Names of the projects the caller can read."""
    return [r["name"] for r in projects.list_all(session.tx.conn) if session.caller.can_read(r["id"])]


def seqr_projects(session: Session) -> list[SeqrProject]:
    """The readable projects whose meta marks them as seqr projects (``is_seqr``)."""
    return [
        SeqrProject(id=r["id"], name=r["name"], dataset=r["dataset"], meta=r["meta"])
        for r in projects.list_all(session.tx.conn)
        if session.caller.can_read(r["id"]) and (r["meta"] or {}).get("is_seqr")
    ]


def create(session: Session, name: str, dataset: str | None, create_test_project: bool) -> int:
    """Create a project (and its ``-test`` twin); the caller, who needs the site role project-creator,
    becomes the owner of both."""
    return session.create_project(name, dataset, create_test_project)


def update(session: Session, project: str, update: Deferred[Any]) -> int:
    """Apply a project update, Metamist's ``{"meta": {...}}``: its ``meta`` is merged into the project's
    (RFC 7396; missing, null or ``{}`` changes nothing). The project's id."""
    project_id: int = session.project(project, PROJECT_ADMIN)["id"]
    patch = _meta_of_update(made(update))
    if patch:
        projects.update_meta(session.tx, project_id, patch)
    return project_id


def _meta_of_update(update: Any) -> dict[str, Any]:
    """The meta patch of a project update. Metamist reads only ``meta`` and ignores other keys; they are
    refused here, so that a caller sending the meta itself (``{"is_seqr": true}``) is told, not ignored."""
    if not isinstance(update, dict):
        raise BadRequest('A project update must be a JSON object such as {"meta": {"is_seqr": true}}')
    unknown = sorted(set(update) - {"meta"})
    if unknown:
        raise BadRequest(
            f"A project update has only 'meta' (the patch to merge into the project's meta), not "
            f'{", ".join(map(repr, unknown))}: send {{"meta": {{...}}}}'
        )
    meta = update.get("meta")
    if meta is not None and not isinstance(meta, dict):
        raise BadRequest("A project update's 'meta' must be a JSON object (or null)")
    return meta or {}


def wipe(session: Session, project: str, delete_project: bool) -> None:
    """Hard-delete all data of a ``-test`` project (and the project itself with ``delete_project``)."""
    row = session.project(project, PROJECT_ADMIN)
    if not projects.is_test_project(row["name"]):
        raise BadRequest(f"Only test projects (names ending in '-test') can be wiped; {project!r} is not one")
    projects.delete_data(session.tx, row["id"], delete_project)


def set_members(session: Session, project: str, members: Deferred[list[ProjectMemberUpdate]]) -> int:
    """Replace the project's member list; the project's id."""
    project_id: int = session.project(project, MEMBER_ADMIN)["id"]
    new_members = [(m.member, [r.value for r in m.roles]) for m in made(members)]
    projects.set_members(session.tx, project_id, new_members)
    return project_id


def members(session: Session, project: str) -> list[ProjectMember]:
    row = session.project(project, _SEE_MEMBERS)
    found = projects.members(session.tx.conn, [row["id"]])[row["id"]]
    return [ProjectMember(member=m, roles=roles) for m, roles in found.items()]


def history_of(session: Session, project: str) -> list[HistoryEntry]:
    row = session.project(project, _SEE_MEMBERS)
    return recorded_changes(session.tx, "project", row["id"])


def changed(session: Session, project_id: int) -> Mapping[Any, Any]:
    """The row of a project this session has just created or changed (each of those functions checked
    the caller's role on it), read again after the change: what a mutation answers with. How much of it
    a caller who administers the project without reading it sees is the answer's business (GraphQL's
    ``GraphQLProject`` leaves out its meta)."""
    return projects.get_by_id(session.tx.conn, project_id)


# --- the members page: a member admin changes one member at a time -----------------------------------------


def _managed_project(session: Session, name: str) -> Mapping[Any, Any]:
    """The project, if the caller may manage its members: else the 404 of a caller without a role, or a
    403 saying who may."""
    row = session.project(name, ALL_ROLES)
    caller = session.caller
    roles = caller.roles_on(row["id"])
    if not roles & MEMBER_ADMIN:
        raise Forbidden(
            f"Only member admins can manage the members of {name!r}. You ({caller.user}) have the roles "
            f"{', '.join(sorted(roles))} there; a member admin (role {Role.project_member_admin.value}), "
            "a site admin or a members-admin can change members."
        )
    return row


def managed_members(session: Session, project: str) -> ManagedMembers:
    """The member list of a project whose members the caller manages (see ``_managed_project``)."""
    row = _managed_project(session, project)
    found = projects.members(session.tx.conn, [row["id"]])[row["id"]]
    return ManagedMembers(project_id=row["id"], project=row["name"], members=found)


def change_members(
    session: Session, project: str, change: Callable[[str, Members], tuple[Members, T]]
) -> tuple[ManagedMembers, T]:
    """Replace the member list of a project whose members the caller manages with what ``change`` makes
    of it (given the project's name and the current list; it answers the new list and what to pass on).

    The list is locked before it is read, so that two member admins at once each change the list the
    other left (PostgreSQL) rather than overwrite it."""
    row = _managed_project(session, project)
    projects.lock_members(session.tx.conn, row["id"])
    current = projects.members(session.tx.conn, [row["id"]])[row["id"]]
    updated, outcome = change(row["name"], current)
    projects.set_members(session.tx, row["id"], list(updated.items()))
    return ManagedMembers(project_id=row["id"], project=row["name"], members=updated), outcome


def roles_after_change(caller: Caller, managed: ManagedMembers) -> set[str]:
    """The caller's roles on the project once ``managed`` is its member list: where a member admin who
    changed their own roles may still go."""
    own = set(managed.members.get(caller.user, ()))
    return Caller(caller.user, caller.site_roles, {managed.project_id: own}).roles_on(managed.project_id)
