"""comments: a discussion on projects, samples, assays, sequencing groups, participants and families

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# the entity kinds a comment can be on, with the column naming each (as in tables.COMMENT_ENTITY_COLUMNS)
ENTITY_COLUMNS = {
    "sample": "sample_id",
    "assay": "assay_id",
    "sequencing_group": "sequencing_group_id",
    "participant": "participant_id",
    "family": "family_id",
}
ONE_ENTITY = (
    " + ".join(f"(CASE WHEN {c} IS NULL THEN 0 ELSE 1 END)" for c in ENTITY_COLUMNS.values()) + " <= 1"
)


def upgrade() -> None:
    op.create_table(
        "comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        *(sa.Column(column, sa.Integer(), nullable=True) for column in ENTITY_COLUMNS.values()),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("audit_log_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(ONE_ENTITY, name=op.f("ck_comment_one_entity")),
        sa.ForeignKeyConstraint(
            ["audit_log_id"], ["audit_log.id"], name=op.f("fk_comment_audit_log_id_audit_log")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_comment_project_id_project"), ondelete="CASCADE"
        ),
        *(
            sa.ForeignKeyConstraint(
                [column], [f"{entity}.id"], name=op.f(f"fk_comment_{column}_{entity}"), ondelete="CASCADE"
            )
            for entity, column in ENTITY_COLUMNS.items()
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["comment.id"], name=op.f("fk_comment_parent_id_comment"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment")),
    )
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.create_index("ix_comment_project", ["project_id"], unique=False)
        batch_op.create_index("ix_comment_parent", ["parent_id"], unique=False)
        for column in ENTITY_COLUMNS.values():
            batch_op.create_index(f"ix_comment_{column}", [column], unique=False)

    op.create_table(
        "comment_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("audit_log_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["audit_log_id"], ["audit_log.id"], name=op.f("fk_comment_version_audit_log_id_audit_log")
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comment.id"],
            name=op.f("fk_comment_version_comment_id_comment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_version")),
    )
    with op.batch_alter_table("comment_version", schema=None) as batch_op:
        batch_op.create_index("ix_comment_version_comment", ["comment_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("comment_version", schema=None) as batch_op:
        batch_op.drop_index("ix_comment_version_comment")
    op.drop_table("comment_version")
    with op.batch_alter_table("comment", schema=None) as batch_op:
        for column in ENTITY_COLUMNS.values():
            batch_op.drop_index(f"ix_comment_{column}")
        batch_op.drop_index("ix_comment_parent")
        batch_op.drop_index("ix_comment_project")
    op.drop_table("comment")
