"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-22 02:52:12.468820
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SEEDED_ENUMS = {
    "sample_type": ["blood", "saliva"],
    "assay_type": ["sequencing"],
    "sequencing_type": ["chip", "exome", "genome", "mtseq", "transcriptome"],
    "sequencing_technology": ["bulk-rna-seq", "long-read", "short-read", "single-cell-rna-seq"],
    "sequencing_platform": ["illumina", "oxford-nanopore", "pacbio"],
    "analysis_type": [
        "analysis-runner",
        "cram",
        "custom",
        "es-index",
        "gvcf",
        "joint-calling",
        "qc",
        "sv",
        "web",
    ],
}


def upgrade() -> None:
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user", sa.String(length=255), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=255), nullable=False),
        sa.Column("on_behalf_of", sa.String(length=255), nullable=True),
        sa.Column("ar_guid", sa.String(length=64), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("auth_project", sa.Integer(), nullable=True),
        sa.Column(
            "meta",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_table(
        "enum_value",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("kind", "name", name=op.f("pk_enum_value")),
    )
    op.create_table(
        "site_role",
        sa.Column("user", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("user", "role", name=op.f("pk_site_role")),
    )
    op.create_table(
        "change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_log_id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("operation", sa.String(length=16), nullable=False),
        sa.Column(
            "old",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "new",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["audit_log_id"], ["audit_log.id"], name=op.f("fk_change_audit_log_id_audit_log")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change")),
    )
    with op.batch_alter_table("change", schema=None) as batch_op:
        batch_op.create_index("ix_change_entity", ["entity", "entity_id"], unique=False)

    op.create_table(
        "project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("dataset", sa.String(length=64), nullable=False),
        sa.Column(
            "meta",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("audit_log_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["audit_log_id"], ["audit_log.id"], name=op.f("fk_project_audit_log_id_audit_log")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project")),
        sa.UniqueConstraint("name", name=op.f("uq_project_name")),
    )
    op.create_table(
        "analysis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("output", sa.Text(), nullable=True),
        sa.Column(
            "outputs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "meta",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("on_behalf_of", sa.String(length=255), nullable=True),
        sa.Column("timestamp_completed", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("audit_log_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["audit_log_id"], ["audit_log.id"], name=op.f("fk_analysis_audit_log_id_audit_log")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_analysis_project_id_project"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis")),
    )
    with op.batch_alter_table("analysis", schema=None) as batch_op:
        batch_op.create_index("ix_analysis_project_type", ["project_id", "type"], unique=False)

    op.create_table(
        "analysis_runner",
        sa.Column("ar_guid", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("access_level", sa.String(length=16), nullable=False),
        sa.Column("repository", sa.String(length=255), nullable=False),
        sa.Column("commit", sa.String(length=64), nullable=False),
        sa.Column("script", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("driver_image", sa.Text(), nullable=False),
        sa.Column("config_path", sa.Text(), nullable=False),
        sa.Column("cwd", sa.Text(), nullable=True),
        sa.Column("environment", sa.String(length=64), nullable=False),
        sa.Column("hail_version", sa.String(length=64), nullable=True),
        sa.Column("batch_url", sa.Text(), nullable=False),
        sa.Column("submitting_user", sa.String(length=255), nullable=False),
        sa.Column("output_path", sa.Text(), nullable=False),
        sa.Column(
            "meta",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("audit_log_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["audit_log_id"], ["audit_log.id"], name=op.f("fk_analysis_runner_audit_log_id_audit_log")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_analysis_runner_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ar_guid", name=op.f("pk_analysis_runner")),
    )
    with op.batch_alter_table("analysis_runner", schema=None) as batch_op:
        batch_op.create_index("ix_analysis_runner_project", ["project_id"], unique=False)

    op.create_table(
        "cohort",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("author", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("audit_log_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["audit_log_id"], ["audit_log.id"], name=op.f("fk_cohort_audit_log_id_audit_log")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_cohort_project_id_project"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohort")),
        sa.UniqueConstraint("name", name=op.f("uq_cohort_name")),
    )
    op.create_table(
        "family",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("coded_phenotype", sa.String(length=255), nullable=True),
        sa.Column(
            "meta",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("audit_log_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["audit_log_id"], ["audit_log.id"], name=op.f("fk_family_audit_log_id_audit_log")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_family_project_id_project"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family")),
    )
    with op.batch_alter_table("family", schema=None) as batch_op:
        batch_op.create_index("ix_family_project", ["project_id"], unique=False)

    op.create_table(
        "participant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("reported_sex", sa.Integer(), nullable=True),
        sa.Column("reported_gender", sa.String(length=255), nullable=True),
        sa.Column("karyotype", sa.String(length=255), nullable=True),
        sa.Column(
            "meta",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("audit_log_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["audit_log_id"], ["audit_log.id"], name=op.f("fk_participant_audit_log_id_audit_log")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_participant_project_id_project"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participant")),
    )
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.create_index("ix_participant_project", ["project_id"], unique=False)

    op.create_table(
        "project_member",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("member", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("audit_log_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["audit_log_id"], ["audit_log.id"], name=op.f("fk_project_member_audit_log_id_audit_log")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_project_member_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "member", "role", name=op.f("pk_project_member")),
    )
    op.create_table(
        "analysis_cohort",
        sa.Column("analysis_id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("audit_log_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["analysis_id"],
            ["analysis.id"],
            name=op.f("fk_analysis_cohort_analysis_id_analysis"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["audit_log_id"], ["audit_log.id"], name=op.f("fk_analysis_cohort_audit_log_id_audit_log")
        ),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohort.id"], name=op.f("fk_analysis_cohort_cohort_id_cohort"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("analysis_id", "cohort_id", name=op.f("pk_analysis_cohort")),
    )
    op.create_table(
        "family_external_id",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("audit_log_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["audit_log_id"], ["audit_log.id"], name=op.f("fk_family_external_id_audit_log_id_audit_log")
        ),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["family.id"],
            name=op.f("fk_family_external_id_family_id_family"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_family_external_id_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("family_id", "name", name=op.f("pk_family_external_id")),
        sa.UniqueConstraint("project_id", "external_id", name="uq_family_external_id_project_eid"),
    )
    op.create_table(
        "family_participant",
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("paternal_participant_id", sa.Integer(), nullable=True),
        sa.Column("maternal_participant_id", sa.Integer(), nullable=True),
        sa.Column("affected", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("audit_log_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["audit_log_id"], ["audit_log.id"], name=op.f("fk_family_participant_audit_log_id_audit_log")
        ),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["family.id"],
            name=op.f("fk_family_participant_family_id_family"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["maternal_participant_id"],
            ["participant.id"],
            name=op.f("fk_family_participant_maternal_participant_id_participant"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_family_participant_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["paternal_participant_id"],
            ["participant.id"],
            name=op.f("fk_family_participant_paternal_participant_id_participant"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("participant_id", name=op.f("pk_family_participant")),
    )
    with op.batch_alter_table("family_participant", schema=None) as batch_op:
        batch_op.create_index("ix_family_participant_family", ["family_id"], unique=False)

    op.create_table(
        "participant_external_id",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("audit_log_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["audit_log_id"], ["audit_log.id"], name=op.f("fk_participant_external_id_audit_log_id_audit_log")
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_participant_external_id_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_participant_external_id_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("participant_id", "name", name=op.f("pk_participant_external_id")),
        sa.UniqueConstraint("project_id", "external_id", name="uq_participant_external_id_project_eid"),
    )
    op.create_table(
        "participant_phenotype",
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column(
            "value",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("audit_log_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["audit_log_id"], ["audit_log.id"], name=op.f("fk_participant_phenotype_audit_log_id_audit_log")
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_participant_phenotype_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("participant_id", "name", name=op.f("pk_participant_phenotype")),
    )
    op.create_table(
        "sample",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "meta",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("root_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("audit_log_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["audit_log_id"], ["audit_log.id"], name=op.f("fk_sample_audit_log_id_audit_log")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["sample.id"], name=op.f("fk_sample_parent_id_sample"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_sample_participant_id_participant"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_sample_project_id_project"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["root_id"], ["sample.id"], name=op.f("fk_sample_root_id_sample"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sample")),
    )
    with op.batch_alter_table("sample", schema=None) as batch_op:
        batch_op.create_index("ix_sample_participant", ["participant_id"], unique=False)
        batch_op.create_index("ix_sample_project", ["project_id"], unique=False)

    op.create_table(
        "assay",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column(
            "meta",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("audit_log_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["audit_log_id"], ["audit_log.id"], name=op.f("fk_assay_audit_log_id_audit_log")
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["sample.id"], name=op.f("fk_assay_sample_id_sample"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assay")),
    )
    with op.batch_alter_table("assay", schema=None) as batch_op:
        batch_op.create_index("ix_assay_sample", ["sample_id"], unique=False)

    op.create_table(
        "sample_external_id",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("audit_log_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["audit_log_id"], ["audit_log.id"], name=op.f("fk_sample_external_id_audit_log_id_audit_log")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_sample_external_id_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["sample.id"],
            name=op.f("fk_sample_external_id_sample_id_sample"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sample_id", "name", name=op.f("pk_sample_external_id")),
        sa.UniqueConstraint("project_id", "external_id", name="uq_sample_external_id_project_eid"),
    )
    op.create_table(
        "sequencing_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("technology", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=64), nullable=False),
        sa.Column(
            "meta",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("audit_log_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["audit_log_id"], ["audit_log.id"], name=op.f("fk_sequencing_group_audit_log_id_audit_log")
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["sample.id"],
            name=op.f("fk_sequencing_group_sample_id_sample"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sequencing_group")),
    )
    with op.batch_alter_table("sequencing_group", schema=None) as batch_op:
        batch_op.create_index("ix_sequencing_group_sample", ["sample_id"], unique=False)

    op.create_table(
        "analysis_sequencing_group",
        sa.Column("analysis_id", sa.Integer(), nullable=False),
        sa.Column("sequencing_group_id", sa.Integer(), nullable=False),
        sa.Column("audit_log_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["analysis_id"],
            ["analysis.id"],
            name=op.f("fk_analysis_sequencing_group_analysis_id_analysis"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["audit_log_id"],
            ["audit_log.id"],
            name=op.f("fk_analysis_sequencing_group_audit_log_id_audit_log"),
        ),
        sa.ForeignKeyConstraint(
            ["sequencing_group_id"],
            ["sequencing_group.id"],
            name=op.f("fk_analysis_sequencing_group_sequencing_group_id_sequencing_group"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "analysis_id", "sequencing_group_id", name=op.f("pk_analysis_sequencing_group")
        ),
    )
    with op.batch_alter_table("analysis_sequencing_group", schema=None) as batch_op:
        batch_op.create_index("ix_analysis_sequencing_group_sg", ["sequencing_group_id"], unique=False)

    op.create_table(
        "assay_external_id",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("assay_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("audit_log_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assay_id"], ["assay.id"], name=op.f("fk_assay_external_id_assay_id_assay"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["audit_log_id"], ["audit_log.id"], name=op.f("fk_assay_external_id_audit_log_id_audit_log")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_assay_external_id_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("assay_id", "name", name=op.f("pk_assay_external_id")),
        sa.UniqueConstraint("project_id", "external_id", name="uq_assay_external_id_project_eid"),
    )
    op.create_table(
        "cohort_sequencing_group",
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("sequencing_group_id", sa.Integer(), nullable=False),
        sa.Column("audit_log_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["audit_log_id"], ["audit_log.id"], name=op.f("fk_cohort_sequencing_group_audit_log_id_audit_log")
        ),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohort.id"],
            name=op.f("fk_cohort_sequencing_group_cohort_id_cohort"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sequencing_group_id"],
            ["sequencing_group.id"],
            name=op.f("fk_cohort_sequencing_group_sequencing_group_id_sequencing_group"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cohort_id", "sequencing_group_id", name=op.f("pk_cohort_sequencing_group")),
    )
    op.create_table(
        "sequencing_group_assay",
        sa.Column("sequencing_group_id", sa.Integer(), nullable=False),
        sa.Column("assay_id", sa.Integer(), nullable=False),
        sa.Column("audit_log_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assay_id"],
            ["assay.id"],
            name=op.f("fk_sequencing_group_assay_assay_id_assay"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["audit_log_id"], ["audit_log.id"], name=op.f("fk_sequencing_group_assay_audit_log_id_audit_log")
        ),
        sa.ForeignKeyConstraint(
            ["sequencing_group_id"],
            ["sequencing_group.id"],
            name=op.f("fk_sequencing_group_assay_sequencing_group_id_sequencing_group"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sequencing_group_id", "assay_id", name=op.f("pk_sequencing_group_assay")),
    )
    with op.batch_alter_table("sequencing_group_assay", schema=None) as batch_op:
        batch_op.create_index("ix_sequencing_group_assay_assay", ["assay_id"], unique=False)

    op.create_table(
        "sequencing_group_external_id",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("sequencing_group_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("audit_log_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["audit_log_id"],
            ["audit_log.id"],
            name=op.f("fk_sequencing_group_external_id_audit_log_id_audit_log"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_sequencing_group_external_id_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sequencing_group_id"],
            ["sequencing_group.id"],
            name=op.f("fk_sequencing_group_external_id_sequencing_group_id_sequencing_group"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sequencing_group_id", "name", name=op.f("pk_sequencing_group_external_id")),
        sa.UniqueConstraint("project_id", "external_id", name="uq_sequencing_group_external_id_project_eid"),
    )

    # The seeded controlled vocabularies (REFERENCE 1.1); admins may add more through the enums API.
    enum_value = sa.table("enum_value", sa.column("kind", sa.String), sa.column("name", sa.String))
    op.bulk_insert(
        enum_value, [{"kind": kind, "name": name} for kind, names in SEEDED_ENUMS.items() for name in names]
    )


def downgrade() -> None:
    op.drop_table("sequencing_group_external_id")
    with op.batch_alter_table("sequencing_group_assay", schema=None) as batch_op:
        batch_op.drop_index("ix_sequencing_group_assay_assay")

    op.drop_table("sequencing_group_assay")
    op.drop_table("cohort_sequencing_group")
    op.drop_table("assay_external_id")
    with op.batch_alter_table("analysis_sequencing_group", schema=None) as batch_op:
        batch_op.drop_index("ix_analysis_sequencing_group_sg")

    op.drop_table("analysis_sequencing_group")
    with op.batch_alter_table("sequencing_group", schema=None) as batch_op:
        batch_op.drop_index("ix_sequencing_group_sample")

    op.drop_table("sequencing_group")
    op.drop_table("sample_external_id")
    with op.batch_alter_table("assay", schema=None) as batch_op:
        batch_op.drop_index("ix_assay_sample")

    op.drop_table("assay")
    with op.batch_alter_table("sample", schema=None) as batch_op:
        batch_op.drop_index("ix_sample_project")
        batch_op.drop_index("ix_sample_participant")

    op.drop_table("sample")
    op.drop_table("participant_phenotype")
    op.drop_table("participant_external_id")
    with op.batch_alter_table("family_participant", schema=None) as batch_op:
        batch_op.drop_index("ix_family_participant_family")

    op.drop_table("family_participant")
    op.drop_table("family_external_id")
    op.drop_table("analysis_cohort")
    op.drop_table("project_member")
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_index("ix_participant_project")

    op.drop_table("participant")
    with op.batch_alter_table("family", schema=None) as batch_op:
        batch_op.drop_index("ix_family_project")

    op.drop_table("family")
    op.drop_table("cohort")
    with op.batch_alter_table("analysis_runner", schema=None) as batch_op:
        batch_op.drop_index("ix_analysis_runner_project")

    op.drop_table("analysis_runner")
    with op.batch_alter_table("analysis", schema=None) as batch_op:
        batch_op.drop_index("ix_analysis_project_type")

    op.drop_table("analysis")
    op.drop_table("project")
    with op.batch_alter_table("change", schema=None) as batch_op:
        batch_op.drop_index("ix_change_entity")

    op.drop_table("change")
    op.drop_table("site_role")
    op.drop_table("enum_value")
    op.drop_table("audit_log")
    op.drop_table("api_token")
