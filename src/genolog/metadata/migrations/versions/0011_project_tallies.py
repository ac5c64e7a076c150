"""sequencing_group.project_id, and project_tally: each project's counts and meta keys, kept by writes

A project's sequencing groups were found through their samples: a page of them after a cursor walked every
later group of every project until it had a page (a million-sample project's last page: 400 ms), where
``ix_sequencing_group_project`` now finds them in order. The column is the sample's project, which never
changes. On SQLite it is added with a default of 0 (SQLite adds no NOT NULL column without a default), which
every row is then given its value over; genolog always writes it.

``project_tally`` holds what the project pages counted on every view after a change (participants, active
samples, sequencing groups by type, the meta keys of participants and active samples: 2-3 s for a
million samples); ``store.tallies`` keeps it with every write, and this revision fills it from the rows.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 21:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COUNTS = """
SELECT project_id, 'participants', '', COUNT(*) FROM participant GROUP BY project_id
UNION ALL SELECT project_id, 'samples', '', COUNT(*) FROM sample WHERE active GROUP BY project_id
UNION ALL SELECT sequencing_group.project_id, 'sequencing_groups', sequencing_group.type, COUNT(*)
    FROM sequencing_group JOIN sample ON sample.id = sequencing_group.sample_id
    WHERE NOT sequencing_group.archived AND sample.active
    GROUP BY sequencing_group.project_id, sequencing_group.type
"""
# {keys}: the table-valued function of a row's top-level meta keys, {key} its column, {object}: the test
# that the meta is an object
META_KEYS = """
SELECT project_id, 'participant_meta', {key}, COUNT(*) FROM participant, {keys}
    WHERE {object} GROUP BY project_id, {key}
UNION ALL SELECT project_id, 'sample_meta', {key}, COUNT(*) FROM sample, {keys}
    WHERE active AND {object} GROUP BY project_id, {key}
"""


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("ALTER TABLE sequencing_group ADD COLUMN project_id INTEGER NOT NULL DEFAULT 0")
        op.execute(
            "UPDATE sequencing_group SET project_id = "
            "(SELECT project_id FROM sample WHERE sample.id = sequencing_group.sample_id)"
        )
    else:
        op.add_column("sequencing_group", sa.Column("project_id", sa.Integer(), nullable=True))
        op.execute(
            "UPDATE sequencing_group SET project_id = sample.project_id FROM sample "
            "WHERE sample.id = sequencing_group.sample_id"
        )
        op.alter_column("sequencing_group", "project_id", existing_type=sa.Integer(), nullable=False)
    op.create_index("ix_sequencing_group_project", "sequencing_group", ["project_id", "id"])

    op.create_table(
        "project_tally",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("tally", sa.String(32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_tally")),
    )
    op.create_index("ix_project_tally_project", "project_tally", ["project_id", "tally"])
    if sqlite:
        keys = META_KEYS.format(
            keys="json_each(meta) AS meta_key", key="meta_key.key", object="json_type(meta) = 'object'"
        )
    else:
        keys = META_KEYS.format(
            keys="jsonb_object_keys(meta) AS meta_key", key="meta_key", object="jsonb_typeof(meta) = 'object'"
        )
    op.execute(f"INSERT INTO project_tally (project_id, tally, name, n) {COUNTS} UNION ALL {keys}")


def downgrade() -> None:
    op.drop_index("ix_project_tally_project", table_name="project_tally")
    op.drop_table("project_tally")
    op.drop_index("ix_sequencing_group_project", table_name="sequencing_group")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE sequencing_group DROP COLUMN project_id")
    else:
        op.drop_column("sequencing_group", "project_id")
