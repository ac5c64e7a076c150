"""External ids: per-organisation names of participants, samples, assays, sequencing groups and families.

The primary organisation is ``''`` and is required; organisation names are lower-cased; an external id is
unique per project for its entity kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from genolog.metadata import tables as t
from genolog.metadata.db import each_of, one_of
from genolog.metadata.errors import BadRequest, Conflict, NotFound

if TYPE_CHECKING:  # a runtime import would close a cycle: Tx records changes through snapshots
    from genolog.metadata.context import Tx

PRIMARY = ""

TABLES: dict[str, sa.Table] = {
    "participant": t.participant_external_id,
    "sample": t.sample_external_id,
    "assay": t.assay_external_id,
    "sequencing_group": t.sequencing_group_external_id,
    "family": t.family_external_id,
}

LABELS = {
    "participant": "participant",
    "sample": "sample",
    "assay": "assay",
    "sequencing_group": "sequencing group",
    "family": "family",
}


def _id_column(entity: str) -> sa.Column[int]:
    return TABLES[entity].c[f"{entity}_id"]


def normalise(entity: str, external_ids: Mapping[str, str | None] | None) -> dict[str, str | None]:
    """Lower-case organisation names and check the values are non-empty strings (or None to delete)."""
    if not external_ids:
        return {}
    result: dict[str, str | None] = {}
    for org, value in external_ids.items():
        if (
            type(org) is str
            and type(value) is str
            and value
            and not value[0].isspace()
            and not value[-1].isspace()
            and org == org.lower()
        ):  # the common case, a lower-case organisation and a clean value: kept as it is
            result[org] = value
            continue
        if not isinstance(org, str):
            raise BadRequest(f"{LABELS[entity].capitalize()} external id organisation must be a string")
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise BadRequest(
                f"{LABELS[entity].capitalize()} external id for organisation {org!r} must be a non-empty string"
            )
        result[org.lower()] = value.strip() if isinstance(value, str) else None
    return result


def get_many(conn: Connection, entity: str, ids: Iterable[int] | sa.Select[Any]) -> dict[int, dict[str, str]]:
    """entity id -> {organisation: external id}. Given a list, every id gets an entry (empty when it has
    no external ids); given a subquery (GraphQL's batched loads), only the ids that have some."""
    table, id_col = TABLES[entity], _id_column(entity)
    if isinstance(ids, sa.Select):
        result: dict[int, dict[str, str]] = {}
    else:
        ids = list(ids)
        result = {i: {} for i in ids}
        if not ids:
            return result
    # .all(): one fetchall, not a driver fetchone() per row (thousands of them per query)
    among = id_col.in_(ids) if isinstance(ids, sa.Select) else one_of(conn, id_col, ids)
    rows = conn.execute(
        sa.select(id_col, table.c.name, table.c.external_id).where(among).order_by(table.c.name)
    ).all()
    for entity_id, org, value in rows:
        result.setdefault(entity_id, {})[org] = value
    return result


def _in_project(
    conn: Connection, table: sa.Table, query: sa.Select[Any], project_id: int, wanted: list[str]
) -> sa.Select[Any]:
    """``query`` over the project's rows of ``wanted`` external ids, one index probe per value (``each_of``:
    an external id is unique in its project)."""
    return each_of(conn, query.where(table.c.project_id == project_id), table.c.external_id, wanted)


def lookup(conn: Connection, entity: str, project_id: int, external_ids: Iterable[str]) -> dict[str, int]:
    """Map external ids (any organisation) to entity ids within a project; unknown ones are left out."""
    table, id_col = TABLES[entity], _id_column(entity)
    wanted = list(dict.fromkeys(external_ids))
    if not wanted:
        return {}
    rows = conn.execute(_in_project(conn, table, sa.select(table.c.external_id, id_col), project_id, wanted))
    return {eid: entity_id for eid, entity_id in rows}


def ids_matching(
    conn: Connection, entity: str, project_id: int, external_ids: Iterable[str]
) -> sa.Select[Any]:
    """``SELECT`` the ids of the project's entities with any of these external ids (any organisation)."""
    table, id_col = TABLES[entity], _id_column(entity)
    return _in_project(conn, table, sa.select(id_col), project_id, list(dict.fromkeys(external_ids)))


def id_for(conn: Connection, entity: str, project_id: int, project: str, external_id: str) -> int:
    """The id of the ``entity`` with ``external_id`` (any organisation) in the project ``project`` (its name,
    for the 404)."""
    found = lookup(conn, entity, project_id, [external_id])
    if not found:
        raise NotFound(f"No {LABELS[entity]} with external id {external_id!r} in project {project!r}")
    return found[external_id]


def write(
    tx: Tx,
    entity: str,
    project_id: int,
    entity_id: int,
    external_ids: Mapping[str, str | None] | None,
    *,
    creating: bool,
) -> None:
    """Set the given organisations' ids of one entity; ``None`` deletes an organisation's id."""
    eids = normalise(entity, external_ids)
    label = LABELS[entity]
    if creating and not eids.get(PRIMARY):
        raise BadRequest(f"A {label} needs a primary external id (organisation '')")
    if PRIMARY in eids and eids[PRIMARY] is None:
        raise BadRequest(f"The primary external id of a {label} cannot be removed")
    if not eids:
        return
    table, id_col = TABLES[entity], _id_column(entity)
    to_set = {org: v for org, v in eids.items() if v is not None}
    to_delete = [org for org, v in eids.items() if v is None]
    if to_set:
        clash = conn_clash(tx.conn, entity, project_id, entity_id, to_set.values())
        if clash:
            raise Conflict(f"The {label} external id {clash!r} is already used in this project")
    if to_delete:
        tx.conn.execute(table.delete().where(id_col == entity_id, table.c.name.in_(to_delete)))
    if to_set:
        tx.conn.execute(table.delete().where(id_col == entity_id, table.c.name.in_(list(to_set))))
        tx.conn.execute(
            table.insert(),
            [
                {
                    "project_id": project_id,
                    f"{entity}_id": entity_id,
                    "name": org,
                    "external_id": value,
                    "audit_log_id": tx.audit_log_id,
                }
                for org, value in to_set.items()
            ],
        )


def conn_clash(
    conn: Connection, entity: str, project_id: int, entity_id: int | None, values: Iterable[str]
) -> str | None:
    """The first of ``values`` already used by another entity of this kind in the project, if any."""
    table, id_col = TABLES[entity], _id_column(entity)
    query = sa.select(table.c.external_id).where(
        table.c.project_id == project_id, table.c.external_id.in_(list(values))
    )
    if entity_id is not None:
        query = query.where(id_col != entity_id)
    return conn.execute(query.limit(1)).scalar()


def delete_all(tx: Tx, entity: str, entity_ids: list[int]) -> None:
    """Free the external ids of these entities (used when archiving sequencing groups)."""
    if entity_ids:
        tx.conn.execute(TABLES[entity].delete().where(_id_column(entity).in_(entity_ids)))
