"""GraphQL sequencing groups: GraphQLSequencingGroup (sample, assays, analyses) and its filters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import strawberry
from strawberry.scalars import JSON

from genolog.metadata.graphql.context import GraphQLContext, Siblings, found_in, group, nodes_of
from genolog.metadata.graphql.filters import AnalysisStatusGraphQLFilter, BoolGraphQLFilter, StrGraphQLFilter
from genolog.metadata.graphql.nodes import (
    ExternalIds,
    cache_key,
    raw_json,
)
from genolog.metadata.graphql.paging import (  # Connection: named by the xsConnection fields
    Connection,  # noqa: F401
    connection,
    page_of,
)
from genolog.metadata.service.reads.analyses import analyses_of_sequencing_groups
from genolog.metadata.service.reads.rows import IdSource, parse_json
from genolog.metadata.service.reads.samples import assays_of_sequencing_groups, samples_of_sequencing_groups

if TYPE_CHECKING:  # defined in modules that import this one; strawberry resolves them lazily
    pass


@strawberry.type(name="GraphQLSequencingGroup")
class GraphQLSequencingGroup(ExternalIds):
    entity = "sequencing_group"
    pk: strawberry.Private[int]
    sib: strawberry.Private[Siblings[GraphQLSequencingGroup]]
    sample_pk: strawberry.Private[int]
    project_id: strawberry.Private[int]
    id: str
    type: str
    technology: str
    platform: str
    meta_raw: strawberry.Private[str | None]

    @strawberry.field(metadata=raw_json("meta_raw"))
    def meta(self) -> JSON:
        return parse_json(self.meta_raw)

    archived: bool | None

    @strawberry.field
    def sample(self) -> GraphQLSample:
        def load(ids: IdSource) -> dict[int, GraphQLSample]:
            return samples_by_pk(self.sib.ctx, samples_of_sequencing_groups(self.sib.ctx, ids))

        fmt = self.sib.ctx.tx.codecs.sample.format
        node: GraphQLSample = found_in(
            self.sib.load("sample", load), self.sample_pk, f"Sample {fmt(self.sample_pk)} not found"
        )
        return node

    @strawberry.field
    def assays(self, first: int | None = None, after: str | None = None) -> list[GraphQLAssay]:
        page = self.sib.page(first, after)

        def load(ids: IdSource) -> dict[int, list[GraphQLAssay]]:
            rows = assays_of_sequencing_groups(self.sib.ctx, ids, page)
            return group(rows, assay_nodes(self.sib.ctx, rows), lambda n: n.group_pk)

        return page_of(self.sib.load(cache_key("assays", page), load), self.pk, page)

    assays_connection = connection(assays, "GraphQLAssay")

    @strawberry.field
    def analyses(
        self,
        status: AnalysisStatusGraphQLFilter | None = None,
        type: StrGraphQLFilter | None = None,
        meta: JSON | None = None,
        active: BoolGraphQLFilter | None = None,
        project: StrGraphQLFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> list[GraphQLAnalysis]:
        page = self.sib.page(first, after)

        def load(ids: IdSource) -> dict[int, list[GraphQLAnalysis]]:
            rows = analyses_of_sequencing_groups(
                self.sib.ctx, ids, page, status=status, type=type, meta=meta, active=active, project=project
            )
            return group(rows, analysis_nodes(self.sib.ctx, rows), lambda n: n.group_pk)

        key = cache_key("analyses", status, type, meta, active, project, page)
        return page_of(self.sib.load(key, load), self.pk, page)

    analyses_connection = connection(analyses, "GraphQLAnalysis")


def sequencing_group_nodes(
    ctx: GraphQLContext, rows: Sequence[Mapping[str, Any]]
) -> list[GraphQLSequencingGroup]:
    fmt = ctx.tx.codecs.sequencing_group.format
    return nodes_of(
        ctx,
        rows,
        lambda r, sib: GraphQLSequencingGroup(
            pk=r["id"],
            sib=sib,
            sample_pk=r["sample_id"],
            project_id=r["project_id"],
            id=fmt(r["id"]),
            type=r["type"],
            technology=r["technology"],
            platform=r["platform"],
            meta_raw=r["meta"],
            archived=r["archived"],
        ),
    )


# The node modules refer to each other; importing at the end lets any of them load first.
from genolog.metadata.graphql.analyses import GraphQLAnalysis, analysis_nodes  # noqa: E402
from genolog.metadata.graphql.samples import GraphQLAssay, GraphQLSample, assay_nodes, samples_by_pk  # noqa: E402
