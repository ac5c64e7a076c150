"""cohort templates; cohorts record their template and creation time

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cohort_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "criteria",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("audit_log_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["audit_log_id"], ["audit_log.id"], name=op.f("fk_cohort_template_audit_log_id_audit_log")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_cohort_template_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohort_template")),
    )
    op.create_index("ix_cohort_template_project", "cohort_template", ["project_id"], unique=False)
    fk_name = op.f("fk_cohort_template_id_cohort_template")
    if op.get_bind().dialect.name == "sqlite":
        # Added in place with an inline (unnamed) reference: a batch (copy-and-move) rebuild of ``cohort``
        # would drop the old table with foreign keys on, deleting its sequencing-group and analysis links.
        op.add_column(
            "cohort",
            sa.Column("template_id", sa.Integer(), sa.ForeignKey("cohort_template.id"), nullable=True),
            inline_references=True,
        )
    else:
        op.add_column("cohort", sa.Column("template_id", sa.Integer(), nullable=True))
        op.create_foreign_key(fk_name, "cohort", "cohort_template", ["template_id"], ["id"])
    op.add_column("cohort", sa.Column("timestamp", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cohort", schema=None) as batch_op:
        batch_op.drop_column("timestamp")
        batch_op.drop_column("template_id")
    op.drop_index("ix_cohort_template_project", table_name="cohort_template")
    op.drop_table("cohort_template")
