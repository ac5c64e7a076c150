"""Cohorts: named, fixed lists of sequencing groups, each built from a template's criteria.

As in metamist, a cohort made from criteria alone gets a template of its own, so every cohort records how
its sequencing groups were chosen. Criteria are stored as given (project names and formatted sequencing
group ids, with ``projects`` defaulting to the cohort's project), so a template reads the same wherever
it is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa

from genolog.metadata import access
from genolog.metadata import tables as t
from genolog.metadata.context import Tx, utcnow
from genolog.metadata.errors import BadRequest, Conflict, NotFound
from genolog.metadata.permissions import READ, Caller
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


@dataclass(frozen=True)
class CreatedCohort:
    """The outcome of ``create_cohort_from_criteria``; on a dry run nothing was written and the ids are None."""

    cohort_id: int | None
    template_id: int | None
    project_id: int
    name: str
    description: str
    author: str
    selection: Selection


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


def normalise_criteria(tx: Tx, caller: Caller, project_id: int, criteria: Criteria) -> Criteria:
    """Check every criterion (readable projects, well-formed ids, known enum values); default the projects."""
    projects = criteria.projects
    if not projects:
        projects = _project_names(tx, [project_id])
    for name in projects:
        access.project_by_name(tx, caller, name, READ)
    for key in ("sg_ids_internal", "excluded_sgs_internal"):
        tx.codecs.sequencing_group.parse_many(getattr(criteria, key))
    for key, kind in ENUM_CRITERIA.items():
        for value in getattr(criteria, key):
            enums.check(tx.conn, kind, value)
    return replace(criteria, projects=list(projects))


def _project_names(tx: Tx, project_ids: list[int]) -> list[str]:
    return [
        str(name)
        for name in tx.conn.execute(
            sa.select(t.project.c.name).where(t.project.c.id.in_(project_ids))
        ).scalars()
    ]


def select_sequencing_groups(
    tx: Tx, caller: Caller, criteria: Criteria, exclude_ineligible: bool
) -> Selection:
    """The non-archived sequencing groups of the criteria's projects that pass every filter.

    Sequencing groups asked for by id that do not pass are an error, unless ``exclude_ineligible``: then
    they are left out and reported."""
    sg, sample = t.sequencing_group, t.sample
    codec = tx.codecs.sequencing_group
    project_ids = [int(access.project_by_name(tx, caller, n, READ)["id"]) for n in criteria.projects]
    wanted = codec.parse_many(criteria.sg_ids_internal)
    excluded = codec.parse_many(criteria.excluded_sgs_internal)
    _require_visible(tx, caller, wanted + excluded)
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


def _require_visible(tx: Tx, caller: Caller, sg_ids: list[int]) -> None:
    """Sequencing groups named in criteria must exist in a project the caller may read."""
    if not sg_ids:
        return
    found = dict(
        tx.conn.execute(
            sa.select(t.sequencing_group.c.id, t.sample.c.project_id)
            .join(t.sample, t.sample.c.id == t.sequencing_group.c.sample_id)
            .where(t.sequencing_group.c.id.in_(sg_ids))
        ).all()
    )
    missing = [i for i in dict.fromkeys(sg_ids) if i not in found or not caller.can_read(found[i])]
    if missing:
        fmt = tx.codecs.sequencing_group.format
        raise BadRequest(f"Sequencing groups not found: {', '.join(fmt(i) for i in missing)}")


# --- writing ----------------------------------------------------------------------------------------------


def create_template(
    tx: Tx, project_id: int, name: str, description: str, criteria: Criteria, *, caller: Caller
) -> int:
    if not name.strip():
        raise BadRequest("A cohort template needs a name")
    checked = normalise_criteria(tx, caller, project_id, criteria)
    template_id = tx.conn.execute(
        t.cohort_template.insert()
        .values(
            project_id=project_id,
            name=name,
            description=description,
            criteria=checked.as_json(),
            audit_log_id=tx.audit_log_id,
        )
        .returning(t.cohort_template.c.id)
    ).scalar_one()
    tx.created("cohort_template", [template_id], project_id)
    return int(template_id)


def create_cohort_from_criteria(
    tx: Tx,
    project_id: int,
    author: str,
    name: str,
    description: str,
    template_id: int | None,
    criteria: Criteria | None,
    dry_run: bool,
    exclude_ineligible: bool,
    *,
    caller: Caller,
) -> CreatedCohort:
    """Make a cohort of the sequencing groups matching a template's criteria, or new criteria (which then
    become a template of their own); a dry run checks everything and writes nothing."""
    if not name.strip():
        raise BadRequest("A cohort needs a name")
    if template_id is None and criteria is None:
        raise BadRequest("A cohort needs criteria or the id of a cohort template")
    if template_id is not None:
        template = get_template(tx, template_id)
        if not caller.can_read(template["project_id"]):
            raise NotFound(f"Cohort template {tx.codecs.cohort_template.format(template_id)} not found")
        stored = Criteria.from_json(template["criteria"])
        if criteria is not None and normalise_criteria(tx, caller, project_id, criteria) != stored:
            raise BadRequest(
                "Give a cohort template id or criteria; these criteria differ from the template's"
            )
        criteria = stored
    assert criteria is not None
    checked = normalise_criteria(tx, caller, project_id, criteria)
    _require_unique_name(tx, name)
    selection = select_sequencing_groups(tx, caller, checked, exclude_ineligible)
    if not selection.sg_ids:
        raise BadRequest("The cohort criteria match no sequencing groups: a cohort cannot be empty")
    created = CreatedCohort(None, template_id, project_id, name, description, author, selection)
    if dry_run:
        return created
    if template_id is None:
        template_id = create_template(tx, project_id, name, description, checked, caller=caller)
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
            for sg_id in selection.sg_ids
        ],
    )
    tx.created("cohort", [cohort_id], project_id)
    return replace(created, cohort_id=int(cohort_id), template_id=template_id)


def _require_unique_name(tx: Tx, name: str, other_than: int | None = None) -> None:
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
        _require_unique_name(tx, name, other_than=cohort_id)
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
