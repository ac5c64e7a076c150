"""Each project's counts and meta keys (``project_tally``), kept up to date by every write, so that the
pages read them in one statement however large the project is.

A tally is a sum over rows, each row contributing one:

- ``participants`` (name ""): each participant;
- ``participant_meta`` (name: a key): each participant whose meta has that top-level key;
- ``samples`` (name ""): each active sample;
- ``sample_meta`` (name: a key): each active sample whose meta has that key;
- ``sequencing_groups`` (name: a type): each unarchived group of that type whose sample is active.

``Recount`` follows one request (``context.Tx``): before a row is changed it notes what the row
contributes (a sample's groups with it, as their count follows the sample's ``active``); at the end it
takes what the same rows, and those the request created, contribute now, and adds the difference. A row is
noted once, before its first change. Both ends run under the project's change lock on PostgreSQL
(``context._take_turns_per_project``), so no other writer changes the project's rows in between and the
tallies add up to what counting every row would give (SQLite's writers take turns anyway).

Rows are only deleted with their whole project, tallies with them (``store.projects.delete_data``); a row
deleted otherwise would still be counted right, as it contributes nothing at the end.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from genolog.metadata import tables as t
from genolog.metadata.db import one_of

#: the kinds of entity whose rows are tallied
TALLIED = ("participant", "sample", "sequencing_group")
#: (project id, tally, name) -> how many rows
Tally = Counter[tuple[int, str, str]]
#: what makes a sample count (with its meta keys), and a group (joined to its sample)
_SAMPLE_COUNTS = t.sample.c.active.is_(True)
_GROUP_COUNTS = sa.and_(t.sequencing_group.c.archived.is_(False), _SAMPLE_COUNTS)


class Recount:
    """What one request's writes change in the tallies (see the module's docstring)."""

    def __init__(self) -> None:
        self.before: Tally = Counter()
        self.noted: dict[str, set[int]] = {entity: set() for entity in TALLIED}  # existing rows changed
        self.new: dict[str, set[int]] = {entity: set() for entity in TALLIED}  # rows the request made

    def _fresh(self, entity: str, ids: Iterable[int]) -> list[int]:
        noted, new = self.noted[entity], self.new[entity]
        return [i for i in ids if i not in noted and i not in new]

    def touching(self, conn: Connection, entity: str, ids: Collection[int]) -> None:
        """Before the rows ``ids`` of ``entity`` change: note what they contribute now."""
        sg = t.sequencing_group
        if entity == "sequencing_group":
            self._note_groups(conn, sg.c.id, self._fresh(entity, ids))
            return
        fresh = self._fresh(entity, ids)
        if not fresh:
            return
        self.noted[entity].update(fresh)
        if entity == "participant":
            self.before += participant_tally(conn, fresh)
        else:
            self.before += sample_tally(conn, fresh)
            self._note_groups(conn, sg.c.sample_id, fresh)

    def _note_groups(self, conn: Connection, column: sa.ColumnElement[int], ids: list[int]) -> None:
        """Note the groups among ``column``'s ``ids`` (groups, or their samples), those that count for
        nothing now too: a group unarchived, or a sample made active, makes them count."""
        if not ids:
            return
        noted, new = self.noted["sequencing_group"], self.new["sequencing_group"]
        for group_id, project_id, kind, counted in conn.execute(_groups(conn, column, ids)):
            if group_id not in noted and group_id not in new:
                noted.add(group_id)
                if counted:
                    self.before[(project_id, "sequencing_groups", kind)] += 1

    def created(self, entity: str, ids: Iterable[int]) -> None:
        """New rows: they contributed nothing before."""
        self.new[entity].update(ids)

    def apply(self, conn: Connection, audit_log_id: int | None) -> None:
        """Add the difference between what the noted and new rows contribute now and before to the
        tallies (``audit_log_id``: the request's entry, which its new rows carry)."""
        after: Tally = Counter()
        for entity, tally in (
            ("participant", participant_tally),
            ("sample", sample_tally),
            ("sequencing_group", group_tally),
        ):
            after += tally(conn, self.noted[entity])
            after += tally(conn, self.new[entity], audit_log_id)
        after.subtract(self.before)
        add(conn, {key: n for key, n in after.items() if n})
        self.before.clear()
        for rows in (*self.noted.values(), *self.new.values()):
            rows.clear()


def _among(conn: Connection, table: sa.Table, ids: Collection[int], created_by: int | None) -> list[Any]:
    """The rows ``ids`` of ``table``, by their range (a request's new rows have neighbouring ids: the
    range reads them from the primary key rather than the whole table) and, for rows the request created
    (``created_by``: its audit-log entry, on the rows), by that entry rather than a list of every id (a
    bulk ingest's 100,000 of each kind)."""
    within = table.c.id.between(min(ids), max(ids))
    if created_by is not None:
        return [within, table.c.created_audit_log_id == created_by]
    return [within, one_of(conn, table.c.id, ids)]


def _meta_keys(conn: Connection, table: sa.Table) -> tuple[sa.ColumnElement[str], Any]:
    """The top-level keys of ``table``'s meta as a column, and the table-valued function that yields them."""
    if conn.dialect.name == "postgresql":
        keys = sa.func.jsonb_object_keys(table.c.meta).table_valued("value").render_derived("meta_key")
        return keys.c.value, keys
    keys = sa.func.json_each(table.c.meta).table_valued("key").alias("meta_key")
    return keys.c.key, keys


def _is_object(conn: Connection, table: sa.Table) -> sa.ColumnElement[bool]:
    typeof = sa.func.jsonb_typeof if conn.dialect.name == "postgresql" else sa.func.json_type
    return typeof(table.c.meta) == "object"


def _tally_rows(
    conn: Connection,
    table: sa.Table,
    ids: Collection[int],
    created_by: int | None,
    counted: str,
    meta: str,
    *where: Any,
) -> Tally:
    """The rows ``ids`` of ``table`` (``_among``) that match ``where``: their count as ``counted``, their
    meta keys as ``meta``."""
    found: Tally = Counter()
    if not ids:
        return found
    where = (*_among(conn, table, ids, created_by), *where)
    statement = sa.select(table.c.project_id, sa.func.count()).where(*where).group_by(table.c.project_id)
    for project_id, n in conn.execute(statement):
        found[(project_id, counted, "")] = int(n)
    key, keys = _meta_keys(conn, table)
    statement = (
        sa.select(table.c.project_id, key, sa.func.count())
        .select_from(table)
        .join(keys, sa.true())
        .where(*where, _is_object(conn, table))
        .group_by(table.c.project_id, key)
    )
    for project_id, name, n in conn.execute(statement):
        found[(project_id, meta, str(name))] = int(n)
    return found


def participant_tally(conn: Connection, ids: Collection[int], created_by: int | None = None) -> Tally:
    return _tally_rows(conn, t.participant, ids, created_by, "participants", "participant_meta")


def sample_tally(conn: Connection, ids: Collection[int], created_by: int | None = None) -> Tally:
    return _tally_rows(conn, t.sample, ids, created_by, "samples", "sample_meta", _SAMPLE_COUNTS)


def _groups(conn: Connection, column: sa.ColumnElement[int], ids: Sequence[int]) -> sa.Select[Any]:
    """Each group among ``column``'s ``ids``: its id, project, type and whether it counts."""
    sg, s = t.sequencing_group, t.sample
    return (
        sa.select(sg.c.id, sg.c.project_id, sg.c.type, _GROUP_COUNTS)
        .join(s, s.c.id == sg.c.sample_id)
        .where(one_of(conn, column, ids))
    )


def group_tally(conn: Connection, ids: Collection[int], created_by: int | None = None) -> Tally:
    found: Tally = Counter()
    if not ids:
        return found
    sg, s = t.sequencing_group, t.sample
    statement = (
        sa.select(sg.c.project_id, sg.c.type, sa.func.count())
        .join(s, s.c.id == sg.c.sample_id)
        .where(*_among(conn, sg, ids, created_by), _GROUP_COUNTS)
        .group_by(sg.c.project_id, sg.c.type)
    )
    for project_id, kind, n in conn.execute(statement):
        found[(project_id, "sequencing_groups", kind)] = int(n)
    return found


def add(conn: Connection, delta: dict[tuple[int, str, str], int]) -> None:
    """Add ``delta`` to the tallies, dropping those that reach 0. The caller holds the projects' change
    locks (or is SQLite's one writer): nobody else writes their tallies meanwhile, so the rows are read,
    then written, without an upsert (and without a unique index on the names: a meta key may be longer
    than PostgreSQL indexes)."""
    if not delta:
        return
    pt = t.project_tally
    projects = sorted({project_id for project_id, _, _ in delta})
    current = {
        (project_id, tally, name): (row_id, n)
        for row_id, project_id, tally, name, n in conn.execute(
            sa.select(pt.c.id, pt.c.project_id, pt.c.tally, pt.c.name, pt.c.n).where(
                pt.c.project_id.in_(projects)
            )
        )
    }
    inserts, updates, deletes = [], [], []
    for key, n in delta.items():
        found = current.get(key)
        if found is None:
            inserts.append({"project_id": key[0], "tally": key[1], "name": key[2], "n": n})
        elif found[1] + n == 0:
            deletes.append(found[0])
        else:
            updates.append({"row": found[0], "new_n": found[1] + n})
    if inserts:
        conn.execute(pt.insert(), inserts)
    if updates:
        conn.execute(
            pt.update().where(pt.c.id == sa.bindparam("row")).values(n=sa.bindparam("new_n")), updates
        )
    if deletes:
        conn.execute(pt.delete().where(pt.c.id.in_(deletes)))


def read(
    conn: Connection, project_ids: Sequence[int], tallies: Sequence[str]
) -> dict[int, dict[str, dict[str, int]]]:
    """Per project, per tally, each name's count (the names in order)."""
    pt = t.project_tally
    found: dict[int, dict[str, dict[str, int]]] = {p: {tally: {} for tally in tallies} for p in project_ids}
    if not project_ids:
        return found
    for project_id, tally, name, n in conn.execute(
        sa.select(pt.c.project_id, pt.c.tally, pt.c.name, pt.c.n)
        .where(pt.c.project_id.in_(project_ids), pt.c.tally.in_(tallies))
        .order_by(pt.c.project_id, pt.c.tally, pt.c.name)
    ):
        found[project_id][tally][name] = int(n)
    return found
