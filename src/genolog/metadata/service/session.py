"""A caller inside one transaction: the first argument of every service function, and the only place
that decides which projects a caller sees.

A project on which the caller holds no role does not exist for it (404); one on which it holds roles but
not the needed one is forbidden (403) (``permissions.Caller.require``). Service functions look a project
up here before they read or write anything of it, and entities named by id are checked against the
project they belong to (``project_by_id``, ``in_project``) so that an id of another project answers the
same 404 as one that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import Connection, RowMapping

from genolog.metadata.context import AuditInfo, IdCodecs, Tx
from genolog.metadata.db import statement_time_limit
from genolog.metadata.errors import Forbidden, NotFound
from genolog.metadata.permissions import READ, Caller, run_roles
from genolog.metadata.service._service import Service
from genolog.metadata.store import analysis_runner, projects


class Session:
    """``caller`` working in ``tx``: what the caller may see and change, checked once, here."""

    def __init__(self, tx: Tx, caller: Caller) -> None:
        self.tx = tx
        self.caller = caller
        self._readable: dict[int, str] | None = None

    @property
    def codecs(self) -> IdCodecs:
        return self.tx.codecs

    @property
    def writes(self) -> bool:
        return self.tx.writes

    def project(self, name: str, needed: frozenset[str] = READ, not_found: str | None = None) -> RowMapping:
        """The named project, if the caller holds one of the ``needed`` roles on it (locked in a write)."""
        missing = not_found or f"Project {name!r} not found"
        row = projects.get_by_name(self.tx.conn, name, lock=self.tx.writes)
        if row is None:
            raise NotFound(missing)
        self.caller.require(row["id"], name, needed, missing)
        return row

    def project_by_id(self, project_id: int, needed: frozenset[str], not_found: str) -> RowMapping:
        """The project of an entity; ``not_found`` (naming the entity) is the 404 when it is not visible."""
        row = projects.get_by_id(self.tx.conn, project_id, lock=self.tx.writes)
        self.caller.require(row["id"], row["name"], needed, not_found)
        return row

    def roles_on(self, project_id: int) -> set[str]:
        """The caller's roles on the project (site roles included)."""
        return self.caller.roles_on(project_id)

    def can_read(self, project_id: int) -> bool:
        return self.caller.can_read(project_id)

    def require_readable(self, project_id: int, name: str) -> None:
        """Nothing if the caller may read the project; else its 404, or the 403 naming the roles it lacks."""
        self.caller.require(project_id, name, READ)

    def readable_projects(self, names: list[str] | None = None) -> dict[int, str]:
        """Readable projects, id -> name: all of them, or the named ones (an unreadable name is a 404)."""
        if names is not None:
            rows = [self.project(n, READ) for n in names]
            return {r["id"]: r["name"] for r in rows}
        if self._readable is None:
            self._readable = {
                r["id"]: r["name"] for r in projects.list_all(self.tx.conn) if self.caller.can_read(r["id"])
            }
        return self._readable

    def readable_ids(self) -> list[int] | None:
        """Ids of the projects the caller may read, or None for an admin, who reads every project (so a
        query needs no condition, rather than one listing every project)."""
        if self.caller.is_admin:
            return None
        return sorted(self.readable_projects())

    @contextmanager
    def statement_time_limit(self, seconds: float) -> Iterator[None]:
        """Each SQL statement of this session limited to ``seconds`` (``db.statement_time_limit``)."""
        with statement_time_limit(self.tx.conn, seconds):
            yield

    def create_project(self, name: str, dataset: str | None, create_test_project: bool) -> int:
        """A new project (and ``-test`` twin) owned by the caller, who needs the site role project-creator."""
        caller = self.caller
        if not caller.can_create_projects:
            raise Forbidden(f"User {caller.user!r} may not create projects (needs the project-creator role)")
        project_id = projects.create(self.tx, name, dataset, create_test_project, owner=caller.user)
        # the rest of the request (a mutation's answer) sees the caller as the owner it now is
        caller.project_roles = projects.roles_by_project(self.tx.conn, caller.user)
        self._readable = None
        return project_id

    def run_to_change(self, ar_guid: str) -> dict[str, Any]:
        """An analysis-runner record whose outcome or meta the caller may change: one it could have
        recorded (``permissions.run_roles`` of its access level), else a 403, or the 404 of a missing one."""
        row = analysis_runner.get_row(self.tx, ar_guid)
        self.project_by_id(
            row["project_id"], run_roles(row["access_level"]), f"No analysis-runner record {ar_guid!r}"
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


@contextmanager
def reading(svc: Service, caller: Caller) -> Iterator[Session]:
    """A read-only session: one connection, one transaction."""
    with svc.db.read() as conn:
        yield Session(Tx(conn, svc.codecs), caller)


@contextmanager
def writing(svc: Service, caller: Caller, audit: AuditInfo) -> Iterator[Session]:
    """All or nothing: the changes, their history and the audit entry ``audit`` commit together."""
    with svc.db.write() as conn:
        tx = Tx(conn, svc.codecs, audit)
        yield Session(tx, caller)
        tx.finish()


def session_on(conn: Connection, codecs: IdCodecs, caller: Caller, audit: AuditInfo | None = None) -> Session:
    """A session in a transaction the front end already holds (one that authenticated in it)."""
    return Session(Tx(conn, codecs, audit), caller)
