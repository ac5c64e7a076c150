"""Migration 0005 drops, on PostgreSQL only, the foreign keys to ``audit_log`` and the external-id tables'
``project`` keys; down and up again keeps every row, and SQLite keeps its keys throughout."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Connection

from genolog.metadata.api.service import Service
from genolog.metadata.context import AuditInfo, Tx
from genolog.metadata.db import alembic_config
from genolog.metadata.models import ParticipantUpsert
from genolog.metadata.store import projects
from genolog.metadata.store.upserts import upsert_items
from tests.metadata.support import dump, sample_with_group

DROPPED_FROM = ("sample", "sample_external_id", "assay", "sequencing_group_assay", "change")


def _foreign_keys(conn: Connection) -> set[tuple[str, str, str]]:
    """(table, column, referred table) of the keys that 0005 concerns, on the tables ingest writes."""
    inspector = sa.inspect(conn)
    return {
        (table, fk["constrained_columns"][0], fk["referred_table"])
        for table in DROPPED_FROM
        for fk in inspector.get_foreign_keys(table)
        if fk["referred_table"] in ("audit_log", "project")
    }


def _migrate(svc: Service, revision: str, *, down: bool = False) -> None:
    config = alembic_config()
    with svc.db.engine.begin() as conn:
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, revision)


def test_downgrade_and_upgrade_keep_every_row(svc: Service) -> None:
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
    with svc.db.read() as conn:
        before, keys_at_head = dump(conn), _foreign_keys(conn)
    assert before["sample_external_id"] and before["change"]
    postgres = svc.db.engine.dialect.name == "postgresql"
    complete = {
        ("sample", "audit_log_id", "audit_log"),
        ("sample", "project_id", "project"),
        ("sample_external_id", "audit_log_id", "audit_log"),
        ("sample_external_id", "project_id", "project"),
        ("assay", "audit_log_id", "audit_log"),
        ("sequencing_group_assay", "audit_log_id", "audit_log"),
        ("change", "audit_log_id", "audit_log"),
    }
    assert keys_at_head == ({("sample", "project_id", "project")} if postgres else complete)

    _migrate(svc, "0004", down=True)
    with svc.db.read() as conn:
        assert dump(conn) == before
        assert _foreign_keys(conn) == complete
    _migrate(svc, "head")
    with svc.db.read() as conn:
        assert dump(conn) == before
        assert _foreign_keys(conn) == keys_at_head
