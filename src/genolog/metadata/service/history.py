"""Change history: one entity's, as the REST API answers it (``HistoryEntry``, oldest first), and that of
several entities at once for the pages (a sample with its assays and sequencing groups), in one
statement, newest first.

``entity_history`` is for the pages: the entities of one project, which the caller must be able to read;
``project_history`` the project's own changes, for its members page. ``changes_of`` reads the rows for a
caller already checked.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel

from genolog.metadata import tables as t
from genolog.metadata.context import Tx
from genolog.metadata.errors import NotFound
from genolog.metadata.service.overview import as_utc
from genolog.metadata.service.session import Session
from genolog.metadata.store.history import changed_fields, creation_order, fill_creations, read, row_creations


class FieldChange(BaseModel):
    old: Any
    new: Any


class HistoryEntry(BaseModel):
    """One recorded change of an entity (``getHistoryOf...``): who, when, on whose behalf, and the
    entity's snapshot before and after (``store.snapshots``), with the fields that differ."""

    audit_log_id: int
    timestamp: str  # ISO 8601, with its UTC offset
    author: str
    on_behalf_of: str | None
    ar_guid: str | None
    meta: dict[str, Any] | None
    operation: str  # create, update or delete
    changes: dict[str, FieldChange]
    old: dict[str, Any] | None
    new: dict[str, Any] | None


def recorded_changes(tx: Tx, entity: str, entity_id: int) -> list[HistoryEntry]:
    """Every recorded change of one entity, oldest first (``store.history.read``), for a caller already
    checked (each entity's ``history_of``)."""
    return [HistoryEntry.model_validate(entry) for entry in read(tx, entity, entity_id)]


@dataclass
class Change:
    timestamp: datetime.datetime
    author: str
    on_behalf_of: str | None
    ar_guid: str | None
    entity: str
    entity_id: int
    operation: str
    fields: dict[str, tuple[Any, Any]]  # field -> (old, new), only those that differ


def entity_history(
    session: Session, project_id: int, entities: Mapping[str, Sequence[int]], limit: int = 200
) -> list[Change]:
    """Changes of ``entities`` (kind -> ids) of the project ``project_id``, newest first (at most ``limit``).

    The caller must be able to read the project (else the 404 of a project it cannot see): the pages ask
    for the entities of a project they have just read, so this check costs no statement. That the ids are
    the project's is the caller's to ensure: they are those the project's own query answered."""
    if not session.caller.can_read(project_id):
        raise NotFound("Project not found")
    return changes_of(session.tx, entities, limit)


def project_history(session: Session, project_id: int, limit: int = 200) -> list[Change]:
    """Changes of the project itself (its settings and members), for whoever may see its members page:
    any role on it (the project was read by the caller's check just before, so this costs no statement)."""
    if not session.caller.roles_on(project_id):
        raise NotFound("Project not found")
    return changes_of(session.tx, {"project": [project_id]}, limit)


def changes_of(tx: Tx, entities: Mapping[str, Sequence[int]], limit: int = 200) -> list[Change]:
    """Changes of ``entities`` (kind -> ids), newest first (at most ``limit``)."""
    c, a = t.change, t.audit_log
    wanted = [sa.and_(c.c.entity == kind, c.c.entity_id.in_(ids)) for kind, ids in entities.items() if ids]
    if not wanted:
        return []
    audit = (a.c.timestamp, a.c.author, a.c.on_behalf_of, a.c.ar_guid)
    rows = row_creations(tx.conn, entities, *audit)
    rows += (
        dict(r)
        for r in tx.conn.execute(
            sa.select(c, *audit)
            .join(a, a.c.id == c.c.audit_log_id)
            .where(sa.or_(*wanted))
            .order_by(c.c.id.desc())
            .limit(limit)
        ).mappings()
    )
    rows.sort(key=creation_order)
    rows = rows[-limit:]  # the newest, so every creation's later changes are among them
    fill_creations(tx, rows)
    rows.reverse()
    return [
        Change(
            timestamp=as_utc(r["timestamp"]),
            author=r["author"],
            on_behalf_of=r["on_behalf_of"],
            ar_guid=r["ar_guid"],
            entity=r["entity"],
            entity_id=r["entity_id"],
            operation=r["operation"],
            fields=changed_fields(r["old"], r["new"]),
        )
        for r in rows
    ]
