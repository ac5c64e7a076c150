"""Controlled vocabularies (sample, assay and analysis types, sequencing types, technologies and
platforms): anyone may list them, only site admins add values."""

from __future__ import annotations

from genolog.metadata.errors import Forbidden
from genolog.metadata.service.session import Session
from genolog.metadata.store import enums
from genolog.metadata.store.enums import KINDS, LABELS

__all__ = ["KINDS", "add", "all_values", "values"]


def values(session: Session, kind: str) -> list[str]:
    """The known values of ``kind`` (a stored kind of ``KINDS``), sorted."""
    return enums.values(session.tx.conn, kind)


def all_values(session: Session) -> dict[str, list[str]]:
    """Every kind's known values."""
    return {kind: enums.values(session.tx.conn, kind) for kind, _ in KINDS.values()}


def add(session: Session, kind: str, value: str) -> str:
    """Add a value of ``kind`` (a site admin only); the value as stored (trimmed, lower case)."""
    if not session.caller.is_admin:
        raise Forbidden(f"Only an admin may add a {LABELS[kind]}")
    return enums.add(session.tx.conn, kind, value)
