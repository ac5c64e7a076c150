"""Bulk inserts (COPY on PostgreSQL, INSERTs of many rows on SQLite) done by the connection's own thread,
their outcome collected when the connection is next used (``metadata/queued_writes.py``): they land in
order, a failed one fails the statement, commit or request after it (and those queued after it go
unsent), and no connection is left in a broken state."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from genolog.metadata import queued_writes
from genolog.metadata import tables as t
from genolog.metadata.db import Database, allocate_ids, insert_many

ROW = {"kind": "sample_type", "name": "tissue"}


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


def _pending(conn: sa.Connection) -> bool:
    return queued_writes.PENDING in conn.connection.info


def test_rows_written_are_there_for_the_next_statement_and_commit(db: Database) -> None:
    with db.write() as conn:
        insert_many(conn, t.enum_value, [ROW])
        assert _pending(conn)
        assert conn.execute(sa.select(t.enum_value.c.name).where(t.enum_value.c.name == "tissue")).all()
        assert not _pending(conn)
        insert_many(conn, t.enum_value, [{"kind": "sample_type", "name": "swab"}])
    with db.read() as conn:
        names = set(conn.execute(sa.select(t.enum_value.c.name)).scalars())
    assert {"tissue", "swab"} <= names


def test_a_failed_write_fails_the_next_statement_and_the_transaction(db: Database) -> None:
    with db.write() as conn:
        insert_many(conn, t.enum_value, [ROW])
    with pytest.raises(sa.exc.IntegrityError, match="enum_value"), db.write() as conn:
        insert_many(conn, t.enum_value, [{"kind": "sample_type", "name": "blood-2"}, ROW])
        conn.execute(sa.select(1))
    with pytest.raises(sa.exc.IntegrityError), db.write() as conn:  # the last write of a transaction
        insert_many(conn, t.enum_value, [{"kind": "sample_type", "name": "blood-3"}, ROW])
    with db.read() as conn:  # the connections are fine, and neither transaction left a row
        names = set(conn.execute(sa.select(t.enum_value.c.name)).scalars())
    assert "tissue" in names and not {"blood-2", "blood-3"} & names


def test_more_writes_than_the_queue_holds_all_land_in_order(db: Database) -> None:
    count = 3 * queued_writes._QUEUED
    with db.write() as conn:
        project = conn.execute(
            sa.insert(t.project).values(name="copies", dataset="copies", meta={}).returning(t.project.c.id)
        ).scalar_one()
        ids = allocate_ids(conn, {t.sample: count})[t.sample]
        for i, sample_id in enumerate(ids):  # each sample's parent is the one the write before made
            row = {"project_id": project, "type": "blood", "active": True, "meta": {"i": i}}
            row |= {"parent_id": ids[i - 1] if i else None, "created_at": datetime.now(UTC)}
            insert_many(conn, t.sample, [row], ids=[sample_id])
        assert _pending(conn)
    with db.read() as conn:
        landed = conn.execute(sa.select(t.sample.c.id, t.sample.c.parent_id).order_by(t.sample.c.id)).all()
    assert [tuple(r) for r in landed] == list(zip(ids, [None, *ids[:-1]], strict=True))


def test_writes_queued_after_a_failed_one_go_unsent(db: Database) -> None:
    with db.write() as conn:
        insert_many(conn, t.enum_value, [ROW])
    with (
        pytest.raises(sa.exc.IntegrityError, match=r"duplicate key|UNIQUE constraint failed") as raised,
        db.write() as conn,
    ):
        insert_many(conn, t.enum_value, [{"kind": "sample_type", "name": "before"}])
        insert_many(conn, t.enum_value, [ROW])  # fails
        for i in range(5):
            insert_many(conn, t.enum_value, [{"kind": "sample_type", "name": f"after-{i}"}])
        conn.execute(sa.select(1))
    # the error is the failed write's own, not PostgreSQL's "current transaction is aborted" from one after
    assert "enum_value" in str(raised.value) and "aborted" not in str(raised.value)
    with db.read() as conn:
        names = set(conn.execute(sa.select(t.enum_value.c.name)).scalars())
    assert "tissue" in names and not {"before", "after-0", "after-4"} & names


def test_a_connection_closed_with_writes_pending_is_fine_for_the_next_user(db: Database) -> None:
    with db.engine.connect() as conn:
        conn.begin()
        insert_many(conn, t.enum_value, [ROW])
        assert _pending(conn)
    # closed without a commit: the rollback collected the outcome of the writes first
    with db.read() as conn:
        assert not _pending(conn)
        assert "tissue" not in set(conn.execute(sa.select(t.enum_value.c.name)).scalars())
