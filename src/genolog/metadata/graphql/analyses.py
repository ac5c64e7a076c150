"""GraphQL analyses: GraphQLAnalysis (sequencing groups, project, audit logs) and its filters."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON

from genolog.metadata.context import naive_utc
from genolog.metadata.graphql.context import GraphQLContext, Siblings, nodes_of
from genolog.metadata.graphql.filters import GraphQLAnalysisStatus
from genolog.metadata.graphql.nodes import (
    RECORDS,
    children_by_parent,
    project_of,
    raw_json,
)
from genolog.metadata.graphql.paging import (  # Connection: named by the xsConnection fields
    Connection,  # noqa: F401
    Grouped,
    connection,
    page_of,
)
from genolog.metadata.service.reads.rows import IdSource, parse_json
from genolog.metadata.service.reads.sequencing_groups import sequencing_groups_of_analyses

if TYPE_CHECKING:  # defined in modules that import this one; strawberry resolves them lazily
    from genolog.metadata.graphql.records import GraphQLAuditLog


@strawberry.type(name="GraphQLAnalysis")
class GraphQLAnalysis:
    pk: strawberry.Private[int]
    sib: strawberry.Private[Siblings[GraphQLAnalysis]]
    project_id: strawberry.Private[int]
    group_pk: strawberry.Private[int | None]
    id: int
    type: str
    status: GraphQLAnalysisStatus
    output: str | None
    outputs_raw: strawberry.Private[str | None]

    @strawberry.field(metadata=raw_json("outputs_raw"))
    def outputs(self) -> JSON | None:
        return parse_json(self.outputs_raw)

    timestamp_completed: datetime.datetime | None
    active: bool
    meta_raw: strawberry.Private[str | None]

    @strawberry.field(metadata=raw_json("meta_raw"))
    def meta(self) -> JSON | None:
        return parse_json(self.meta_raw)

    @strawberry.field
    def sequencing_groups(
        self, first: int | None = None, after: str | None = None
    ) -> list[GraphQLSequencingGroup]:
        page = self.sib.page(first, after, self.sib.ctx.tx.codecs.sequencing_group.parse)

        def load(ids: IdSource) -> Grouped[GraphQLSequencingGroup]:
            links, rows = sequencing_groups_of_analyses(self.sib.ctx, ids)
            groups = sequencing_group_nodes(self.sib.ctx, rows)
            result: Grouped[GraphQLSequencingGroup] = Grouped()
            for parent, pairs in children_by_parent(
                links, "analysis_id", "sequencing_group_id", groups
            ).items():
                result[parent] = [g for _, g in pairs]
            return result

        return page_of(self.sib.load("sgs", load), self.pk, page)

    sequencing_groups_connection = connection(sequencing_groups, "GraphQLSequencingGroup")

    @strawberry.field
    def project(self) -> GraphQLProject:
        return project_of(self.sib, self.project_id)

    @strawberry.field
    def audit_logs(
        self, first: int | None = None, after: str | None = None
    ) -> list[Annotated[GraphQLAuditLog, strawberry.lazy(RECORDS)]]:
        from genolog.metadata.graphql import records

        logs: Grouped[GraphQLAuditLog] = Grouped()
        logs[self.pk] = records.audit_logs_of_analyses(self.sib, self.pk)
        return page_of(logs, self.pk, self.sib.page(first, after))

    audit_logs_connection = connection(audit_logs, "GraphQLAuditLog")


def analysis_nodes(ctx: GraphQLContext, rows: Sequence[Mapping[str, Any]]) -> list[GraphQLAnalysis]:
    return nodes_of(
        ctx,
        rows,
        lambda r, sib: GraphQLAnalysis(
            pk=r["id"],
            sib=sib,
            project_id=r["project_id"],
            group_pk=r.get("sequencing_group_id"),
            id=r["id"],
            type=r["type"],
            status=GraphQLAnalysisStatus(r["status"]),
            output=r["output"],
            outputs_raw=r["outputs"],
            timestamp_completed=naive_utc(r["timestamp_completed"]),
            active=r["active"],
            meta_raw=r["meta"],
        ),
    )


# The node modules refer to each other; importing at the end lets any of them load first.
from genolog.metadata.graphql.projects import GraphQLProject  # noqa: E402
from genolog.metadata.graphql.sequencing_groups import GraphQLSequencingGroup, sequencing_group_nodes  # noqa: E402
