"""PostgreSQL: drop the foreign keys that only re-check what the service itself guarantees

Every user table's ``audit_log_id`` references ``audit_log``: each row names the audit entry its own request
inserted a moment before, and audit entries are never deleted, so the check (a trigger firing for every
inserted or updated row) cannot fail. The ``*_external_id`` tables' ``project_id`` references ``project``,
which their entity foreign key (``ON DELETE CASCADE`` from the entity, itself cascading from the project)
already covers. On PostgreSQL these checks were about half of the database's CPU time in a bulk ingest.

SQLite keeps them: there dropping a foreign key means recreating the table (batch mode), which with the
app's ``PRAGMA foreign_keys=ON`` risks cascading deletes, and its checks cost far less. ``tables.py``
declares the dropped constraints for SQLite only (``ddl_if``).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 01:20:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# the tables with an ``audit_log_id`` referencing ``audit_log`` at revision 0004
AUDITED = (
    "change",
    "project",
    "project_member",
    "family",
    "family_external_id",
    "family_participant",
    "participant",
    "participant_external_id",
    "participant_phenotype",
    "sample",
    "sample_external_id",
    "assay",
    "assay_external_id",
    "sequencing_group",
    "sequencing_group_external_id",
    "sequencing_group_assay",
    "analysis",
    "analysis_cohort",
    "analysis_sequencing_group",
    "analysis_runner",
    "cohort",
    "cohort_template",
    "cohort_sequencing_group",
    "comment",
    "comment_version",
)
EXTERNAL_IDS = (
    "family_external_id",
    "participant_external_id",
    "sample_external_id",
    "assay_external_id",
    "sequencing_group_external_id",
)


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if not _postgresql():
        return
    for table in AUDITED:
        op.drop_constraint(f"fk_{table}_audit_log_id_audit_log", table, type_="foreignkey")
    for table in EXTERNAL_IDS:
        op.drop_constraint(f"fk_{table}_project_id_project", table, type_="foreignkey")


def downgrade() -> None:
    if not _postgresql():
        return
    for table in AUDITED:
        op.create_foreign_key(
            f"fk_{table}_audit_log_id_audit_log", table, "audit_log", ["audit_log_id"], ["id"]
        )
    for table in EXTERNAL_IDS:
        op.create_foreign_key(
            f"fk_{table}_project_id_project", table, "project", ["project_id"], ["id"], ondelete="CASCADE"
        )
