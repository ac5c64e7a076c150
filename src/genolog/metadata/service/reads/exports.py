"""The rows of a project's participants or samples for its Parquet exports, streamed in partitions through
a server-side cursor (``stream_results``: PostgreSQL's named cursor; SQLite's cursor steps through the
result as it is read), so memory stays bounded however many rows there are. Each read is of one project
the caller was checked on, and keeps to readable projects besides (``rows.readable``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from genolog.metadata import tables as t
from genolog.metadata.service.reads.rows import readable
from genolog.metadata.service.session import Session
from genolog.metadata.store import external_ids

TABLES = {"participant": t.participant, "sample": t.sample}
# what each export reads of its entity besides the id and meta
COLUMNS = {
    "participant": ("reported_sex", "reported_gender", "karyotype"),
    "sample": ("participant_id", "type", "active", "root_id", "parent_id"),
}


def _streamed(session: Session, statement: sa.Select[Any], rows: int) -> Iterator[list[RowMapping]]:
    """The statement's rows, ``rows`` at a time; the cursor is closed when the iteration ends or is closed."""
    result = session.tx.conn.execute(statement.execution_options(stream_results=True, yield_per=rows))
    with result:
        for partition in result.mappings().partitions():
            yield list(partition)


def _of_project(session: Session, entity: str, project_id: int, *selected: Any) -> sa.Select[Any]:
    table = TABLES[entity]
    return (
        sa.select(*selected)
        .where(table.c.project_id == project_id, *readable(session, table.c.project_id))
        .order_by(table.c.id)
    )


def metas(session: Session, entity: str, project_id: int, rows: int) -> Iterator[list[str]]:
    """The meta (JSON text) of each of the project's entities, by id, ``rows`` at a time."""
    meta = sa.cast(TABLES[entity].c.meta, sa.Text).label("meta")
    for partition in _streamed(session, _of_project(session, entity, project_id, meta), rows):
        yield [r["meta"] for r in partition]


def entity_rows(session: Session, entity: str, project_id: int, rows: int) -> Iterator[list[dict[str, Any]]]:
    """The project's entities (``id``, ``meta`` as JSON text, the export's columns and ``external_ids``),
    by id, ``rows`` at a time: one statement for the external ids of each partition."""
    table = TABLES[entity]
    selected = [
        table.c.id,
        sa.cast(table.c.meta, sa.Text).label("meta"),
        *(table.c[c] for c in COLUMNS[entity]),
    ]
    for partition in _streamed(session, _of_project(session, entity, project_id, *selected), rows):
        found = [dict(r) for r in partition]
        eids = external_ids.get_many(session.tx.conn, entity, [r["id"] for r in found])
        for r in found:
            r["external_ids"] = eids[r["id"]]
        yield found


def organisations(session: Session, entity: str, project_id: int) -> list[str]:
    """The organisations naming the project's entities of this kind, by name (the primary, ``''``, first)."""
    table = external_ids.TABLES[entity]
    names = session.tx.conn.execute(
        sa.select(table.c.name).where(table.c.project_id == project_id).distinct().order_by(table.c.name)
    ).scalars()
    return list(names)
