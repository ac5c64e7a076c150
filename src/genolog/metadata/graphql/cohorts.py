"""GraphQL cohorts and cohort templates: output types, filters, and the ``cohort`` mutations.

Relations load through ``Siblings`` groups as in ``nodes.py``: one statement per level for all nodes.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from genolog.metadata.errors import BadRequest, NotFound
from genolog.metadata.graphql.analyses import GraphQLAnalysis, analysis_nodes
from genolog.metadata.graphql.context import (
    GraphQLContext,
    Siblings,
    context_of,
    found_in,
    group,
    nodes_of,
    only,
)
from genolog.metadata.graphql.filters import BoolGraphQLFilter, GraphQLFilter
from genolog.metadata.graphql.nodes import cache_key, project_of, raw_json
from genolog.metadata.graphql.paging import (  # Connection: named by the xsConnection fields
    Connection,  # noqa: F401
    Grouped,
    PageList,
    connection,
    page_of,
)
from genolog.metadata.graphql.projects import GraphQLProject
from genolog.metadata.graphql.sequencing_groups import (
    GraphQLSequencingGroup,
    sequencing_group_nodes,
)
from genolog.metadata.service import cohorts as service
from genolog.metadata.service.reads import cohorts as reads
from genolog.metadata.service.reads.analyses import analyses_of_cohorts
from genolog.metadata.service.reads.paging import Page
from genolog.metadata.service.reads.rows import IdSource, Rows, parse_json
from genolog.metadata.service.reads.sequencing_groups import (
    sequencing_groups_listed,
    sequencing_groups_of_cohorts,
)

DRY_RUN_ID = "DRY RUN"  # what a dry run's cohort is called: it has no id yet
NEW_TEMPLATE_ID = "CREATE NEW"  # metamist's word for the template a dry run would create


@strawberry.enum(name="CohortStatus")
class CohortStatus(enum.Enum):
    active = "active"
    archived = "archived"
    invalid = "invalid"


@strawberry.enum(name="CohortUpdateStatus")
class CohortUpdateStatus(enum.Enum):
    active = "active"
    archived = "archived"


# A named subclass rather than an alias, so that projects.py can refer to it lazily (no import cycle).
@strawberry.input(name="CohortStatusGraphQLFilter", description="Filter for GraphQL queries")
class CohortStatusGraphQLFilter(GraphQLFilter[CohortStatus]):
    pass


# --- output types -----------------------------------------------------------------------------------------


@strawberry.type(name="GraphQLCohortTemplate")
class GraphQLCohortTemplate:
    pk: strawberry.Private[int]
    sib: strawberry.Private[Siblings[GraphQLCohortTemplate]]
    project_id: strawberry.Private[int]
    id: str
    name: str
    description: str
    criteria_raw: strawberry.Private[str]

    @strawberry.field(metadata=raw_json("criteria_raw"))
    def criteria(self) -> JSON:
        return parse_json(self.criteria_raw)

    @strawberry.field
    def project(self) -> GraphQLProject:
        return project_of(self.sib, self.project_id)


def template_nodes(ctx: GraphQLContext, rows: Sequence[Mapping[str, Any]]) -> list[GraphQLCohortTemplate]:
    fmt = ctx.tx.codecs.cohort_template.format
    return nodes_of(
        ctx,
        rows,
        lambda r, sib: GraphQLCohortTemplate(
            pk=r["id"],
            sib=sib,
            project_id=r["project_id"],
            id=fmt(r["id"]),
            name=r["name"],
            description=r["description"],
            criteria_raw=r["criteria"],
        ),
    )


@dataclass(frozen=True)
class Preview:
    """A dry run's cohort: what would be created, held in memory."""

    sg_ids: list[int]
    template: GraphQLCohortTemplate


@strawberry.type(name="GraphQLCohort")
class GraphQLCohort:
    pk: strawberry.Private[int]
    sib: strawberry.Private[Siblings[GraphQLCohort]]
    project_id: strawberry.Private[int]
    template_pk: strawberry.Private[int | None]
    preview: strawberry.Private[Preview | None]
    id: str
    name: str
    description: str
    author: str
    status: CohortStatus

    @strawberry.field
    def template(self) -> GraphQLCohortTemplate:
        if self.preview is not None:
            return self.preview.template

        def load(ids: IdSource) -> dict[int, GraphQLCohortTemplate]:
            rows = reads.templates_of_cohorts(self.sib.ctx, ids)
            return {n.pk: n for n in template_nodes(self.sib.ctx, rows)}

        if self.template_pk is None:  # only cohorts made before templates existed
            raise NotFound(f"Cohort {self.id} has no template")
        # the template's id is not named: it may be of a project the caller cannot read
        return found_in(
            self.sib.load("template", load), self.template_pk, f"Template of cohort {self.id} not found"
        )

    @strawberry.field
    def sequencing_groups(
        self, active_only: BoolGraphQLFilter | None = None, first: int | None = None, after: str | None = None
    ) -> list[GraphQLSequencingGroup]:
        ctx = self.sib.ctx
        page = self.sib.page(first, after, ctx.tx.codecs.sequencing_group.parse)
        if self.preview is not None:
            rows = sequencing_groups_listed(ctx, self.preview.sg_ids, page, active_only)
            preview: Grouped[GraphQLSequencingGroup] = Grouped(rows.counter)
            preview[None] = sequencing_group_nodes(ctx, rows)
            return page_of(preview, None, page)

        def load(ids: IdSource) -> dict[int, list[GraphQLSequencingGroup]]:
            rows = sequencing_groups_of_cohorts(ctx, ids, page, active_only)
            return _by_parent(rows, sequencing_group_nodes(ctx, rows))

        return page_of(self.sib.load(cache_key("sgs", active_only, page), load), self.pk, page)

    sequencing_groups_connection = connection(sequencing_groups, "GraphQLSequencingGroup")

    @strawberry.field
    def analyses(self, first: int | None = None, after: str | None = None) -> list[GraphQLAnalysis]:
        page = self.sib.page(first, after)
        if self.preview is not None:
            return PageList()

        def load(ids: IdSource) -> dict[int, list[GraphQLAnalysis]]:
            rows = analyses_of_cohorts(self.sib.ctx, ids, page)
            return _by_parent(rows, analysis_nodes(self.sib.ctx, rows))

        return page_of(self.sib.load(cache_key("analyses", page), load), self.pk, page)

    analyses_connection = connection(analyses, "GraphQLAnalysis")

    @strawberry.field
    def project(self) -> GraphQLProject:
        return project_of(self.sib, self.project_id)


def _by_parent(rows: Rows, nodes: Sequence[Any]) -> Grouped[Any]:
    """Nodes built from link-joined rows, grouped by the rows' ``cohort_id``."""
    result: Grouped[Any] = Grouped(rows.counter)
    for row, node in zip(rows, nodes, strict=True):
        result.setdefault(row["cohort_id"], []).append(node)
    return result


def cohort_nodes(ctx: GraphQLContext, rows: Sequence[Mapping[str, Any]]) -> list[GraphQLCohort]:
    fmt = ctx.tx.codecs.cohort.format
    return nodes_of(
        ctx,
        rows,
        lambda r, sib: GraphQLCohort(
            pk=r["id"],
            sib=sib,
            project_id=r["project_id"],
            template_pk=r["template_id"],
            preview=None,
            id=fmt(r["id"]),
            name=r["name"],
            description=r["description"] or "",
            author=r["author"] or "",
            status=CohortStatus(r["status"]),
        ),
    )


def _cohort(ctx: GraphQLContext, cohort_id: int) -> GraphQLCohort:
    found = cohort_nodes(ctx, reads.cohort_by_id(ctx, cohort_id))
    return only(found, f"Cohort {ctx.tx.codecs.cohort.format(cohort_id)} not found")


def cohorts_of_projects(sib: Siblings[Any], pk: int, page: Page, *filters: Any) -> list[GraphQLCohort]:
    """``GraphQLProject.cohorts``: filters as ``reads.cohort_where`` takes them (id, name, author,
    template, timestamp, status)."""

    def load(ids: IdSource) -> Grouped[GraphQLCohort]:
        rows = reads.cohorts_of_projects(sib.ctx, ids, page, *filters)
        return group(rows, cohort_nodes(sib.ctx, rows), lambda n: n.project_id)

    return page_of(sib.load(cache_key("cohorts", page, *filters), load), pk, page)


# --- mutations --------------------------------------------------------------------------------------------


@strawberry.input(name="CohortCriteriaInput")
class CohortCriteriaInput:
    projects: list[str] | None = None
    sg_ids_internal: list[str] | None = None
    excluded_sgs_internal: list[str] | None = None
    sg_technology: list[str] | None = None
    sg_platform: list[str] | None = None
    sg_type: list[str] | None = None
    sample_type: list[str] | None = None

    def to_criteria(self) -> service.Criteria:
        return service.Criteria.from_json(
            {key: getattr(self, key) for key in service.Criteria.__dataclass_fields__}
        )


@strawberry.input(name="CohortBodyInput")
class CohortBodyInput:
    name: str
    description: str
    template_id: str | None = None


@strawberry.input(name="CohortTemplateInput")
class CohortTemplateInput:
    id: int | None = None
    name: str
    description: str
    criteria: CohortCriteriaInput


@strawberry.input(name="CohortUpdateBodyInput")
class CohortUpdateBodyInput:
    name: str | None = None
    description: str | None = None
    status: CohortUpdateStatus | None = None


@strawberry.type(name="CreatedGraphQLCohort")
class CreatedGraphQLCohort:
    created_cohort: GraphQLCohort
    excluded_ineligible_sg_ids_internal: list[str] | None


def _writing(info: Info[Any, Any]) -> GraphQLContext:
    ctx = context_of(info)
    if ctx.tx.audit is None:
        raise BadRequest("Mutations must be sent as a mutation operation")
    return ctx


def _preview(ctx: GraphQLContext, created: service.CreatedCohort) -> GraphQLCohort:
    """The cohort a dry run would create, with its (existing or would-be) template."""
    if created.template_id is not None:
        fmt = ctx.tx.codecs.cohort_template.format
        template = only(
            template_nodes(ctx, reads.template_by_id(ctx, created.template_id)),
            f"Cohort template {fmt(created.template_id)} not found",
        )
    else:
        template_sib: Siblings[GraphQLCohortTemplate] = Siblings(ctx)
        template = GraphQLCohortTemplate(
            pk=0,
            sib=template_sib,
            project_id=created.project_id,
            id=NEW_TEMPLATE_ID,
            name=created.name,
            description=created.description,
            criteria_raw=orjson.dumps(created.selection.criteria.as_json()).decode(),
        )
        template_sib.nodes = [template]
    sib: Siblings[GraphQLCohort] = Siblings(ctx)
    sib.nodes = [
        GraphQLCohort(
            pk=0,
            sib=sib,
            project_id=created.project_id,
            template_pk=created.template_id,
            preview=Preview(created.selection.sg_ids, template),
            id=DRY_RUN_ID,
            name=created.name,
            description=created.description,
            author=created.author,
            status=CohortStatus.active,
        )
    ]
    return sib.nodes[0]


@strawberry.type
class CohortMutations:
    @strawberry.mutation
    def create_cohort_from_criteria(
        self,
        info: Info[Any, Any],
        project: str,
        cohort_spec: CohortBodyInput,
        cohort_criteria: CohortCriteriaInput | None = None,
        dry_run: bool = False,
        exclude_ineligible_sg_ids_internal: bool = False,
    ) -> CreatedGraphQLCohort:
        ctx = _writing(info)
        created = service.create_from_criteria(
            ctx,
            project,
            cohort_spec.name,
            cohort_spec.description,
            cohort_spec.template_id,
            None if cohort_criteria is None else cohort_criteria.to_criteria(),
            dry_run,
            exclude_ineligible_sg_ids_internal,
        )
        excluded = created.selection.excluded_ineligible
        fmt = ctx.tx.codecs.sequencing_group.format
        cohort = _preview(ctx, created) if created.cohort_id is None else _cohort(ctx, created.cohort_id)
        return CreatedGraphQLCohort(
            created_cohort=cohort,
            excluded_ineligible_sg_ids_internal=None if excluded is None else [fmt(i) for i in excluded],
        )

    @strawberry.mutation
    def create_cohort_template(
        self, info: Info[Any, Any], project: str, template: CohortTemplateInput
    ) -> GraphQLCohortTemplate:
        ctx = _writing(info)
        if template.id is not None:
            raise BadRequest("createCohortTemplate makes a new template: leave out 'id'")
        template_id = service.create_template(
            ctx, project, template.name, template.description, template.criteria.to_criteria()
        )
        fmt = ctx.tx.codecs.cohort_template.format
        return only(
            template_nodes(ctx, reads.template_by_id(ctx, template_id)),
            f"Cohort template {fmt(template_id)} not found",
        )

    @strawberry.mutation
    def update_cohort(self, info: Info[Any, Any], id: str, cohort: CohortUpdateBodyInput) -> GraphQLCohort:
        ctx = _writing(info)
        status = None if cohort.status is None else cohort.status.value
        return _cohort(ctx, service.update(ctx, id, cohort.name, cohort.description, status))
