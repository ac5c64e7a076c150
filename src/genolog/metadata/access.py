"""The caller's view of projects inside a transaction, shared by the REST and GraphQL APIs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.engine import RowMapping

from genolog.metadata.context import Tx
from genolog.metadata.errors import Forbidden, NotFound
from genolog.metadata.permissions import READ, Caller, run_roles
from genolog.metadata.store import analysis_runner, projects


def project_by_name(
    tx: Tx, caller: Caller, name: str, needed: frozenset[str], not_found: str | None = None
) -> RowMapping:
    """The named project, if the caller holds one of the ``needed`` roles on it."""
    missing = not_found or f"Project {name!r} not found"
    row = projects.get_by_name(tx.conn, name, lock=tx.writes)
    if row is None:
        raise NotFound(missing)
    caller.require(row["id"], name, needed, missing)
    return row


def create_project(tx: Tx, caller: Caller, name: str, dataset: str | None, create_test_project: bool) -> int:
    """A new project (and ``-test`` twin) owned by the caller, who needs the site role project-creator."""
    if not caller.can_create_projects:
        raise Forbidden(f"User {caller.user!r} may not create projects (needs the project-creator role)")
    project_id = projects.create(tx, name, dataset, create_test_project, owner=caller.user)
    # the rest of the request (a mutation's answer) sees the caller as the owner it now is
    caller.project_roles = projects.roles_by_project(tx.conn, caller.user)
    return project_id


def project_by_id(
    tx: Tx, caller: Caller, project_id: int, needed: frozenset[str], not_found: str
) -> RowMapping:
    """The project of an entity; ``not_found`` (naming the entity) is the 404 when it is not visible."""
    row = projects.get_by_id(tx.conn, project_id, lock=tx.writes)
    caller.require(row["id"], row["name"], needed, not_found)
    return row


def run_to_change(tx: Tx, caller: Caller, ar_guid: str) -> dict[str, Any]:
    """An analysis-runner record whose outcome or meta the caller may change: one it could have recorded
    (``permissions.run_roles`` of its access level), else a 403, or the 404 of a missing one."""
    row = analysis_runner.get_row(tx, ar_guid)
    project_by_id(
        tx,
        caller,
        row["project_id"],
        run_roles(row["access_level"]),
        f"No analysis-runner record {ar_guid!r}",
    )
    return row


def in_project(project_id: int, load: Callable[[], Mapping[str, Any]], not_found: str) -> Mapping[str, Any]:
    """An entity named by id within a named project, as ``load`` reads it (a row with ``project_id``).

    One that does not exist and one of another project answer the same 404 with the same ``not_found``
    message, so the answer does not tell whether the id exists elsewhere."""
    try:
        row = load()
    except NotFound:
        raise NotFound(not_found) from None
    if row["project_id"] != project_id:
        raise NotFound(not_found)
    return row


def readable_projects(tx: Tx, caller: Caller, names: list[str] | None = None) -> dict[int, str]:
    """Readable projects, id -> name: all of them, or the named ones (an unreadable name is a 404)."""
    if names is not None:
        rows = [project_by_name(tx, caller, n, READ) for n in names]
    else:
        rows = [r for r in projects.list_all(tx.conn) if caller.can_read(r["id"])]
    return {r["id"]: r["name"] for r in rows}
