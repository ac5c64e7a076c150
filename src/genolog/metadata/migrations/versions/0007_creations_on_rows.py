"""Participants, samples, assays and sequencing groups record their creation on their own row

A bulk ingest wrote three ``change`` rows a sample (sample, assay, sequencing group), each with two index
entries: on PostgreSQL the largest single cost of the ingest, more than the sample row with its keys. Each
of these tables gets ``created_audit_log_id``, the audit-log entry of the request that created the row,
and creations write no ``change`` row any more; ``store/history.py`` reads them back as the ``change`` rows
they were.

Rows created before this revision keep NULL there, and their creation stays the ``change`` row it was, so
existing history reads as before. Downgrading writes a ``change`` row for each creation recorded on a row
(what the service wrote before, numbered below the rows already there, as a creation comes first), then
drops the columns.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 09:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# in the order a request creates them (as their ``change`` rows were numbered)
TABLES = ("participant", "sample", "assay", "sequencing_group")
COLUMN = "created_audit_log_id"


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column(COLUMN, sa.Integer(), nullable=True))


def downgrade() -> None:
    creations = []
    for rank, table in enumerate(TABLES):
        if table in ("participant", "sample"):
            creations.append(
                f"SELECT {COLUMN} AS audit_log_id, {rank} AS rank, '{table}' AS entity, id, project_id "
                f"FROM {table} WHERE {COLUMN} IS NOT NULL"
            )
        else:  # an assay or sequencing group is in its sample's project
            creations.append(
                f"SELECT e.{COLUMN}, {rank}, '{table}', e.id, s.project_id FROM {table} e "
                f"JOIN sample s ON s.id = e.sample_id WHERE e.{COLUMN} IS NOT NULL"
            )
    # Numbered below every existing row (an entity's creation comes before its changes, which readers
    # order by id), in the order the requests made them and by kind as a request wrote them.
    op.execute(
        "INSERT INTO change (id, audit_log_id, entity, entity_id, project_id, operation) "
        "SELECT (SELECT COALESCE(MIN(id), 1) FROM change) - ROW_NUMBER() OVER "
        "(ORDER BY audit_log_id DESC, rank DESC, id DESC), audit_log_id, entity, id, project_id, 'create' "
        f"FROM ({' UNION ALL '.join(creations)}) creation"
    )
    for table in TABLES:
        op.drop_column(table, COLUMN)
