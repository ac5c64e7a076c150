"""Cohorts: named, fixed lists of sequencing groups, each built from a template's criteria.

As in metamist, a cohort made from criteria alone gets a template of its own, so every cohort records how
its sequencing groups were chosen. Criteria are stored as given (project names and formatted sequencing
group ids, with ``projects`` defaulting to the cohort's project), so a template reads the same wherever
it is shown. ``service.cohorts`` checks that the caller may read what criteria name and orchestrates
the writes; this module reads and writes the rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.context import Tx, utcnow
from genolog.metadata.errors import BadRequest, Conflict, NotFound
from genolog.metadata.store import enums

STATUSES = ("active", "archived", "invalid")
SETTABLE_STATUSES = ("active", "archived")  # "invalid" is the server's verdict, not the caller's

# criteria key -> the enum kind its values must belong to
ENUM_CRITERIA = {
    "sg_technology": "sequencing_technology",
    "sg_platform": "sequencing_platform",
    "sg_type": "sequencing_type",
    "sample_type": "sample_type",
}


@dataclass(frozen=True)
class Criteria:
    """What selects a cohort's sequencing groups; an empty list places no restriction."""

    projects: list[str] = field(default_factory=list)
    sg_ids_internal: list[str] = field(default_factory=list)
    excluded_sgs_internal: list[str] = field(default_factory=list)
    sg_technology: list[str] = field(default_factory=list)
    sg_platform: list[str] = field(default_factory=list)
    sg_type: list[str] = field(default_factory=list)
    sample_type: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Criteria:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(value) - known)
        if unknown:
            raise BadRequest(f"Unknown cohort criteria: {', '.join(unknown)}")
        lists: dict[str, list[str]] = {}
        for key, items in value.items():
            if items is None:
                continue
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise BadRequest(f"Cohort criterion {key} must be a list of strings")
            lists[key] = list(dict.fromkeys(items))
        return cls(**lists)

    def as_json(self) -> dict[str, list[str]]:
        return {key: list(getattr(self, key)) for key in self.__dataclass_fields__}


@dataclass(frozen=True)
class Selection:
    """The sequencing groups a cohort would get, and the requested ones left out as ineligible."""

    criteria: Criteria
    sg_ids: list[int]
    excluded_ineligible: list[int] | None


# --- reading ----------------------------------------------------------------------------------------------


def get_cohort(tx: Tx, cohort_id: int) -> dict[str, Any]:
    row = tx.conn.execute(sa.select(t.cohort).where(t.cohort.c.id == cohort_id)).mappings().first()
    if row is None:
        raise NotFound(f"Cohort {tx.codecs.cohort.format(cohort_id)} not found")
    return dict(row)


def get_template(tx: Tx, template_id: int) -> dict[str, Any]:
    row = (
        tx.conn.execute(sa.select(t.cohort_template).where(t.cohort_template.c.id == template_id))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"Cohort template {tx.codecs.cohort_template.format(template_id)} not found")
    return dict(row)


# --- criteria ---------------------------------------------------------------------------------------------


def check_criteria(tx: Tx, criteria: Criteria) -> None:
    """Every sequencing group id well formed, every enum value known (the projects are the caller's to
    check: ``service.cohorts``)."""
    for key in ("sg_ids_internal", "excluded_sgs_internal"):
        tx.codecs.sequencing_group.parse_many(getattr(criteria, key))
    for key, kind in ENUM_CRITERIA.items():
        for value in getattr(criteria, key):
            enums.check(tx.conn, kind, value)


def project_names(tx: Tx, project_ids: list[int]) -> list[str]:
    return [
        str(name)
        for name in tx.conn.execute(
            sa.select(t.project.c.name).where(t.project.c.id.in_(project_ids))
        ).scalars()
    ]


def projects_of_sequencing_groups(tx: Tx, sg_ids: list[int]) -> dict[int, int]:
    """Sequencing group id -> its sample's project id, for those that exist."""
    if not sg_ids:
        return {}
    return dict(
        tx.conn.execute(
            sa.select(t.sequencing_group.c.id, t.sample.c.project_id)
            .join(t.sample, t.sample.c.id == t.sequencing_group.c.sample_id)
            .where(t.sequencing_group.c.id.in_(sg_ids))
        ).all()
    )


def select_sequencing_groups(
    tx: Tx, project_ids: list[int], criteria: Criteria, exclude_ineligible: bool
) -> Selection:
    """The non-archived sequencing groups of the projects ``project_ids`` (the criteria's) that pass every
    filter.

    Sequencing groups asked for by id that do not pass are an error, unless ``exclude_ineligible``: then
    they are left out and reported."""
    sg, sample = t.sequencing_group, t.sample
    codec = tx.codecs.sequencing_group
    wanted = codec.parse_many(criteria.sg_ids_internal)
    excluded = codec.parse_many(criteria.excluded_sgs_internal)
    where: list[sa.ColumnElement[bool]] = [sample.c.project_id.in_(project_ids), sg.c.archived.is_(False)]
    if wanted:
        where.append(sg.c.id.in_(wanted))
    if excluded:
        where.append(sg.c.id.not_in(excluded))
    for key, column in (
        ("sg_technology", sg.c.technology),
        ("sg_platform", sg.c.platform),
        ("sg_type", sg.c.type),
        ("sample_type", sample.c.type),
    ):
        values = getattr(criteria, key)
        if values:
            where.append(column.in_(values))
    selected = list(
        tx.conn.execute(
            sa.select(sg.c.id).join(sample, sample.c.id == sg.c.sample_id).where(*where).order_by(sg.c.id)
        ).scalars()
    )
    chosen = set(selected)
    ineligible = [i for i in dict.fromkeys(wanted) if i not in chosen and i not in excluded]
    if ineligible and not exclude_ineligible:
        raise BadRequest(
            "These sequencing groups do not meet the cohort criteria (archived, in another project or of "
            f"another kind): {', '.join(codec.format(i) for i in ineligible)}; set "
            "excludeIneligibleSgIdsInternal to leave them out"
        )
    return Selection(criteria, selected, ineligible if exclude_ineligible else None)


# --- writing ----------------------------------------------------------------------------------------------


def insert_template(tx: Tx, project_id: int, name: str, description: str, criteria: Criteria) -> int:
    """A new template of checked criteria."""
    template_id = tx.conn.execute(
        t.cohort_template.insert()
        .values(
            project_id=project_id,
            name=name,
            description=description,
            criteria=criteria.as_json(),
            audit_log_id=tx.audit_log_id,
        )
        .returning(t.cohort_template.c.id)
    ).scalar_one()
    tx.created("cohort_template", [template_id], project_id)
    return int(template_id)


def insert_cohort(
    tx: Tx, project_id: int, author: str, name: str, description: str, template_id: int, sg_ids: list[int]
) -> int:
    """A new active cohort of the sequencing groups ``sg_ids``, made from the template ``template_id``."""
    cohort_id = tx.conn.execute(
        t.cohort.insert()
        .values(
            project_id=project_id,
            name=name,
            description=description,
            author=author,
            status="active",
            template_id=template_id,
            timestamp=utcnow(),
            audit_log_id=tx.audit_log_id,
        )
        .returning(t.cohort.c.id)
    ).scalar_one()
    tx.conn.execute(
        t.cohort_sequencing_group.insert(),
        [
            {"cohort_id": cohort_id, "sequencing_group_id": sg_id, "audit_log_id": tx.audit_log_id}
            for sg_id in sg_ids
        ],
    )
    tx.created("cohort", [cohort_id], project_id)
    return int(cohort_id)


def require_unique_name(tx: Tx, name: str, other_than: int | None = None) -> None:
    statement = sa.select(t.cohort.c.id).where(t.cohort.c.name == name)
    if other_than is not None:
        statement = statement.where(t.cohort.c.id != other_than)
    if tx.conn.execute(statement).first() is not None:
        raise Conflict(f"A cohort named {name!r} already exists")


def update_cohort(
    tx: Tx,
    cohort_id: int,
    name: str | None = None,
    description: str | None = None,
    status: str | None = None,
) -> None:
    row = get_cohort(tx, cohort_id)
    values: dict[str, Any] = {}
    if name is not None:
        if not name.strip():
            raise BadRequest("A cohort needs a name")
        require_unique_name(tx, name, other_than=cohort_id)
        values["name"] = name
    if description is not None:
        values["description"] = description
    if status is not None:
        if status not in SETTABLE_STATUSES:
            raise BadRequest(
                f"A cohort's status can be set to {' or '.join(SETTABLE_STATUSES)}, not {status!r}"
            )
        values["status"] = status
    if not values:
        return
    tx.touch("cohort", [cohort_id], row["project_id"])
    tx.conn.execute(
        t.cohort.update().where(t.cohort.c.id == cohort_id).values(**values, audit_log_id=tx.audit_log_id)
    )
