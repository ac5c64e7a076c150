"""The root ``Query`` type: projects, samples, sequencing groups, analyses and friends."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import AddValidationRules
from strawberry.scalars import JSON
from strawberry.types import ExecutionContext, Info

from genolog.metadata.errors import BadRequest, MetadataError
from genolog.metadata.graphql import cohorts as cohort_types
from genolog.metadata.graphql import records as record_types
from genolog.metadata.graphql.analyses import GraphQLAnalysis, analysis_nodes
from genolog.metadata.graphql.cohorts import CohortStatusGraphQLFilter, GraphQLCohort, GraphQLCohortTemplate
from genolog.metadata.graphql.context import context_of, only, root_page
from genolog.metadata.graphql.filters import (
    BoolGraphQLFilter,
    DateGraphQLFilter,
    IntGraphQLFilter,
    StrGraphQLFilter,
)
from genolog.metadata.graphql.limits import QueryLimitsRule, StopAtDeadline
from genolog.metadata.graphql.mutations import Mutation
from genolog.metadata.graphql.paging import (  # Connection: named by the xsConnection fields
    Connection,  # noqa: F401
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
)
from genolog.metadata.service import enums
from genolog.metadata.service.reads import cohorts as cohort_reads
from genolog.metadata.service.reads.analyses import analyses_matching
from genolog.metadata.service.reads.paging import Page
from genolog.metadata.service.reads.participants import family_by_id, participant_by_id
from genolog.metadata.service.reads.samples import assay_by_id, samples_matching
from genolog.metadata.service.reads.sequencing_groups import sequencing_groups_matching


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
        page = Page.of(first, after, ctx.tx.codecs.sample.parse)
        rows = samples_matching(
            ctx,
            page,
            project,
            id=id,
            type=type,
            meta=meta,
            external_id=external_id,
            participant_id=participant_id,
            active=active,
            parent_id=parent_id,
            root_id=root_id,
        )
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
        page = Page.of(first, after, ctx.tx.codecs.sequencing_group.parse)
        rows = sequencing_groups_matching(
            ctx,
            page,
            project,
            id=id,
            sample_id=sample_id,
            type=type,
            technology=technology,
            platform=platform,
            active_only=active_only,
            assay_meta=assay_meta,
            has_cram=has_cram,
            has_gvcf=has_gvcf,
            created_on=created_on,
        )
        return root_page(rows, sequencing_group_nodes(ctx, rows), page)

    sequencing_groups_connection = connection(sequencing_groups, "GraphQLSequencingGroup")

    @strawberry.field
    def assay(self, info: Info[Any, Any], id: int) -> GraphQLAssay:
        ctx = context_of(info)
        return only(assay_nodes(ctx, assay_by_id(ctx, id)), f"Assay {id} not found")

    @strawberry.field
    def participant(self, info: Info[Any, Any], id: int) -> GraphQLParticipant:
        ctx = context_of(info)
        return only(participant_nodes(ctx, participant_by_id(ctx, id)), f"Participant {id} not found")

    @strawberry.field
    def family(self, info: Info[Any, Any], family_id: int) -> GraphQLFamily:
        ctx = context_of(info)
        return only(family_nodes(ctx, family_by_id(ctx, family_id)), f"Family {family_id} not found")

    @strawberry.field
    def analyses(
        self, info: Info[Any, Any], id: IntGraphQLFilter, first: int | None = None, after: str | None = None
    ) -> list[GraphQLAnalysis]:
        ctx = context_of(info)
        page = Page.of(first, after)
        rows = analyses_matching(ctx, id, page)
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
        rows = cohort_reads.cohorts_matching(
            ctx,
            page,
            project,
            id=id,
            name=name,
            author=author,
            template_id=template_id,
            status=status,
        )
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
        page = Page.of(first, after, ctx.tx.codecs.cohort_template.parse)
        rows = cohort_reads.templates_matching(ctx, page, project, id=id)
        return root_page(rows, cohort_types.template_nodes(ctx, rows), page)

    cohort_templates_connection = connection(cohort_templates, "GraphQLCohortTemplate")

    @strawberry.field
    def analysis_runner(self, info: Info[Any, Any], ar_guid: str) -> GraphQLAnalysisRunner:
        ctx = context_of(info)
        found = record_types.analysis_runner_by_guid(ctx, ar_guid)
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
