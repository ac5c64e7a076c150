"""project_activity: what each request changed in each project, counted (the pages' recent activity),
filled from the ``change`` rows and the creations recorded on entity rows

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 17:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# every change recorded so far, as ``overview.recent_activity`` counted them before this revision
EVENTS = """
SELECT audit_log_id, project_id, entity, operation FROM change WHERE project_id IS NOT NULL
UNION ALL SELECT created_audit_log_id, project_id, 'participant', 'create' FROM participant
    WHERE created_audit_log_id IS NOT NULL
UNION ALL SELECT created_audit_log_id, project_id, 'sample', 'create' FROM sample
    WHERE created_audit_log_id IS NOT NULL
UNION ALL SELECT assay.created_audit_log_id, sample.project_id, 'assay', 'create'
    FROM assay JOIN sample ON sample.id = assay.sample_id WHERE assay.created_audit_log_id IS NOT NULL
UNION ALL SELECT sequencing_group.created_audit_log_id, sample.project_id, 'sequencing_group', 'create'
    FROM sequencing_group JOIN sample ON sample.id = sequencing_group.sample_id
    WHERE sequencing_group.created_audit_log_id IS NOT NULL
"""


def upgrade() -> None:
    op.create_table(
        "project_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_log_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("operation", sa.String(16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_activity")),
    )
    op.create_index("ix_project_activity_project_entry", "project_activity", ["project_id", "audit_log_id"])
    op.execute(
        "INSERT INTO project_activity (audit_log_id, project_id, entity, operation, count) "
        f"SELECT audit_log_id, project_id, entity, operation, count(*) FROM ({EVENTS}) AS events "
        "GROUP BY audit_log_id, project_id, entity, operation"
    )


def downgrade() -> None:
    op.drop_index("ix_project_activity_project_entry", table_name="project_activity")
    op.drop_table("project_activity")
