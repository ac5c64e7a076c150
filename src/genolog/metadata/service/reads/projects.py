"""Batched reads of projects, and what the API reads of the whole site (enums, external ids)."""

from __future__ import annotations

from genolog.metadata import tables as t
from genolog.metadata.service.reads.filters import FilterSpec, conditions
from genolog.metadata.service.reads.paging import NO_PAGE, Page
from genolog.metadata.service.reads.rows import IdSource, Rows, entities
from genolog.metadata.service.session import Session
from genolog.metadata.store import external_ids


def projects(session: Session, ids: list[int], page: Page = NO_PAGE) -> Rows:
    """The readable ones of these projects, by id."""
    return entities(session, t.project, [t.project.c.id.in_(ids)], page)


def project_ids_matching(session: Session, name: FilterSpec | None) -> list[int]:
    """Ids of the readable projects whose name matches the filter (all readable ones for no filter); a
    name it lists (``eq``, ``in_``) that the caller cannot read is a 404, as in metamist."""
    readable = session.readable_projects()
    if name is None:
        return list(readable)
    for listed in ([name.eq] if name.eq else []) + list(name.in_ or []):
        session.project(listed)
    return [r["id"] for r in entities(session, t.project, conditions(t.project.c.name, name))]


def external_ids_of(session: Session, entity: str, ids: IdSource) -> dict[int, dict[str, str]]:
    """Entity id -> {organisation: external id} of a group of entities read through this layer (``ids``:
    their ``Rows.ids``; see ``store.external_ids.get_many`` for which ids get an entry)."""
    return external_ids.get_many(session.tx.conn, entity, ids)


def primary_external_id(names: dict[int, dict[str, str]], entity_id: int) -> str:
    """An entity's primary external id in an ``external_ids_of`` answer (its id, as text, without one)."""
    return names.get(entity_id, {}).get(external_ids.PRIMARY, str(entity_id))
