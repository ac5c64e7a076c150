"""GraphQL samples and assays: GraphQLSample (participant, assays, sequencing groups, parent, root and
nested samples) and GraphQLAssay.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import strawberry
from strawberry.scalars import JSON

from genolog.metadata.graphql.context import GraphQLContext, Siblings, found_in, group, nodes_of
from genolog.metadata.graphql.filters import BoolGraphQLFilter, StrGraphQLFilter
from genolog.metadata.graphql.nodes import (
    ExternalIds,
    PrimaryExternalId,
    cache_key,
    project_of,
    raw_json,
)
from genolog.metadata.graphql.paging import (  # Connection: named by the xsConnection fields
    Connection,  # noqa: F401
    connection,
    page_of,
)
from genolog.metadata.service.reads import samples as reads
from genolog.metadata.service.reads.participants import participants_of_samples
from genolog.metadata.service.reads.rows import IdSource, Rows, parse_json
from genolog.metadata.service.reads.sequencing_groups import sequencing_groups_of_samples

if TYPE_CHECKING:  # defined in modules that import this one; strawberry resolves them lazily
    pass


@strawberry.type(name="GraphQLSample")
class GraphQLSample(PrimaryExternalId):
    entity = "sample"
    pk: strawberry.Private[int]
    sib: strawberry.Private[Siblings[GraphQLSample]]
    project_id: strawberry.Private[int]
    participant_id: strawberry.Private[int | None]
    parent_pk: strawberry.Private[int | None]
    root_pk: strawberry.Private[int | None]
    id: str
    active: bool
    meta_raw: strawberry.Private[str | None]

    @strawberry.field(metadata=raw_json("meta_raw"))
    def meta(self) -> JSON:
        return parse_json(self.meta_raw)

    type: str

    @strawberry.field
    def participant(self) -> GraphQLParticipant | None:
        def load(ids: IdSource) -> dict[int, GraphQLParticipant]:
            rows = participants_of_samples(self.sib.ctx, ids)
            return {p.pk: p for p in participant_nodes(self.sib.ctx, rows)}

        return self.sib.load("participant", load).get(self.participant_id) if self.participant_id else None

    @strawberry.field
    def assays(
        self,
        type: StrGraphQLFilter | None = None,
        meta: JSON | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> list[GraphQLAssay]:
        page = self.sib.page(first, after)

        def load(ids: IdSource) -> dict[int, list[GraphQLAssay]]:
            rows = reads.assays_of_samples(self.sib.ctx, ids, page, type=type, meta=meta)
            return group(rows, assay_nodes(self.sib.ctx, rows), lambda n: n.sample_pk)

        return page_of(self.sib.load(cache_key("assays", type, meta, page), load), self.pk, page)

    assays_connection = connection(assays, "GraphQLAssay")

    @strawberry.field
    def sequencing_groups(
        self,
        id: StrGraphQLFilter | None = None,
        type: StrGraphQLFilter | None = None,
        technology: StrGraphQLFilter | None = None,
        platform: StrGraphQLFilter | None = None,
        meta: JSON | None = None,
        active_only: BoolGraphQLFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> list[GraphQLSequencingGroup]:
        page = self.sib.page(first, after, self.sib.ctx.tx.codecs.sequencing_group.parse)

        def load(ids: IdSource) -> dict[int, list[GraphQLSequencingGroup]]:
            rows = sequencing_groups_of_samples(
                self.sib.ctx,
                ids,
                page,
                id=id,
                type=type,
                technology=technology,
                platform=platform,
                meta=meta,
                active_only=active_only,
            )
            return group(rows, sequencing_group_nodes(self.sib.ctx, rows), lambda n: n.sample_pk)

        key = cache_key("sgs", id, type, technology, platform, meta, active_only, page)
        return page_of(self.sib.load(key, load), self.pk, page)

    sequencing_groups_connection = connection(sequencing_groups, "GraphQLSequencingGroup")

    def _sample(self, key: str, pk: int | None) -> GraphQLSample | None:
        if pk is None:
            return None

        def load(ids: IdSource) -> dict[int, GraphQLSample]:
            read = reads.parents_of_samples if key == "parent_pk" else reads.roots_of_samples
            return samples_by_pk(self.sib.ctx, read(self.sib.ctx, ids))

        found: GraphQLSample | None = self.sib.load(key, load).get(pk)
        return found

    @strawberry.field
    def parent_sample(self) -> GraphQLSample | None:
        return self._sample("parent_pk", self.parent_pk)

    @strawberry.field
    def root_sample(self) -> GraphQLSample | None:
        return self._sample("root_pk", self.root_pk)

    @strawberry.field
    def nested_samples(
        self,
        type: StrGraphQLFilter | None = None,
        meta: JSON | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> list[GraphQLSample]:
        page = self.sib.page(first, after, self.sib.ctx.tx.codecs.sample.parse)

        def load(ids: IdSource) -> dict[int, list[GraphQLSample]]:
            rows = reads.nested_samples(self.sib.ctx, ids, page, type=type, meta=meta)
            return group(rows, sample_nodes(self.sib.ctx, rows), lambda n: n.parent_pk)

        return page_of(self.sib.load(cache_key("nested", type, meta, page), load), self.pk, page)

    nested_samples_connection = connection(nested_samples, "GraphQLSample")

    @strawberry.field
    def project(self) -> GraphQLProject:
        return project_of(self.sib, self.project_id)


def sample_nodes(ctx: GraphQLContext, rows: Sequence[Mapping[str, Any]]) -> list[GraphQLSample]:
    fmt = ctx.tx.codecs.sample.format
    return nodes_of(
        ctx,
        rows,
        lambda r, sib: GraphQLSample(
            pk=r["id"],
            sib=sib,
            project_id=r["project_id"],
            participant_id=r["participant_id"],
            parent_pk=r["parent_id"],
            root_pk=r["root_id"],
            id=fmt(r["id"]),
            active=r["active"],
            meta_raw=r["meta"],
            # GraphQLSample.type is a String!: a sample without a type shows "None", as in Metamist
            type="None" if r["type"] is None else r["type"],
        ),
    )


@strawberry.type(name="GraphQLAssay")
class GraphQLAssay(ExternalIds):
    entity = "assay"
    pk: strawberry.Private[int]
    sib: strawberry.Private[Siblings[GraphQLAssay]]
    sample_pk: strawberry.Private[int]
    group_pk: strawberry.Private[int | None]
    id: int
    type: str
    meta_raw: strawberry.Private[str | None]

    @strawberry.field(metadata=raw_json("meta_raw"))
    def meta(self) -> JSON:
        return parse_json(self.meta_raw)

    @strawberry.field
    def sample(self) -> GraphQLSample:
        def load(ids: IdSource) -> dict[int, GraphQLSample]:
            return samples_by_pk(self.sib.ctx, reads.samples_of_assays(self.sib.ctx, ids))

        fmt = self.sib.ctx.tx.codecs.sample.format
        return found_in(
            self.sib.load("sample", load), self.sample_pk, f"Sample {fmt(self.sample_pk)} not found"
        )


def assay_nodes(ctx: GraphQLContext, rows: Sequence[Mapping[str, Any]]) -> list[GraphQLAssay]:
    return nodes_of(
        ctx,
        rows,
        lambda r, sib: GraphQLAssay(
            pk=r["id"],
            sib=sib,
            sample_pk=r["sample_id"],
            group_pk=r.get("sequencing_group_id"),
            id=r["id"],
            type=r["type"],
            meta_raw=r["meta"],
        ),
    )


def samples_by_pk(ctx: GraphQLContext, rows: Rows) -> dict[int, GraphQLSample]:
    """The samples a group of nodes points at, by id."""
    return {s.pk: s for s in sample_nodes(ctx, rows)}


# The node modules refer to each other; importing at the end lets any of them load first.
from genolog.metadata.graphql.participants import GraphQLParticipant, participant_nodes  # noqa: E402
from genolog.metadata.graphql.projects import GraphQLProject  # noqa: E402
from genolog.metadata.graphql.sequencing_groups import (  # noqa: E402
    GraphQLSequencingGroup,
    sequencing_group_nodes,
)
