"""Migration 0004 adds the run outcome to analysis-runner records made before it: they read as ``unknown``."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command

from genolog.metadata.db import Database, alembic_config

OLD_RECORD = {
    "ar_guid": "old-run",
    "project_id": 1,
    "timestamp": "2026-01-01 00:00:00",
    "access_level": "test",
    "repository": "r",
    "commit": "c",
    "script": "s",
    "description": "d",
    "driver_image": "i",
    "config_path": "p.toml",
    "environment": "gcp",
    "batch_url": "b",
    "submitting_user": "u",
    "output_path": "o",
    "meta": "{}",
}


def test_records_from_before_the_migration_get_status_unknown(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.sqlite'}")
    config = alembic_config()
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0003")
        conn.execute(sa.text("INSERT INTO project (id, name, dataset, meta) VALUES (1, 'p', 'p', '{}')"))
        columns = ", ".join(f'"{k}"' for k in OLD_RECORD)  # `commit` is an SQL keyword
        conn.execute(
            sa.text(
                f"INSERT INTO analysis_runner ({columns}) VALUES ({', '.join(':' + k for k in OLD_RECORD)})"
            ),
            OLD_RECORD,
        )
    db.migrate()
    with db.read() as conn:
        row = conn.execute(
            sa.text("SELECT status, exit_code, duration_seconds, finished_at FROM analysis_runner")
        ).one()
    db.dispose()
    assert tuple(row) == ("unknown", None, None, None)
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0003")
        names = {c["name"] for c in sa.inspect(conn).get_columns("analysis_runner")}
    assert "status" not in names and "commit" in names
    db.dispose()
