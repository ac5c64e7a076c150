"""GraphQL projects: GraphQLProject and its lists (participants, samples, sequencing groups, analyses,
families, cohorts, analysis-runner logs), pedigree and sequencing-group history.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import strawberry
from strawberry.scalars import JSON

from genolog.metadata.graphql.context import GraphQLContext, Siblings, group, nodes_of, root_page
from genolog.metadata.graphql.filters import (
    AnalysisStatusGraphQLFilter,
    BoolGraphQLFilter,
    DatetimeGraphQLFilter,
    IntGraphQLFilter,
    StrGraphQLFilter,
)
from genolog.metadata.graphql.nodes import (
    COHORTS,
    RECORDS,
    EntityNode,
    cache_key,
    raw_json,
)
from genolog.metadata.graphql.paging import (  # Connection: named by the xsConnection fields
    Connection,  # noqa: F401
    connection,
    page_by_position,
    page_of,
)
from genolog.metadata.service.reads.analyses import analyses_of_projects
from genolog.metadata.service.reads.paging import Page
from genolog.metadata.service.reads.participants import families_of_projects, participants_of_projects
from genolog.metadata.service.reads.participants import pedigree as read_pedigree
from genolog.metadata.service.reads.projects import projects
from genolog.metadata.service.reads.rows import IdSource, parse_json
from genolog.metadata.service.reads.samples import samples_of_projects
from genolog.metadata.service.reads.sequencing_groups import creation_history, sequencing_groups_of_projects

if TYPE_CHECKING:  # defined in modules that import this one; strawberry resolves them lazily
    from genolog.metadata.graphql.cohorts import CohortStatusGraphQLFilter, GraphQLCohort
    from genolog.metadata.graphql.records import GraphQLAnalysisRunner


@strawberry.enum(name="ProjectMemberRole")
class ProjectMemberRole(enum.Enum):
    reader = "reader"
    contributor = "contributor"
    writer = "writer"
    project_admin = "project_admin"
    project_member_admin = "project_member_admin"


@strawberry.type(name="GraphQLProject")
class GraphQLProject(EntityNode):
    """A project. One the caller may not read (the answer to a project or members admin's mutation) shows
    its id, name, dataset and the caller's roles only: its lists are empty (the loaders keep to readable
    projects), its meta, pedigree and history are errors."""

    entity = "project"
    pk: strawberry.Private[int]
    sib: strawberry.Private[Siblings[GraphQLProject]]
    readable: strawberry.Private[bool]
    id: int
    name: str
    dataset: str
    meta_raw: strawberry.Private[str | None]  # None when not readable

    def _require_readable(self) -> None:
        if not self.readable:  # 403 naming the roles it lacks (it holds an admin role on the project)
            self.sib.ctx.require_readable(self.pk, self.name)

    @strawberry.field(metadata=raw_json("meta_raw"))
    def meta(self) -> JSON:
        self._require_readable()
        return parse_json(self.meta_raw)

    @strawberry.field
    def roles(self) -> list[ProjectMemberRole]:
        return [ProjectMemberRole(r) for r in sorted(self.sib.ctx.roles_on(self.pk))]

    @strawberry.field
    def participants(
        self,
        id: IntGraphQLFilter | None = None,
        external_id: StrGraphQLFilter | None = None,
        meta: JSON | None = None,
        reported_sex: IntGraphQLFilter | None = None,
        reported_gender: StrGraphQLFilter | None = None,
        karyotype: StrGraphQLFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> list[GraphQLParticipant]:
        page = self.sib.page(first, after)

        def load(ids: IdSource) -> dict[int, list[GraphQLParticipant]]:
            rows = participants_of_projects(
                self.sib.ctx,
                ids,
                page,
                id=id,
                external_id=external_id,
                meta=meta,
                reported_sex=reported_sex,
                reported_gender=reported_gender,
                karyotype=karyotype,
            )
            return group(rows, participant_nodes(self.sib.ctx, rows), lambda n: n.project_id)

        key = cache_key("participants", id, external_id, meta, reported_sex, reported_gender, karyotype, page)
        return page_of(self.sib.load(key, load), self.pk, page)

    participants_connection = connection(participants, "GraphQLParticipant")

    @strawberry.field
    def samples(
        self,
        type: StrGraphQLFilter | None = None,
        external_id: StrGraphQLFilter | None = None,
        id: StrGraphQLFilter | None = None,
        meta: JSON | None = None,
        parent_id: StrGraphQLFilter | None = None,
        root_id: StrGraphQLFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> list[GraphQLSample]:
        page = self.sib.page(first, after, self.sib.ctx.tx.codecs.sample.parse)

        def load(ids: IdSource) -> dict[int, list[GraphQLSample]]:
            rows = samples_of_projects(
                self.sib.ctx,
                ids,
                page,
                type=type,
                external_id=external_id,
                id=id,
                meta=meta,
                parent_id=parent_id,
                root_id=root_id,
            )
            return group(rows, sample_nodes(self.sib.ctx, rows), lambda n: n.project_id)

        key = cache_key("samples", type, external_id, id, meta, parent_id, root_id, page)
        return page_of(self.sib.load(key, load), self.pk, page)

    samples_connection = connection(samples, "GraphQLSample")

    @strawberry.field
    def sequencing_groups(
        self,
        id: StrGraphQLFilter | None = None,
        external_id: StrGraphQLFilter | None = None,
        type: StrGraphQLFilter | None = None,
        technology: StrGraphQLFilter | None = None,
        platform: StrGraphQLFilter | None = None,
        active_only: BoolGraphQLFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> list[GraphQLSequencingGroup]:
        page = self.sib.page(first, after, self.sib.ctx.tx.codecs.sequencing_group.parse)

        def load(ids: IdSource) -> dict[int, list[GraphQLSequencingGroup]]:
            rows = sequencing_groups_of_projects(
                self.sib.ctx,
                ids,
                page,
                id=id,
                external_id=external_id,
                type=type,
                technology=technology,
                platform=platform,
                active_only=active_only,
            )
            return group(rows, sequencing_group_nodes(self.sib.ctx, rows), lambda n: n.project_id)

        key = cache_key("sgs", id, external_id, type, technology, platform, active_only, page)
        return page_of(self.sib.load(key, load), self.pk, page)

    sequencing_groups_connection = connection(sequencing_groups, "GraphQLSequencingGroup")

    @strawberry.field
    def analyses(
        self,
        status: AnalysisStatusGraphQLFilter | None = None,
        type: StrGraphQLFilter | None = None,
        meta: JSON | None = None,
        active: BoolGraphQLFilter | None = None,
        timestamp_completed: DatetimeGraphQLFilter | None = None,
        ids: IntGraphQLFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> list[GraphQLAnalysis]:
        page = self.sib.page(first, after)

        def load(project_ids: IdSource) -> dict[int, list[GraphQLAnalysis]]:
            rows = analyses_of_projects(
                self.sib.ctx,
                project_ids,
                page,
                status=status,
                type=type,
                meta=meta,
                active=active,
                timestamp_completed=timestamp_completed,
                ids=ids,
            )
            return group(rows, analysis_nodes(self.sib.ctx, rows), lambda n: n.project_id)

        key = cache_key("analyses", status, type, meta, active, timestamp_completed, ids, page)
        return page_of(self.sib.load(key, load), self.pk, page)

    analyses_connection = connection(analyses, "GraphQLAnalysis")

    @strawberry.field
    def families(
        self,
        id: IntGraphQLFilter | None = None,
        external_id: StrGraphQLFilter | None = None,
        meta: JSON | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> list[GraphQLFamily]:
        page = self.sib.page(first, after)

        def load(project_ids: IdSource) -> dict[int, list[GraphQLFamily]]:
            rows = families_of_projects(
                self.sib.ctx, project_ids, page, id=id, external_id=external_id, meta=meta
            )
            return group(rows, family_nodes(self.sib.ctx, rows), lambda n: n.project_id)

        return page_of(self.sib.load(cache_key("families", id, external_id, meta, page), load), self.pk, page)

    families_connection = connection(families, "GraphQLFamily")

    @strawberry.field
    def pedigree(
        self,
        internal_family_ids: list[int] | None = None,
        replace_with_participant_external_ids: bool = True,
        replace_with_family_external_ids: bool = True,
        include_participants_not_in_families: bool = False,
        empty_participant_value: str | None = None,
    ) -> list[JSON]:
        self._require_readable()
        rows: list[Any] = read_pedigree(
            self.sib.ctx,
            self.pk,
            internal_family_ids,
            replace_with_participant_external_ids,
            replace_with_family_external_ids,
            include_participants_not_in_families,
            empty_participant_value,
        )
        return list(rows)

    @strawberry.field(
        description="How many sequencing groups of each type and technology the project had at the end "
        "of each day on which one was created"
    )
    def sequencing_group_history(self) -> list[GraphQLSequencingGroupsByDate]:
        self._require_readable()
        history: dict[int, list[dict[str, Any]]] = self.sib.load(
            "sg_history",
            lambda _ids: creation_history(self.sib.ctx, [n.pk for n in self.sib.nodes if n.readable]),
        )
        return [GraphQLSequencingGroupsByDate(**day) for day in history.get(self.pk, [])]

    @strawberry.field
    def cohorts(
        self,
        id: StrGraphQLFilter | None = None,
        name: StrGraphQLFilter | None = None,
        author: StrGraphQLFilter | None = None,
        template_id: StrGraphQLFilter | None = None,
        timestamp: DatetimeGraphQLFilter | None = None,
        status: Annotated[CohortStatusGraphQLFilter, strawberry.lazy(COHORTS)] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> list[Annotated[GraphQLCohort, strawberry.lazy(COHORTS)]]:
        from genolog.metadata.graphql import cohorts

        page = self.sib.page(first, after, self.sib.ctx.tx.codecs.cohort.parse)
        return cohorts.cohorts_of_projects(
            self.sib, self.pk, page, id, name, author, template_id, timestamp, status
        )

    cohorts_connection = connection(cohorts, "GraphQLCohort")

    @strawberry.field
    def analysis_runner(
        self,
        ar_guid: StrGraphQLFilter | None = None,
        author: StrGraphQLFilter | None = None,
        repository: StrGraphQLFilter | None = None,
        access_level: StrGraphQLFilter | None = None,
        environment: StrGraphQLFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> list[Annotated[GraphQLAnalysisRunner, strawberry.lazy(RECORDS)]]:
        from genolog.metadata.graphql import records

        logs = records.analysis_runners_of_projects(
            self.sib, self.pk, ar_guid, author, repository, access_level, environment
        )
        return logs if first is None and after is None else page_by_position(logs, first, after)

    analysis_runner_connection = connection(analysis_runner, "GraphQLAnalysisRunner", RECORDS)


@strawberry.type(name="GraphQLSequencingGroupsByDate")
class GraphQLSequencingGroupsByDate:
    date: datetime.date
    type: str
    technology: str
    count: int


def project_nodes(ctx: GraphQLContext, rows: Sequence[Mapping[str, Any]]) -> list[GraphQLProject]:
    def make(r: Mapping[str, Any], sib: Siblings[GraphQLProject]) -> GraphQLProject:
        readable = ctx.can_read(r["id"])
        meta = r["meta"] if readable else None
        return GraphQLProject(
            pk=r["id"],
            sib=sib,
            readable=readable,
            id=r["id"],
            name=r["name"],
            dataset=r["dataset"],
            meta_raw=meta,
        )

    return nodes_of(ctx, rows, make)


def project_node(ctx: GraphQLContext, row: Mapping[Any, Any]) -> GraphQLProject:
    """A project's node from a row of the ``project`` table as the store reads it (``meta`` parsed, where
    the nodes keep it as text), as the project query finds it (checked) or a mutation answers (a project
    the caller administers without reading it: see ``GraphQLProject``)."""
    meta = row["meta"]
    return project_nodes(ctx, [{**row, "meta": None if meta is None else orjson.dumps(meta).decode()}])[0]


def viewer_projects(ctx: GraphQLContext, page: Page = Page()) -> list[GraphQLProject]:
    rows = projects(ctx, sorted(ctx.readable_projects()), page)
    return root_page(rows, project_nodes(ctx, rows), page)


# The node modules refer to each other; importing at the end lets any of them load first.
from genolog.metadata.graphql.analyses import GraphQLAnalysis, analysis_nodes  # noqa: E402
from genolog.metadata.graphql.participants import (  # noqa: E402
    GraphQLFamily,
    GraphQLParticipant,
    family_nodes,
    participant_nodes,
)
from genolog.metadata.graphql.samples import GraphQLSample, sample_nodes  # noqa: E402
from genolog.metadata.graphql.sequencing_groups import (  # noqa: E402
    GraphQLSequencingGroup,
    sequencing_group_nodes,
)
