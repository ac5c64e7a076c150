"""analysis_runner: the run's status, exit code, duration and end time (recorded when the driver ends)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 00:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("analysis_runner") as batch:
        batch.add_column(sa.Column("status", sa.String(length=16), nullable=False, server_default="unknown"))
        batch.add_column(sa.Column("exit_code", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("duration_seconds", sa.Float(), nullable=True))
        batch.add_column(sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("analysis_runner") as batch:
        for column in ("finished_at", "duration_seconds", "exit_code", "status"):
            batch.drop_column(column)
