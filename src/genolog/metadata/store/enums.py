"""Controlled vocabularies: sample, assay and analysis types, sequencing types, technologies and platforms."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from genolog.metadata import tables as t
from genolog.metadata.errors import BadRequest

# URL segment -> (stored kind, label in messages)
KINDS: dict[str, tuple[str, str]] = {
    "analysis-type": ("analysis_type", "analysis type"),
    "assay-type": ("assay_type", "assay type"),
    "sample-type": ("sample_type", "sample type"),
    "sequencing-type": ("sequencing_type", "sequencing type"),
    "sequencing-technology": ("sequencing_technology", "sequencing technology"),
    "sequencing-platform": ("sequencing_platform", "sequencing platform"),
}
LABELS = dict(KINDS.values())


def values(conn: Connection, kind: str) -> list[str]:
    return list(
        conn.execute(
            sa.select(t.enum_value.c.name).where(t.enum_value.c.kind == kind).order_by(t.enum_value.c.name)
        ).scalars()
    )


def by_kind(conn: Connection) -> dict[str, set[str]]:
    """Every vocabulary: kind -> its values."""
    result: dict[str, set[str]] = {}
    for kind, name in conn.execute(sa.select(t.enum_value.c.kind, t.enum_value.c.name)).all():
        result.setdefault(kind, set()).add(name)
    return result


def add(conn: Connection, kind: str, name: str) -> str:
    name = (name or "").strip().lower()
    if not name or len(name) > 64 or not all(c.isalnum() or c in "-_." for c in name):
        raise BadRequest(f"Invalid {LABELS[kind]} {name!r}: use 1-64 letters, digits, '-', '_' or '.'")
    if name not in values(conn, kind):
        conn.execute(t.enum_value.insert().values(kind=kind, name=name))
    return name


def check(conn: Connection, kind: str, value: str) -> str:
    """Return ``value`` if it is a known value of ``kind``, else raise a 400 naming the allowed values."""
    allowed = values(conn, kind)
    if value not in allowed:
        raise BadRequest(f"Unknown {LABELS[kind]} {value!r}; known values: {', '.join(allowed)}")
    return value
