"""sample.type may be NULL: a sample without a type, which Metamist accepts (its own tests create one)

PostgreSQL drops the column's NOT NULL. SQLite cannot alter a column, and recreating ``sample`` (Alembic's
batch mode) would, with the app's ``PRAGMA foreign_keys=ON``, cascade the drop of the old table to every
assay and sequencing group. So the constraint is removed from the table's definition instead, by the
procedure SQLite documents for removing a NOT NULL constraint (https://www.sqlite.org/lang_altertable.html,
"making other kinds of table schema changes"): the stored rows do not change, every one of them satisfies
the looser definition.

Downgrading restores NOT NULL, and refuses while any sample has no type (give those samples one first).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_REQUIRED = "type VARCHAR(64) NOT NULL,"
_OPTIONAL = "type VARCHAR(64),"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_definition(_REQUIRED, _OPTIONAL)
    else:
        op.alter_column("sample", "type", existing_type=sa.String(64), nullable=True)


def downgrade() -> None:
    untyped = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM sample WHERE type IS NULL")).scalar()
    if untyped:
        raise RuntimeError(f"{untyped} samples have no type; give them one before downgrading below 0009")
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_definition(_OPTIONAL, _REQUIRED)
    else:
        op.alter_column("sample", "type", existing_type=sa.String(64), nullable=False)


def _sqlite_definition(old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in the stored CREATE TABLE of ``sample`` (in the migration's transaction)."""
    conn = op.get_bind()
    sql = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'sample'"
    ).scalar()
    if sql is None or sql.count(old) != 1:
        raise RuntimeError(f"sample's definition does not hold {old!r} once: {sql!r}")
    version = int(conn.exec_driver_sql("PRAGMA schema_version").scalar_one())
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        conn.execute(
            sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = 'sample'"),
            {"sql": sql.replace(old, new)},
        )
        conn.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    finally:
        conn.exec_driver_sql("PRAGMA writable_schema = OFF")
    conn.exec_driver_sql("SELECT type FROM sample LIMIT 1")  # the schema is read again: it must parse
