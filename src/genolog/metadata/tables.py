"""The metadata service's schema, as SQLAlchemy Core tables (migrations in ``migrations/``).

Every table that users change carries ``audit_log_id``: the audit-log entry of the request that last
wrote the row. Old and new values of every change are kept in ``change`` (see ``history.py``), except the
creation of the kinds in ``CREATED_ON_ROW``, which their row records (``created_audit_log_id``).

On PostgreSQL the ``audit_log_id`` foreign keys, the external-id tables' ``project_id`` ones and those from
an entity's children to it are not created (migrations 0005 and 0006, ``_sqlite_only`` at the end of this
module): the service guarantees what they would check, and their per-row triggers were most of the
database's work in a bulk ingest.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
Timestamp = sa.DateTime(timezone=True)


def _audit_column() -> sa.Column[int]:
    return sa.Column("audit_log_id", sa.Integer, sa.ForeignKey("audit_log.id"), nullable=True)


# The entity kinds whose creation is recorded on their own row rather than in ``change`` (migration 0007):
# the ones a bulk ingest creates by the hundred thousand, where three ``change`` rows a sample were the
# database's largest single cost. ``store/history.py`` reads such a creation back as a ``change`` row.
CREATED_ON_ROW = ("participant", "sample", "assay", "sequencing_group")


def _created_column() -> sa.Column[int]:
    """The audit-log entry of the request that created the row; NULL for rows created before migration
    0007, whose creation is a ``change`` row. No foreign key, as ``audit_log_id`` has none on PostgreSQL:
    the entry is the creating request's own, and audit entries are never deleted."""
    return sa.Column("created_audit_log_id", sa.Integer, nullable=True)


audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("timestamp", Timestamp, nullable=False),
    sa.Column("author", sa.String(255), nullable=False),
    sa.Column("on_behalf_of", sa.String(255)),
    sa.Column("ar_guid", sa.String(64)),
    sa.Column("comment", sa.Text),
    sa.Column("auth_project", sa.Integer),
    sa.Column("meta", JSON, nullable=False, default=dict),
)

# Old and new values of every change, one row per entity per request.
change = sa.Table(
    "change",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("audit_log_id", sa.Integer, sa.ForeignKey("audit_log.id"), nullable=False),
    sa.Column("entity", sa.String(32), nullable=False),
    sa.Column("entity_id", sa.Integer, nullable=False),
    sa.Column("project_id", sa.Integer),
    sa.Column("operation", sa.String(16), nullable=False),
    sa.Column("old", JSON),
    sa.Column("new", JSON),
    sa.Index("ix_change_entity", "entity", "entity_id"),
)

# How many entities of each kind each request created, updated or deleted in each project (a row per
# request, project, kind and operation, written with its ``change`` rows by ``context.Tx.finish``): the
# pages' recent activity, read without counting a project's rows (a million-sample project's: 4-10 s).
project_activity = sa.Table(
    "project_activity",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("audit_log_id", sa.Integer, nullable=False),
    sa.Column("project_id", sa.Integer, nullable=False),
    sa.Column("entity", sa.String(32), nullable=False),
    sa.Column("operation", sa.String(16), nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Index("ix_project_activity_project_entry", "project_id", "audit_log_id"),
)

# Each project's counts and meta keys, kept by every write (store/tallies.py): a project page reads them
# rather than counting a million rows. No unique index on the names: a meta key may be longer than
# PostgreSQL can index, and only the project's change-lock holder writes them.
project_tally = sa.Table(
    "project_tally",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("project_id", sa.Integer, nullable=False),
    sa.Column("tally", sa.String(32), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Index("ix_project_tally_project", "project_id", "tally"),
)

# --- identity -------------------------------------------------------------------------------------------

api_token = sa.Table(
    "api_token",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user", sa.String(255), nullable=False),
    sa.Column("label", sa.String(255)),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("revoked_at", Timestamp),
    sa.Column("expires_at", Timestamp),  # NULL: never (migration 0008)
)

# Site-wide roles: admin, project-creator, members-admin.
site_role = sa.Table(
    "site_role",
    metadata,
    sa.Column("user", sa.String(255), primary_key=True),
    sa.Column("role", sa.String(32), primary_key=True),
)

# --- projects -------------------------------------------------------------------------------------------

project = sa.Table(
    "project",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("dataset", sa.String(64), nullable=False),
    sa.Column("meta", JSON, nullable=False, default=dict),
    _audit_column(),
)

project_member = sa.Table(
    "project_member",
    metadata,
    sa.Column("project_id", sa.Integer, sa.ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("member", sa.String(255), primary_key=True),
    sa.Column("role", sa.String(32), primary_key=True),
    _audit_column(),
)

# Controlled vocabularies: sample-type, assay-type, sequencing-type, ... (kind, name).
enum_value = sa.Table(
    "enum_value",
    metadata,
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(64), primary_key=True),
)


def _external_id_table(entity: str) -> sa.Table:
    """Per-organisation external ids of one entity kind; the primary organisation is ''.

    An external id is unique per project across organisations for its kind.
    """
    return sa.Table(
        f"{entity}_external_id",
        metadata,
        sa.Column("project_id", sa.Integer, sa.ForeignKey("project.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            f"{entity}_id", sa.Integer, sa.ForeignKey(f"{entity}.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("external_id", sa.String(255), nullable=False),
        _audit_column(),
        sa.UniqueConstraint("project_id", "external_id", name=f"uq_{entity}_external_id_project_eid"),
    )


# --- participants and families --------------------------------------------------------------------------

participant = sa.Table(
    "participant",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("project_id", sa.Integer, sa.ForeignKey("project.id", ondelete="CASCADE"), nullable=False),
    sa.Column("reported_sex", sa.Integer),
    sa.Column("reported_gender", sa.String(255)),
    sa.Column("karyotype", sa.String(255)),
    sa.Column("meta", JSON, nullable=False, default=dict),
    _audit_column(),
    _created_column(),
    sa.Index("ix_participant_project", "project_id"),
)
participant_external_id = _external_id_table("participant")

participant_phenotype = sa.Table(
    "participant_phenotype",
    metadata,
    sa.Column(
        "participant_id", sa.Integer, sa.ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("value", JSON),
    _audit_column(),
)

family = sa.Table(
    "family",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("project_id", sa.Integer, sa.ForeignKey("project.id", ondelete="CASCADE"), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("coded_phenotype", sa.String(255)),
    sa.Column("meta", JSON, nullable=False, default=dict),
    _audit_column(),
    sa.Index("ix_family_project", "project_id"),
)
family_external_id = _external_id_table("family")

# One pedigree row per participant: a participant is in at most one family.
family_participant = sa.Table(
    "family_participant",
    metadata,
    sa.Column(
        "participant_id", sa.Integer, sa.ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("family_id", sa.Integer, sa.ForeignKey("family.id", ondelete="CASCADE"), nullable=False),
    sa.Column("paternal_participant_id", sa.Integer, sa.ForeignKey("participant.id", ondelete="SET NULL")),
    sa.Column("maternal_participant_id", sa.Integer, sa.ForeignKey("participant.id", ondelete="SET NULL")),
    sa.Column("affected", sa.Integer),
    sa.Column("notes", sa.Text),
    _audit_column(),
    sa.Index("ix_family_participant_family", "family_id"),
)

# --- samples, assays, sequencing groups -----------------------------------------------------------------

sample = sa.Table(
    "sample",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("project_id", sa.Integer, sa.ForeignKey("project.id", ondelete="CASCADE"), nullable=False),
    sa.Column("participant_id", sa.Integer, sa.ForeignKey("participant.id", ondelete="SET NULL")),
    sa.Column("type", sa.String(64)),  # NULL: a sample without a type, as Metamist allows
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("meta", JSON, nullable=False, default=dict),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("sample.id", ondelete="SET NULL")),
    sa.Column("root_id", sa.Integer, sa.ForeignKey("sample.id", ondelete="SET NULL")),
    sa.Column("created_at", Timestamp, nullable=False),
    _audit_column(),
    _created_column(),
    sa.Index("ix_sample_project", "project_id"),
    sa.Index("ix_sample_participant", "participant_id"),
)
sample_external_id = _external_id_table("sample")

assay = sa.Table(
    "assay",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sample_id", sa.Integer, sa.ForeignKey("sample.id", ondelete="CASCADE"), nullable=False),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("meta", JSON, nullable=False, default=dict),
    _audit_column(),
    _created_column(),
    sa.Index("ix_assay_sample", "sample_id"),
)
assay_external_id = _external_id_table("assay")

sequencing_group = sa.Table(
    "sequencing_group",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sample_id", sa.Integer, sa.ForeignKey("sample.id", ondelete="CASCADE"), nullable=False),
    # the sample's project, copied (samples never change project): a project's groups in id order are then
    # read from one index, however its ids interleave with other projects' (migration 0011)
    sa.Column("project_id", sa.Integer, nullable=False),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("technology", sa.String(64), nullable=False),
    sa.Column("platform", sa.String(64), nullable=False),
    sa.Column("meta", JSON, nullable=False, default=dict),
    sa.Column("archived", sa.Boolean, nullable=False, default=False),
    _audit_column(),
    _created_column(),
    sa.Index("ix_sequencing_group_sample", "sample_id"),
    sa.Index("ix_sequencing_group_project", "project_id", "id"),
)
sequencing_group_external_id = _external_id_table("sequencing_group")

sequencing_group_assay = sa.Table(
    "sequencing_group_assay",
    metadata,
    sa.Column(
        "sequencing_group_id",
        sa.Integer,
        sa.ForeignKey("sequencing_group.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("assay_id", sa.Integer, sa.ForeignKey("assay.id", ondelete="CASCADE"), primary_key=True),
    _audit_column(),
    sa.Index("ix_sequencing_group_assay_assay", "assay_id"),
)

# --- cohorts and analyses -------------------------------------------------------------------------------

# The criteria a cohort was built from: projects, SG ids to include or exclude, technology, platform and
# sequencing type, sample type (as given, formatted ids and project names; see store/cohorts.py).
cohort_template = sa.Table(
    "cohort_template",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("project_id", sa.Integer, sa.ForeignKey("project.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("criteria", JSON, nullable=False),
    _audit_column(),
    sa.Index("ix_cohort_template_project", "project_id"),
)

cohort = sa.Table(
    "cohort",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("project_id", sa.Integer, sa.ForeignKey("project.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("description", sa.Text),
    sa.Column("author", sa.String(255)),
    sa.Column("status", sa.String(16), nullable=False, default="active"),
    _audit_column(),
    # null only for cohorts made before templates existed (migration 0002)
    sa.Column("template_id", sa.Integer, sa.ForeignKey("cohort_template.id")),
    sa.Column("timestamp", Timestamp),
)

cohort_sequencing_group = sa.Table(
    "cohort_sequencing_group",
    metadata,
    sa.Column("cohort_id", sa.Integer, sa.ForeignKey("cohort.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "sequencing_group_id",
        sa.Integer,
        sa.ForeignKey("sequencing_group.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    _audit_column(),
)

analysis = sa.Table(
    "analysis",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("project_id", sa.Integer, sa.ForeignKey("project.id", ondelete="CASCADE"), nullable=False),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("output", sa.Text),
    sa.Column("outputs", JSON),
    sa.Column("meta", JSON, nullable=False, default=dict),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("on_behalf_of", sa.String(255)),
    sa.Column("timestamp_completed", Timestamp),
    sa.Column("created_at", Timestamp, nullable=False),
    _audit_column(),
    sa.Index("ix_analysis_project_type", "project_id", "type"),
)

analysis_sequencing_group = sa.Table(
    "analysis_sequencing_group",
    metadata,
    sa.Column("analysis_id", sa.Integer, sa.ForeignKey("analysis.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "sequencing_group_id",
        sa.Integer,
        sa.ForeignKey("sequencing_group.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    _audit_column(),
    sa.Index("ix_analysis_sequencing_group_sg", "sequencing_group_id"),
)

analysis_cohort = sa.Table(
    "analysis_cohort",
    metadata,
    sa.Column("analysis_id", sa.Integer, sa.ForeignKey("analysis.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("cohort_id", sa.Integer, sa.ForeignKey("cohort.id", ondelete="CASCADE"), primary_key=True),
    _audit_column(),
)

analysis_runner = sa.Table(
    "analysis_runner",
    metadata,
    sa.Column("ar_guid", sa.String(64), primary_key=True),
    sa.Column("project_id", sa.Integer, sa.ForeignKey("project.id", ondelete="CASCADE"), nullable=False),
    sa.Column("timestamp", Timestamp, nullable=False),
    sa.Column("access_level", sa.String(16), nullable=False),
    sa.Column("repository", sa.String(255), nullable=False),
    sa.Column("commit", sa.String(64), nullable=False),
    sa.Column("script", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("driver_image", sa.Text, nullable=False),
    sa.Column("config_path", sa.Text, nullable=False),
    sa.Column("cwd", sa.Text),
    sa.Column("environment", sa.String(64), nullable=False),
    sa.Column("hail_version", sa.String(64)),
    sa.Column("batch_url", sa.Text, nullable=False),
    sa.Column("submitting_user", sa.String(255), nullable=False),
    sa.Column("output_path", sa.Text, nullable=False),
    sa.Column("meta", JSON, nullable=False, default=dict),
    # the run's outcome, which the runner records when its driver ends (not part of metamist's record)
    sa.Column("status", sa.String(16), nullable=False, server_default="unknown"),
    sa.Column("exit_code", sa.Integer),
    sa.Column("duration_seconds", sa.Float),
    sa.Column("finished_at", Timestamp),
    _audit_column(),
    sa.Index("ix_analysis_runner_project", "project_id"),
)

# --- comments ("discussion") ---------------------------------------------------------------------------

# The entity kinds a comment can be on, and the column of ``comment`` naming it (a project comment names none).
COMMENT_ENTITY_COLUMNS = {
    "sample": "sample_id",
    "assay": "assay_id",
    "sequencing_group": "sequencing_group_id",
    "participant": "participant_id",
    "family": "family_id",
}


def _comment_entity_column(entity: str) -> sa.Column[int]:
    return sa.Column(
        COMMENT_ENTITY_COLUMNS[entity], sa.Integer, sa.ForeignKey(f"{entity}.id", ondelete="CASCADE")
    )


# One nullable foreign key per entity kind (so a comment goes when its entity does); a reply
# (``parent_id``) copies its thread's entity columns. ``author`` is who wrote the comment, kept across edits.
comment = sa.Table(
    "comment",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("project_id", sa.Integer, sa.ForeignKey("project.id", ondelete="CASCADE"), nullable=False),
    *(_comment_entity_column(entity) for entity in COMMENT_ENTITY_COLUMNS),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("comment.id", ondelete="CASCADE")),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("author", sa.String(255), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, default="active"),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    _audit_column(),
    sa.CheckConstraint(
        " + ".join(f"(CASE WHEN {c} IS NULL THEN 0 ELSE 1 END)" for c in COMMENT_ENTITY_COLUMNS.values())
        + " <= 1",
        name="one_entity",
    ),
    sa.Index("ix_comment_project", "project_id"),
    sa.Index("ix_comment_parent", "parent_id"),
    *(sa.Index(f"ix_comment_{c}", c) for c in COMMENT_ENTITY_COLUMNS.values()),
)

# The earlier versions of a comment: what it was before each edit, delete or restore, and who wrote it.
comment_version = sa.Table(
    "comment_version",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("comment_id", sa.Integer, sa.ForeignKey("comment.id", ondelete="CASCADE"), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("author", sa.String(255), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("timestamp", Timestamp, nullable=False),  # when this version was written
    _audit_column(),
    sa.Index("ix_comment_version_comment", "comment_id"),
)

# Tables wiped, children first, when a -test project's data is deleted.
PROJECT_DATA_TABLES = (
    "comment_version",
    "comment",
    "analysis_cohort",
    "analysis_sequencing_group",
    "analysis",
    "analysis_runner",
    "cohort_sequencing_group",
    "cohort",
    "cohort_template",
    "sequencing_group_assay",
    "sequencing_group_external_id",
    "sequencing_group",
    "assay_external_id",
    "assay",
    "sample_external_id",
    "sample",
    "family_participant",
    "family_external_id",
    "family",
    "participant_phenotype",
    "participant_external_id",
    "participant",
)


# (table, referred table) of the keys from an entity's children to it that PostgreSQL does without
# (migration 0006): a bulk ingest writes parent and children together, and checking each key cost the
# database more than writing the rows
_CHILD_KEYS = {
    *(
        (f"{entity}_external_id", entity)
        for entity in ("family", "participant", "sample", "assay", "sequencing_group")
    ),
    ("assay", "sample"),
    ("sequencing_group", "sample"),
    ("sequencing_group_assay", "sequencing_group"),
    ("sequencing_group_assay", "assay"),
}


def _sqlite_only(constraint: sa.ForeignKeyConstraint) -> bool:
    """The foreign keys PostgreSQL does without, because the service guarantees what they check.

    Migration 0005: ``audit_log_id`` → ``audit_log`` on every table (each row names the audit entry its
    request just inserted; audit entries are never deleted) and ``project_id`` → ``project`` on the
    external-id tables (their entity's key covers it). Migration 0006: the keys in ``_CHILD_KEYS`` (each
    writer resolves the parent in the same transaction; children go only with their project, deleted
    explicitly). On PostgreSQL their per-row trigger checks were most of the database's work in a bulk
    ingest; SQLite keeps them (dropping them there means recreating the tables)."""
    referred = constraint.referred_table.name
    table = constraint.table.name
    return (
        referred == "audit_log"
        or (referred == "project" and table.endswith("_external_id"))
        or (table, referred) in _CHILD_KEYS
    )


for _table in metadata.tables.values():
    for _constraint in _table.foreign_key_constraints:
        if _sqlite_only(_constraint):
            _constraint.ddl_if(dialect="sqlite")


def creations_on_rows(kind: str) -> tuple[sa.Table, sa.FromClause, sa.ColumnElement[int]]:
    """For a kind in ``CREATED_ON_ROW``: its table, what to select its creations from, and their project's
    id. An assay or sequencing group has no ``project_id``: it is in its sample's project, joined here."""
    table = metadata.tables[kind]
    if "project_id" in table.c:
        return table, table, table.c.project_id
    return table, table.join(sample, sample.c.id == table.c.sample_id), sample.c.project_id
