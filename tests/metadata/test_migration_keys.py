"""Migrations 0005 and 0006 drop, on PostgreSQL only, foreign keys whose checks the service guarantees:

- 0005: the keys to ``audit_log`` and the external-id tables' keys to ``project``;
- 0006: the keys from an entity's children (external ids, assays, sequencing groups, their links) to it.

Down and up again keeps every row, and SQLite keeps its keys throughout."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from genolog.metadata.context import AuditInfo, Tx
from genolog.metadata.models import ParticipantUpsert
from genolog.metadata.service import Service
from genolog.metadata.store import projects
from genolog.metadata.store.upserts import upsert_items
from tests.metadata.support import migrate, sample_with_group

WRITTEN_BY_INGEST = (
    "sample",
    "sample_external_id",
    "participant_external_id",
    "assay",
    "sequencing_group",
    "sequencing_group_assay",
    "change",
)
# (table, column, referred table) of every key on those tables at revision 0004
AT_0004 = {
    ("sample", "audit_log_id", "audit_log"),
    ("sample", "project_id", "project"),
    ("sample", "participant_id", "participant"),
    ("sample", "parent_id", "sample"),
    ("sample", "root_id", "sample"),
    ("sample_external_id", "audit_log_id", "audit_log"),
    ("sample_external_id", "project_id", "project"),
    ("participant_external_id", "audit_log_id", "audit_log"),
    ("participant_external_id", "project_id", "project"),
    ("assay", "audit_log_id", "audit_log"),
    ("sequencing_group", "audit_log_id", "audit_log"),
    ("sequencing_group_assay", "audit_log_id", "audit_log"),
    ("change", "audit_log_id", "audit_log"),
}
CHILD_KEYS = {
    ("sample_external_id", "sample_id", "sample"),
    ("participant_external_id", "participant_id", "participant"),
    ("assay", "sample_id", "sample"),
    ("sequencing_group", "sample_id", "sample"),
    ("sequencing_group_assay", "sequencing_group_id", "sequencing_group"),
    ("sequencing_group_assay", "assay_id", "assay"),
}
AT_0005_ON_POSTGRES = {
    ("sample", "project_id", "project"),
    ("sample", "participant_id", "participant"),
    ("sample", "parent_id", "sample"),
    ("sample", "root_id", "sample"),
} | CHILD_KEYS


pytestmark = pytest.mark.usefixtures("back_at_head")


def _foreign_keys(conn: Connection) -> set[tuple[str, str, str]]:
    inspector = sa.inspect(conn)
    return {
        (table, fk["constrained_columns"][0], fk["referred_table"])
        for table in WRITTEN_BY_INGEST
        for fk in inspector.get_foreign_keys(table)
    }


def _seed(svc: Service) -> None:
    with svc.db.write() as conn:
        tx = Tx(conn, svc.codecs, AuditInfo(author="seed"))
        project_id = projects.create(tx, "p", "p", create_test_project=False)
        items = [
            ParticipantUpsert.model_validate(
                {"external_ids": {"": f"P{i}"}, "samples": [sample_with_group(f"S{i}")]}
            )
            for i in range(3)
        ]
        upsert_items(tx, project_id, items)
        tx.finish()


def _dump_as_is(conn: Connection) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, in primary-key order, as the database's schema has them now (``dump``
    reads the newest schema's columns)."""
    reflected = sa.MetaData()
    reflected.reflect(conn)
    return {
        table.name: [dict(r) for r in conn.execute(sa.select(table).order_by(*table.primary_key)).mappings()]
        for table in reflected.sorted_tables
        if table.name != "alembic_version"
    }


def test_each_step_down_and_up_keeps_every_row_and_sqlite_keeps_its_keys(svc: Service) -> None:
    _seed(svc)
    migrate(svc, "0006", down=True)  # below 0007 creations are ``change`` rows (test_creations_on_rows)
    with svc.db.read() as conn:
        before = _dump_as_is(conn)
    assert before["sample_external_id"] and before["sequencing_group_assay"] and before["change"]
    postgres = svc.db.engine.dialect.name == "postgresql"
    expected = {
        "0006": (AT_0005_ON_POSTGRES - CHILD_KEYS) if postgres else AT_0004 | CHILD_KEYS,
        "0005": AT_0005_ON_POSTGRES if postgres else AT_0004 | CHILD_KEYS,
        "0004": AT_0004 | CHILD_KEYS,
    }
    with svc.db.read() as conn:
        assert _foreign_keys(conn) == expected["0006"]
    for revision in ("0005", "0004"):
        migrate(svc, revision, down=True)
        with svc.db.read() as conn:
            assert _dump_as_is(conn) == before, revision
            assert _foreign_keys(conn) == expected[revision], revision
    migrate(svc, "0006")
    with svc.db.read() as conn:
        assert _dump_as_is(conn) == before
        assert _foreign_keys(conn) == expected["0006"]
    migrate(svc, "head")
    with svc.db.read() as conn:
        assert _foreign_keys(conn) == expected["0006"]
