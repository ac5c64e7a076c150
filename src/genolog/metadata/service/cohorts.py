"""Cohorts and cohort templates: make a cohort from a template's criteria or new ones (which become a
template of their own), make a template, update a cohort.

Writing needs the contributor or writer role on the cohort's project; the criteria may only name
projects and sequencing groups the caller may read, and a template only be used by a caller who may read
its project (else the same 404 as a template that does not exist).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from genolog.metadata.errors import BadRequest, NotFound
from genolog.metadata.permissions import CONTRIBUTE, READ
from genolog.metadata.service.session import Session
from genolog.metadata.store import cohorts
from genolog.metadata.store.cohorts import Criteria, Selection

__all__ = ["CreatedCohort", "Criteria", "Selection", "create_from_criteria", "create_template", "update"]


@dataclass(frozen=True)
class CreatedCohort:
    """The outcome of ``create_from_criteria``; on a dry run nothing was written and the ids are None."""

    cohort_id: int | None
    template_id: int | None
    project_id: int
    name: str
    description: str
    author: str
    selection: Selection


def _criteria_project(session: Session, name: str) -> int:
    """A project the criteria name, if the caller may read it (the 404 names it as REST does, whatever
    the front end's own wording for a project it was asked for)."""
    return int(session.project(name, READ, f"Project {name!r} not found")["id"])


def _checked(session: Session, project_id: int, criteria: Criteria) -> Criteria:
    """The criteria checked (readable projects, well-formed ids, known enum values), their projects
    defaulting to the cohort's."""
    projects = criteria.projects or cohorts.project_names(session.tx, [project_id])
    for name in projects:
        _criteria_project(session, name)
    cohorts.check_criteria(session.tx, criteria)
    return replace(criteria, projects=list(projects))


def _selection(session: Session, criteria: Criteria, exclude_ineligible: bool) -> Selection:
    """The sequencing groups the checked ``criteria`` select; those they name must exist in a project the
    caller may read (else one 400 names them all, whether missing or elsewhere)."""
    project_ids = [_criteria_project(session, name) for name in criteria.projects]
    codec = session.codecs.sequencing_group
    named = codec.parse_many(criteria.sg_ids_internal) + codec.parse_many(criteria.excluded_sgs_internal)
    owners = cohorts.projects_of_sequencing_groups(session.tx, named)
    missing = [i for i in dict.fromkeys(named) if i not in owners or not session.caller.can_read(owners[i])]
    if missing:
        raise BadRequest(f"Sequencing groups not found: {', '.join(codec.format(i) for i in missing)}")
    return cohorts.select_sequencing_groups(session.tx, project_ids, criteria, exclude_ineligible)


def _new_template(session: Session, project_id: int, name: str, description: str, criteria: Criteria) -> int:
    if not name.strip():
        raise BadRequest("A cohort template needs a name")
    checked = _checked(session, project_id, criteria)
    return cohorts.insert_template(session.tx, project_id, name, description, checked)


def create_template(session: Session, project: str, name: str, description: str, criteria: Criteria) -> int:
    """A new cohort template of the project; its id."""
    project_id = session.project(project, CONTRIBUTE)["id"]
    return _new_template(session, project_id, name, description, criteria)


def create_from_criteria(
    session: Session,
    project: str,
    name: str,
    description: str,
    template_id: str | None,
    criteria: Criteria | None,
    dry_run: bool,
    exclude_ineligible: bool,
) -> CreatedCohort:
    """Make a cohort of the sequencing groups matching a template's criteria, or new criteria (which then
    become a template of their own), written by the caller; a dry run checks everything and writes
    nothing."""
    project_id = int(session.project(project, CONTRIBUTE)["id"])
    template_pk = None if template_id is None else session.codecs.cohort_template.parse(template_id)
    if not name.strip():
        raise BadRequest("A cohort needs a name")
    if template_pk is None and criteria is None:
        raise BadRequest("A cohort needs criteria or the id of a cohort template")
    if template_pk is not None:
        template = cohorts.get_template(session.tx, template_pk)
        if not session.caller.can_read(template["project_id"]):
            raise NotFound(f"Cohort template {session.codecs.cohort_template.format(template_pk)} not found")
        stored = Criteria.from_json(template["criteria"])
        if criteria is not None and _checked(session, project_id, criteria) != stored:
            raise BadRequest(
                "Give a cohort template id or criteria; these criteria differ from the template's"
            )
        criteria = stored
    assert criteria is not None
    checked = _checked(session, project_id, criteria)
    cohorts.require_unique_name(session.tx, name)
    selection = _selection(session, checked, exclude_ineligible)
    if not selection.sg_ids:
        raise BadRequest("The cohort criteria match no sequencing groups: a cohort cannot be empty")
    author = session.caller.user
    created = CreatedCohort(None, template_pk, project_id, name, description, author, selection)
    if dry_run:
        return created
    if template_pk is None:
        template_pk = _new_template(session, project_id, name, description, checked)
    cohort_id = cohorts.insert_cohort(
        session.tx, project_id, author, name, description, template_pk, selection.sg_ids
    )
    return replace(created, cohort_id=cohort_id, template_id=template_pk)


def update(
    session: Session, text_id: str, name: str | None, description: str | None, status: str | None
) -> int:
    """Change a cohort's name, description or status (active or archived); its id."""
    cohort_id = session.codecs.cohort.parse(text_id)
    current = cohorts.get_cohort(session.tx, cohort_id)
    session.project_by_id(current["project_id"], CONTRIBUTE, f"Cohort {text_id} not found")
    cohorts.update_cohort(session.tx, cohort_id, name, description, status)
    return cohort_id
