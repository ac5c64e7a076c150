"""Metamist's ``/cohort`` routes: make a cohort from criteria or a template, make a template (the
service's ``cohorts``, which GraphQL's cohort mutations use too)."""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel

from genolog.metadata.api.dependencies import RequestContext, request_context
from genolog.metadata.errors import BadRequest
from genolog.metadata.models_web import CohortBody, CohortCriteria, CohortTemplate
from genolog.metadata.service import cohorts
from genolog.metadata.service.cohorts import Criteria

router = APIRouter(prefix="/cohort", tags=["cohort"])
DRY_RUN_ID = "CREATE NEW"  # Metamist's cohort id of a dry run


class NewCohort(BaseModel):
    dry_run: bool = False
    cohort_id: str
    sequencing_group_ids: list[str]
    excluded_ineligible_sg_ids_internal: list[str] | None = None


def _criteria(given: CohortCriteria) -> Criteria:
    return Criteria(
        projects=list(given.projects or []),
        sg_ids_internal=list(given.sg_ids_internal or []),
        excluded_sgs_internal=list(given.excluded_sgs_internal or []),
        sg_technology=list(given.sg_technology or []),
        sg_platform=list(given.sg_platform or []),
        sg_type=list(given.sg_type or []),
        sample_type=list(given.sample_type or []),
    )


@router.post("/{project}/cohort", operation_id="createCohortFromCriteria", response_model=NewCohort)
def create_cohort_from_criteria(
    project: str,
    cohort_spec: CohortBody = Body(...),
    cohort_criteria: CohortCriteria | None = Body(None),
    dry_run: bool = False,
    exclude_ineligible_sg_ids_internal: bool = False,
    ctx: RequestContext = Depends(request_context),
) -> NewCohort:
    """Make a cohort of the sequencing groups the criteria (or the template ``template_id``) select; a dry
    run writes nothing and answers the cohort id ``CREATE NEW``."""
    with ctx.writing() as session:
        created = cohorts.create_from_criteria(
            session,
            project,
            cohort_spec.name,
            cohort_spec.description,
            cohort_spec.template_id,
            None if cohort_criteria is None else _criteria(cohort_criteria),
            dry_run,
            exclude_ineligible_sg_ids_internal,
        )
        fmt = session.codecs.sequencing_group.format
        excluded = created.selection.excluded_ineligible
        return NewCohort(
            dry_run=dry_run,
            cohort_id=DRY_RUN_ID
            if created.cohort_id is None
            else session.codecs.cohort.format(created.cohort_id),
            sequencing_group_ids=[fmt(i) for i in created.selection.sg_ids],
            excluded_ineligible_sg_ids_internal=None if excluded is None else [fmt(i) for i in excluded],
        )


@router.post("/{project}/cohort_template", operation_id="createCohortTemplate", response_model=str)
def create_cohort_template(
    project: str, template: CohortTemplate, ctx: RequestContext = Depends(request_context)
) -> str:
    """A new cohort template of the project; its id."""
    if template.id is not None:
        raise BadRequest("createCohortTemplate makes a new template: leave out 'id' (or send null)")
    with ctx.writing() as session:
        template_id = cohorts.create_template(
            session, project, template.name, template.description, _criteria(template.criteria)
        )
        return session.codecs.cohort_template.format(template_id)
