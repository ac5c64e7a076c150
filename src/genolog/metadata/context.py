"""One request's transaction: its connection, id formats, lazily created audit-log entry and change record."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, overload

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from genolog.metadata import tables as t
from genolog.metadata.db import id_values, insert_many
from genolog.metadata.ids import IdCodec
from genolog.metadata.store.tallies import TALLIED, Recount


@dataclass(frozen=True)
class IdCodecs:
    sample: IdCodec
    sequencing_group: IdCodec
    cohort: IdCodec
    cohort_template: IdCodec = field(default=IdCodec("cohort template", "CTPL", 3))  # metamist's defaults

    @classmethod
    def create(
        cls,
        sample_prefix: str,
        sample_offset: int,
        sg_prefix: str,
        sg_offset: int,
        cohort_prefix: str = "COH",
    ) -> IdCodecs:
        return cls(
            sample=IdCodec("sample", sample_prefix, sample_offset),
            sequencing_group=IdCodec("sequencing group", sg_prefix, sg_offset),
            cohort=IdCodec("cohort", cohort_prefix, 5),
        )


@dataclass
class AuditInfo:
    """Who is writing and on whose behalf, as recorded in ``audit_log``."""

    author: str
    on_behalf_of: str | None = None
    ar_guid: str | None = None
    comment: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def utcnow() -> datetime:
    return datetime.now(UTC)


@overload
def stored_utc(moment: datetime) -> datetime: ...
@overload
def stored_utc(moment: None) -> None: ...
def stored_utc(moment: datetime | None) -> datetime | None:
    """A stored time as an aware one: SQLite gives back the UTC time it was given, without its zone
    (PostgreSQL's aware times are kept as they come)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


@overload
def naive_utc(moment: datetime) -> datetime: ...
@overload
def naive_utc(moment: None) -> None: ...
def naive_utc(moment: datetime | None) -> datetime | None:
    """A stored time as Metamist's answers show times: UTC without a zone, to the second (its MariaDB
    DATETIMEs). A client compares it with a naive ``datetime``, which an aware one would refuse."""
    if moment is None:
        return None
    if moment.tzinfo is not None:  # PostgreSQL's; SQLite gives back the UTC time it was given, naive
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)


class Tx:
    """A connection inside one transaction, plus what the request has changed so far.

    Writers call ``touch`` before changing an entity (or ``created`` after inserting one); ``finish``
    then stores each touched entity's old and new snapshot in ``change`` under the request's single
    audit-log entry. Nothing is recorded for an entity whose snapshot did not change.

    A creation is recorded without its snapshot (``new`` is NULL): the entity as created is the ``old`` of
    its next change, or its current state if it has not changed since, and ``history.fill_creations``
    puts it back when history is read, so a bulk ingest builds and encodes no snapshot of what it
    creates. The kinds in ``tables.CREATED_ON_ROW`` record their
    creation on the row itself (their writers set ``created_audit_log_id``), so it writes no ``change``
    row at all.
    """

    def __init__(self, conn: Connection, codecs: IdCodecs, audit: AuditInfo | None = None) -> None:
        self.conn = conn
        self.codecs = codecs
        self.audit = audit
        self._audit_log_id: int | None = None
        # (entity, id) -> (project_id, snapshot before the change, or None when created by this request)
        self._touched: dict[tuple[str, int], tuple[int | None, dict[str, Any] | None]] = {}
        self._recount = Recount()

    @property
    def writes(self) -> bool:
        """Whether this is a write transaction (one with an audit context)."""
        return self.audit is not None

    @property
    def audit_log_id(self) -> int:
        if self._audit_log_id is None:
            if self.audit is None:
                raise RuntimeError("a write needs an audit context")
            self._audit_log_id = self.conn.execute(
                t.audit_log.insert()
                .values(
                    timestamp=utcnow(),
                    author=self.audit.author,
                    on_behalf_of=self.audit.on_behalf_of,
                    ar_guid=self.audit.ar_guid,
                    comment=self.audit.comment,
                    meta=self.audit.meta,
                )
                .returning(t.audit_log.c.id)
            ).scalar_one()
        return self._audit_log_id

    def touch(self, entity: str, ids: list[int], project_id: int | None) -> None:
        """Call before changing these entities, so their old state is kept."""
        from genolog.metadata.store.snapshots import snapshot

        fresh = [i for i in ids if (entity, i) not in self._touched]
        if not fresh:
            return
        if entity in TALLIED:
            # from here to commit, no other writer changes the project's rows: what they contributed to
            # its tallies before this request is what they contribute when it ends, less its own changes
            _take_turns_per_project(self.conn, {project_id})
            self._recount.touching(self.conn, entity, fresh)
        before = snapshot(self, entity, fresh)
        for i in fresh:
            self._touched[(entity, i)] = (project_id, before.get(i))

    def created(self, entity: str, ids: list[int], project_id: int | None) -> None:
        """Call after inserting these entities (rows of the ``tables.CREATED_ON_ROW`` kinds carry their
        creation in ``created_audit_log_id``: nothing more is recorded for them)."""
        touched = self._touched
        if entity in TALLIED:
            self._recount.created(entity, ids)
        for i in ids:
            if (entity, i) not in touched:
                touched[(entity, i)] = (project_id, None)

    def finish(self) -> None:
        """Record the changes of this request; call once, just before commit."""
        from genolog.metadata.store.snapshots import snapshot

        changed: dict[str, list[int]] = {}
        for (entity, i), (_, old) in self._touched.items():
            if old is not None:
                changed.setdefault(entity, []).append(i)
        after = {(e, i): view for e, ids in changed.items() for i, view in snapshot(self, e, ids).items()}
        rows = []
        created: dict[tuple[str, int | None], list[int]] = {}
        counted: dict[tuple[int | None, str, str], int] = {}  # (project, entity, operation) -> how many
        for (entity, i), (project_id, old) in self._touched.items():
            if old is None:
                # created by this request (entities are only ever deleted with their whole project)
                key = (project_id, entity, "create")
                counted[key] = counted.get(key, 0) + 1
                if entity not in t.CREATED_ON_ROW:
                    created.setdefault((entity, project_id), []).append(i)
                continue
            new = after.get((entity, i))
            if old == new:
                continue
            key = (project_id, entity, "delete" if new is None else "update")
            counted[key] = counted.get(key, 0) + 1
            rows.append(
                {
                    "audit_log_id": self.audit_log_id,
                    "entity": entity,
                    "entity_id": i,
                    "project_id": project_id,
                    "operation": "delete" if new is None else "update",
                    "old": old,
                    "new": new,
                }
            )
        # the activity rows and the tallies (``store.tallies``) are written under the lock too
        _take_turns_per_project(self.conn, {p for p, _, _ in counted})
        for (entity, project_id), ids in created.items():
            # one statement per kind, the rows made by the database: a bulk ingest creates three a sample
            listed = id_values(self.conn, ids).subquery()
            self.conn.execute(
                t.change.insert().from_select(
                    ["audit_log_id", "entity", "entity_id", "project_id", "operation"],
                    sa.select(
                        sa.literal(self.audit_log_id, sa.Integer),
                        sa.literal(entity, sa.String),
                        listed.c.value,
                        sa.literal(project_id, sa.Integer),
                        sa.literal("create", sa.String),
                    ),
                )
            )
        if rows:
            insert_many(self.conn, t.change, rows)
        activity = [
            {"audit_log_id": self.audit_log_id, "project_id": p, "entity": e, "operation": o, "count": n}
            for (p, e, o), n in counted.items()
            if p is not None
        ]
        if activity:
            self.conn.execute(t.project_activity.insert(), activity)
        self._recount.apply(self.conn, self._audit_log_id)
        self._touched.clear()


# The first key of the advisory locks ``_take_turns_per_project`` takes (the second: the project's id).
CHANGE_LOCK_CLASS = 0x67656E6F  # "geno"


def _take_turns_per_project(conn: Connection, project_ids: set[int | None]) -> None:
    """On PostgreSQL, hold each project's change lock until commit, so that the changes of one project
    are recorded and committed one writer at a time: their ids then commit in order, and whoever sees a
    project's highest change id sees every change below it (what ``service.cohort_qc``'s fingerprint
    relies on). Without it a writer could draw its ids, another draw higher ones and commit first, and a
    reader in between see the higher id without the lower. A write that only creates rows, or changes
    others than participants, samples and groups, waits only at this end (recording the change rows and
    committing); one changing those takes the lock before its first change (``Tx.touch``: the tallies
    need the rows as they were). SQLite's writers take turns already. Locked in order of id, so two
    writers of the same projects never wait for each other both ways (a request changing rows of two
    projects takes the first one's lock at its first change)."""
    ids = sorted(p for p in project_ids if p is not None)
    if ids and conn.dialect.name == "postgresql":
        key = sa.literal(CHANGE_LOCK_CLASS, sa.Integer)
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(key, id_values(conn, ids).subquery().c.value)))
