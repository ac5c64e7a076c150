"""The root ``Query`` type: projects, samples, sequencing groups, analyses and friends."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import AddValidationRules
from strawberry.scalars import JSON
from strawberry.types import ExecutionContext, Info

from genolog.metadata import tables as t
from genolog.metadata.errors import BadRequest, MetadataError
from genolog.metadata.graphql import cohorts as cohort_types
from genolog.metadata.graphql import fetch
from genolog.metadata.graphql import records as record_types
from genolog.metadata.graphql.analyses import GraphQLAnalysis, analysis_nodes
from genolog.metadata.graphql.cohorts import CohortStatusGraphQLFilter, GraphQLCohort, GraphQLCohortTemplate
from genolog.metadata.graphql.context import context_of, only, root_page
from genolog.metadata.graphql.filters import (
    BoolGraphQLFilter,
    DateGraphQLFilter,
    IntGraphQLFilter,
    StrGraphQLFilter,
    conditions,
    meta_conditions,
)
from genolog.metadata.graphql.limits import QueryLimitsRule, StopAtDeadline
from genolog.metadata.graphql.mutations import Mutation
from genolog.metadata.graphql.paging import (  # Connection: named by the xsConnection fields
    Connection,  # noqa: F401
    Page,
    connection,
)
from genolog.metadata.graphql.participants import (
    GraphQLFamily,
    GraphQLParticipant,
    family_nodes,
    participant_nodes,
)
from genolog.metadata.graphql.projects import GraphQLProject, project_node, viewer_projects
from genolog.metadata.graphql.records import GraphQLAnalysisRunner
from genolog.metadata.graphql.samples import GraphQLAssay, GraphQLSample, assay_nodes, sample_nodes
from genolog.metadata.graphql.sequencing_groups import (
    GraphQLSequencingGroup,
    sequencing_group_nodes,
    sequencing_group_where,
)
from genolog.metadata.service import enums


@strawberry.type(name="GraphQLEnum")
class GraphQLEnum:
    analysis_type: list[str]
    assay_type: list[str]
    sample_type: list[str]
    sequencing_platform: list[str]
    sequencing_technology: list[str]
    sequencing_type: list[str]


@strawberry.type(name="GraphQLMetamistSettings")
class GraphQLMetamistSettings:
    sample_prefix: str
    cohort_prefix: str
    sequencing_group_prefix: str
    primary_external_id_name: str


@strawberry.type(name="GraphQLViewer")
class GraphQLViewer:
    username: str
    projects: list[GraphQLProject]


def _project_ids(info: Info[Any, Any], project: Any) -> list[int]:
    """Readable project ids matching a project-name filter (all readable ones for no filter)."""
    ctx = context_of(info)
    readable = ctx.readable_projects()
    if project is None:
        return list(readable)
    for name in ([project.eq] if project.eq else []) + list(project.in_ or []):
        ctx.project_id(name)  # an unknown or unreadable name is an error, as in metamist
    rows = fetch.entities(ctx, t.project, conditions(t.project.c.name, project))
    return [r["id"] for r in rows]


@strawberry.type
class Query:
    @strawberry.field
    def enum(self, info: Info[Any, Any]) -> GraphQLEnum:
        return GraphQLEnum(**enums.all_values(context_of(info)))

    @strawberry.field
    def metamist_settings(self, info: Info[Any, Any]) -> GraphQLMetamistSettings:
        codecs = context_of(info).tx.codecs
        return GraphQLMetamistSettings(
            sample_prefix=codecs.sample.prefix,
            cohort_prefix=codecs.cohort.prefix,
            sequencing_group_prefix=codecs.sequencing_group.prefix,
            primary_external_id_name="",
        )

    @strawberry.field
    def viewer(self, info: Info[Any, Any]) -> GraphQLViewer:
        ctx = context_of(info)
        return GraphQLViewer(username=ctx.caller.user, projects=viewer_projects(ctx))

    @strawberry.field
    def my_projects(
        self, info: Info[Any, Any], first: int | None = None, after: str | None = None
    ) -> list[GraphQLProject]:
        return viewer_projects(context_of(info), Page.of(first, after))

    my_projects_connection = connection(my_projects, "GraphQLProject")

    @strawberry.field
    def project(self, info: Info[Any, Any], name: str) -> GraphQLProject:
        ctx = context_of(info)
        return project_node(ctx, ctx.project(name))  # the access check's row: no second SELECT

    @strawberry.field
    def sample(
        self,
        info: Info[Any, Any],
        id: StrGraphQLFilter | None = None,
        project: StrGraphQLFilter | None = None,
        type: StrGraphQLFilter | None = None,
        meta: JSON | None = None,
        external_id: StrGraphQLFilter | None = None,
        participant_id: IntGraphQLFilter | None = None,
        active: BoolGraphQLFilter | None = None,
        parent_id: StrGraphQLFilter | None = None,
        root_id: StrGraphQLFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> list[GraphQLSample]:
        if id is None and project is None:
            raise BadRequest("Query sample needs an id or a project filter")
        if external_id is not None and project is None:
            raise BadRequest("Filtering samples by externalId needs a project filter")
        ctx = context_of(info)
        s, parse = t.sample, ctx.tx.codecs.sample.parse
        page = Page.of(first, after, parse)
        where: fetch.Where = [
            s.c.project_id.in_(_project_ids(info, project)),
            *conditions(s.c.id, id, parse),
            *conditions(s.c.type, type),
        ]
        where += meta_conditions(s.c.meta, meta) + conditions(s.c.participant_id, participant_id)
        where += conditions(s.c.parent_id, parent_id, parse) + conditions(s.c.root_id, root_id, parse)
        where += conditions(s.c.active, active) if active is not None else [s.c.active.is_(True)]
        if external_id is not None:
            where.append(
                fetch.matching_external_ids(
                    s, "sample", conditions(t.sample_external_id.c.external_id, external_id)
                )
            )
        rows = fetch.samples(ctx, where, page)
        return root_page(rows, sample_nodes(ctx, rows), page)

    sample_connection = connection(sample, "GraphQLSample")

    @strawberry.field
    def sequencing_groups(
        self,
        info: Info[Any, Any],
        id: StrGraphQLFilter | None = None,
        project: StrGraphQLFilter | None = None,
        sample_id: StrGraphQLFilter | None = None,
        type: StrGraphQLFilter | None = None,
        technology: StrGraphQLFilter | None = None,
        platform: StrGraphQLFilter | None = None,
        active_only: BoolGraphQLFilter | None = None,
        created_on: DateGraphQLFilter | None = None,
        assay_meta: JSON | None = None,
        has_cram: bool | None = None,
        has_gvcf: bool | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> list[GraphQLSequencingGroup]:
        if id is None and project is None and sample_id is None:
            raise BadRequest("Query sequencingGroups needs a project, sampleId or id filter")
        ctx = context_of(info)
        sg = t.sequencing_group
        page = Page.of(first, after, ctx.tx.codecs.sequencing_group.parse)
        where: fetch.Where = [t.sample.c.project_id.in_(_project_ids(info, project))]
        where += sequencing_group_where(ctx, id, type, technology, platform, active_only, None)
        where += conditions(sg.c.sample_id, sample_id, ctx.tx.codecs.sample.parse)
        if assay_meta is not None:
            link = t.sequencing_group_assay
            matching = fetch.sa.select(link.c.sequencing_group_id).join(
                t.assay, t.assay.c.id == link.c.assay_id
            )
            where.append(sg.c.id.in_(matching.where(*meta_conditions(t.assay.c.meta, assay_meta))))
        for flag, analysis_type in ((has_cram, "cram"), (has_gvcf, "gvcf")):
            if flag is not None:
                link = t.analysis_sequencing_group
                with_type = (
                    fetch.sa.select(link.c.sequencing_group_id)
                    .join(t.analysis, t.analysis.c.id == link.c.analysis_id)
                    .where(
                        *fetch.readable(ctx, t.analysis.c.project_id),
                        t.analysis.c.type == analysis_type,
                        t.analysis.c.status == "completed",
                        t.analysis.c.active.is_(True),
                    )
                )
                where.append(sg.c.id.in_(with_type) if flag else sg.c.id.not_in(with_type))
        if created_on is not None:
            raise BadRequest("Filtering sequencing groups by createdOn is not supported yet")
        rows = fetch.sequencing_groups(ctx, where, page)
        return root_page(rows, sequencing_group_nodes(ctx, rows), page)

    sequencing_groups_connection = connection(sequencing_groups, "GraphQLSequencingGroup")

    @strawberry.field
    def assay(self, info: Info[Any, Any], id: int) -> GraphQLAssay:
        ctx = context_of(info)
        return only(assay_nodes(ctx, fetch.assays(ctx, [t.assay.c.id == id])), f"Assay {id} not found")

    @strawberry.field
    def participant(self, info: Info[Any, Any], id: int) -> GraphQLParticipant:
        ctx = context_of(info)
        rows = fetch.participants(ctx, [t.participant.c.id == id])
        return only(participant_nodes(ctx, rows), f"Participant {id} not found")

    @strawberry.field
    def family(self, info: Info[Any, Any], family_id: int) -> GraphQLFamily:
        ctx = context_of(info)
        rows = fetch.families(ctx, [t.family.c.id == family_id])
        return only(family_nodes(ctx, rows), f"Family {family_id} not found")

    @strawberry.field
    def analyses(
        self, info: Info[Any, Any], id: IntGraphQLFilter, first: int | None = None, after: str | None = None
    ) -> list[GraphQLAnalysis]:
        ctx = context_of(info)
        a, page = t.analysis, Page.of(first, after)
        rows = fetch.analyses(ctx, conditions(a.c.id, id), page)
        return root_page(rows, analysis_nodes(ctx, rows), page)

    analyses_connection = connection(analyses, "GraphQLAnalysis")

    @strawberry.field
    def cohorts(
        self,
        info: Info[Any, Any],
        id: StrGraphQLFilter | None = None,
        project: StrGraphQLFilter | None = None,
        name: StrGraphQLFilter | None = None,
        author: StrGraphQLFilter | None = None,
        template_id: StrGraphQLFilter | None = None,
        status: CohortStatusGraphQLFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> list[GraphQLCohort]:
        ctx = context_of(info)
        page = Page.of(first, after, ctx.tx.codecs.cohort.parse)
        where = cohort_types.cohort_where(ctx, id, name, author, template_id, None, status)
        where.append(t.cohort.c.project_id.in_(_project_ids(info, project)))
        rows = fetch.entities(ctx, t.cohort, where, page)
        return root_page(rows, cohort_types.cohort_nodes(ctx, rows), page)

    cohorts_connection = connection(cohorts, "GraphQLCohort")

    @strawberry.field
    def cohort_templates(
        self,
        info: Info[Any, Any],
        id: StrGraphQLFilter | None = None,
        project: StrGraphQLFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> list[GraphQLCohortTemplate]:
        ctx = context_of(info)
        ct, parse = t.cohort_template, ctx.tx.codecs.cohort_template.parse
        page = Page.of(first, after, parse)
        where: fetch.Where = [
            ct.c.project_id.in_(_project_ids(info, project)),
            *conditions(ct.c.id, id, parse),
        ]
        rows = fetch.entities(ctx, ct, where, page)
        return root_page(rows, cohort_types.template_nodes(ctx, rows), page)

    cohort_templates_connection = connection(cohort_templates, "GraphQLCohortTemplate")

    @strawberry.field
    def analysis_runner(self, info: Info[Any, Any], ar_guid: str) -> GraphQLAnalysisRunner:
        ctx = context_of(info)
        found = record_types.analysis_runners(ctx, [t.analysis_runner.c.ar_guid == ar_guid])
        return only(found, f"No analysis-runner record {ar_guid!r}")


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log only unexpected errors: a caller's mistake is answered, not logged as a server fault."""
        unexpected = [
            e
            for e in errors
            if e.original_error is not None and not isinstance(e.original_error, MetadataError | GraphQLError)
        ]
        if unexpected:
            super().process_errors(unexpected, execution_context)


schema = Schema(
    query=Query,
    mutation=Mutation,
    extensions=[lambda: AddValidationRules([QueryLimitsRule]), StopAtDeadline],
)
