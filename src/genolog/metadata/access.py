"""The transaction-level form of ``service.Session``'s project checks, for the code not yet moved onto
the service layer (issue 20): each function is the ``Session`` method of the same name."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import RowMapping

from genolog.metadata.context import Tx
from genolog.metadata.permissions import Caller
from genolog.metadata.service.session import Session, in_project

__all__ = [
    "create_project",
    "in_project",
    "project_by_id",
    "project_by_name",
    "readable_projects",
    "run_to_change",
]


def project_by_name(
    tx: Tx, caller: Caller, name: str, needed: frozenset[str], not_found: str | None = None
) -> RowMapping:
    return Session(tx, caller).project(name, needed, not_found)


def project_by_id(
    tx: Tx, caller: Caller, project_id: int, needed: frozenset[str], not_found: str
) -> RowMapping:
    return Session(tx, caller).project_by_id(project_id, needed, not_found)


def create_project(tx: Tx, caller: Caller, name: str, dataset: str | None, create_test_project: bool) -> int:
    return Session(tx, caller).create_project(name, dataset, create_test_project)


def run_to_change(tx: Tx, caller: Caller, ar_guid: str) -> dict[str, Any]:
    return Session(tx, caller).run_to_change(ar_guid)


def readable_projects(tx: Tx, caller: Caller, names: list[str] | None = None) -> dict[int, str]:
    return Session(tx, caller).readable_projects(names)
