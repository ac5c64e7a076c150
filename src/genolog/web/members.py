"""The members page ``/projects/{project}/members``: a project's members and roles, managed by its member
admins.

The page lists the members with a checkbox per role; each row saves or removes one member, and a form
below adds one. A POST changes one member and writes the whole list through
``service.projects.change_members`` (replacing it as ``PATCH /api/v1/project/{project}/members`` does) in
one write transaction, recorded in the audit log and the project's history as the signed-in user's,
then redirects back with a message.

Who may: the REST API's rule, ``MEMBER_ADMIN``: the project's ``project_member_admin``s and the site roles
``admin`` and ``members-admin``. ``project_admin`` alone is not enough, as in Metamist (where the site
role ``project-creator`` holds project_admin on every project). A project's creator gets
project_member_admin on it with its other owner roles. Anyone else with a role on the project gets a 403
page saying so; a caller with none gets the usual 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from genolog.metadata.errors import BadRequest
from genolog.metadata.models import Role
from genolog.metadata.permissions import MEMBER_ADMIN, READ
from genolog.metadata.service import projects
from genolog.metadata.service.history import Change, project_history
from genolog.web import flash
from genolog.web.render import PageRoute, page_read, page_write, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

#: every project role, in the order of the table's columns, with what it lets a member do
ROLES: dict[str, str] = {
    Role.reader.value: "read the project's data",
    Role.contributor.value: "read, comment, and record test-level analysis-runner runs and cohorts",
    Role.writer.value: "read and change the project's data",
    Role.project_admin.value: "change the project's settings and wipe its -test data",
    Role.project_member_admin.value: "manage these members and their roles",
}
ADMIN_ROLE = Role.project_member_admin.value
_LONGEST_NAME = 255  # project_member.member


@dataclass
class MemberChange:
    """One change of the member list, for the page's history: who, when, and what in words."""

    timestamp: Any
    author: str
    lines: list[str]


def checked_member(name: str) -> str:
    """A user name as API tokens and members have them: not empty, no spaces or control characters."""
    name = name.strip()
    if not name:
        raise BadRequest("Enter the member's user name (the user their API token belongs to).")
    if len(name) > _LONGEST_NAME:
        raise BadRequest(f"A user name can be at most {_LONGEST_NAME} characters long, got {len(name)}.")
    if any(c.isspace() or not c.isprintable() for c in name):
        raise BadRequest(f"Invalid user name {name!r}: no spaces or control characters.")
    return name


def checked_roles(roles: list[str]) -> list[str]:
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise BadRequest(f"Unknown role {unknown[0]!r}: the roles are {', '.join(ROLES)}.")
    return [r for r in ROLES if r in roles]  # the table's order, each once


def changed_members(
    project: str, current: dict[str, list[str]], action: str, member: str, roles: list[str]
) -> tuple[dict[str, list[str]], str]:
    """The member list after ``action`` (add, save or remove) on ``member``, and the message saying so."""
    updated = dict(current)
    if action == "add":
        if member in current:
            raise BadRequest(f"{member} is already a member of {project}: change their roles in the table.")
        if not roles:
            raise BadRequest(f"Tick at least one role for {member}.")
        updated[member] = roles
        message = f"Added {member} to {project} as {', '.join(roles)}."
    elif action in ("save", "remove"):
        if member not in current:
            raise BadRequest(f"{member} is not a member of {project}.")
        if action == "remove":
            del updated[member]
            message = f"Removed {member} from {project}."
        elif not roles:
            raise BadRequest(f"{member} would have no role left: tick at least one, or remove them.")
        else:
            updated[member] = roles
            message = f"{member} now has the roles {', '.join(roles)} on {project}."
    else:
        raise BadRequest(f"Unknown action {action!r}: add, save or remove.")
    had_admin = any(ADMIN_ROLE in r for r in current.values())
    if had_admin and not any(ADMIN_ROLE in r for r in updated.values()):
        raise BadRequest(
            f"{project} would have no member admin left: give another member the {ADMIN_ROLE} role first."
        )
    return updated, message


def member_changes(history: list[Change]) -> list[MemberChange]:
    """The project's changes that touched its members, in words (added, removed, roles changed)."""
    result = []
    for change in history:
        if "members" not in change.fields:
            continue
        old, new = change.fields["members"]
        old, new = old or {}, new or {}
        lines = [f"added {m} ({', '.join(new[m])})" for m in new if m not in old]
        lines += [f"removed {m}" for m in old if m not in new]
        lines += [
            f"{m}: {', '.join(new[m])} (was {', '.join(old[m])})"
            for m in new
            if m in old and old[m] != new[m]
        ]
        if lines:  # a creation records the empty list
            result.append(MemberChange(change.timestamp, change.author, lines))
    return result


def members_page(
    request: Request, project: str, status: int = 200, error: str | None = None, **entered: Any
) -> HTMLResponse:
    with page_read(request) as opened:
        managed = projects.managed_members(opened, project)
        history = project_history(opened, managed.project_id, limit=50)
    return render(
        request,
        "members.html",
        opened.caller,
        status,
        project=managed.project,
        members=managed.members,
        roles=ROLES,
        history=member_changes(history)[:20],
        error=error,
        entered=entered,
    )


@router.get("/projects/{project}/members", response_class=HTMLResponse)
def show_members(request: Request, project: str) -> HTMLResponse:
    return members_page(request, project)


@router.post("/projects/{project}/members", response_class=HTMLResponse)
def change_members(
    request: Request,
    project: str,
    action: str = Form(""),
    member: str = Form(""),
    roles: list[str] = Form([]),
) -> Response:
    try:
        name, wanted = checked_member(member), checked_roles(roles)
        with page_write(request) as session:
            caller = session.caller
            managed, message = projects.change_members(
                session,
                project,
                lambda shown, current: changed_members(shown, current, action, name, wanted),
            )
    except BadRequest as error:  # the page again, with the message and what was entered: nothing written
        entered = {"member": member, "roles": roles} if action == "add" else {}
        return members_page(request, project, 400, str(error), **entered)
    # a member admin who took the role from themselves goes where they still may go
    after = projects.roles_after_change(caller, managed)
    here = f"/projects/{managed.project}"
    if after & MEMBER_ADMIN:
        target = f"{here}/members"
    elif after & READ:
        target = here
    else:
        target = "/"
    response = RedirectResponse(target, status_code=303)
    flash.put(request, response, message)
    return response
