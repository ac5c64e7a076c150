"""The transaction-level form of ``service.Session``'s project checks, for the code not yet moved onto
the service layer (issue 20): each function is the ``Session`` method of the same name."""

from __future__ import annotations

from sqlalchemy.engine import RowMapping

from genolog.metadata.context import Tx
from genolog.metadata.permissions import Caller
from genolog.metadata.service.session import Session, in_project

__all__ = [
    "in_project",
    "project_by_id",
    "project_by_name",
    "readable_projects",
]


def project_by_name(
    tx: Tx, caller: Caller, name: str, needed: frozenset[str], not_found: str | None = None
) -> RowMapping:
    return Session(tx, caller).project(name, needed, not_found)


def project_by_id(
    tx: Tx, caller: Caller, project_id: int, needed: frozenset[str], not_found: str
) -> RowMapping:
    return Session(tx, caller).project_by_id(project_id, needed, not_found)


def readable_projects(tx: Tx, caller: Caller, names: list[str] | None = None) -> dict[int, str]:
    return Session(tx, caller).readable_projects(names)
