"""PostgreSQL: drop the foreign keys from an entity's children to the entity, which a bulk ingest writes together

An ingest writes a sample, its external ids, its sequencing group, its assays and their links in one
request, each row referring to one the same request has just inserted or matched. Checking each such key
costs PostgreSQL a trigger and a row lock on the parent, a WAL record each: with these keys a 100,000-sample
ingest spent more of the database's time checking them than writing the rows. The keys dropped:

- each ``*_external_id`` table's key to its entity;
- ``assay.sample_id`` and ``sequencing_group.sample_id``;
- both keys of ``sequencing_group_assay``.

What they checked, the service guarantees: every writer resolves the parent in the project (a 404 if it
is not there) inside the transaction that writes the child, and children are only ever deleted with their
project (``projects.delete_data`` deletes them explicitly, children first, so nothing relied on their
``ON DELETE CASCADE``). A project's deletion and its writers are serialised on the project row (writers
take it ``FOR KEY SHARE``, deletion ``FOR UPDATE``), so no writer can add a child under a parent being
deleted. Keys to the project, to participants and between samples stay, as do all of SQLite's
(``tables.py`` declares the dropped ones for SQLite only).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 03:40:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# (table, column, referred table) at revision 0005, all ON DELETE CASCADE
DROPPED = (
    ("family_external_id", "family_id", "family"),
    ("participant_external_id", "participant_id", "participant"),
    ("sample_external_id", "sample_id", "sample"),
    ("assay_external_id", "assay_id", "assay"),
    ("sequencing_group_external_id", "sequencing_group_id", "sequencing_group"),
    ("assay", "sample_id", "sample"),
    ("sequencing_group", "sample_id", "sample"),
    ("sequencing_group_assay", "sequencing_group_id", "sequencing_group"),
    ("sequencing_group_assay", "assay_id", "assay"),
)


def _name(table: str, column: str, referred: str) -> str:
    # as the naming convention made it; op.f truncates a name over 63 characters as 0001 did
    return op.f(f"fk_{table}_{column}_{referred}")


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if not _postgresql():
        return
    for table, column, referred in DROPPED:
        op.drop_constraint(_name(table, column, referred), table, type_="foreignkey")


def downgrade() -> None:
    if not _postgresql():
        return
    for table, column, referred in DROPPED:
        op.create_foreign_key(
            _name(table, column, referred), table, referred, [column], ["id"], ondelete="CASCADE"
        )
