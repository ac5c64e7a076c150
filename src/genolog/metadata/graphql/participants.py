"""GraphQL participants and families: GraphQLParticipant, GraphQLFamily and their pedigree rows
(GraphQLFamilyParticipant), in both directions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON

from genolog.metadata.graphql.context import GraphQLContext, Siblings, group, nodes_of
from genolog.metadata.graphql.filters import BoolGraphQLFilter, StrGraphQLFilter
from genolog.metadata.graphql.nodes import (
    RECORDS,
    PrimaryExternalId,
    cache_key,
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
from genolog.metadata.service.reads import participants as reads
from genolog.metadata.service.reads.rows import IdSource, parse_json
from genolog.metadata.service.reads.samples import samples_of_participants

if TYPE_CHECKING:  # defined in modules that import this one; strawberry resolves them lazily
    from genolog.metadata.graphql.records import GraphQLAuditLog


@strawberry.type(name="GraphQLParticipant")
class GraphQLParticipant(PrimaryExternalId):
    entity = "participant"
    pk: strawberry.Private[int]
    sib: strawberry.Private[Siblings[GraphQLParticipant]]
    project_id: strawberry.Private[int]
    id: int
    meta_raw: strawberry.Private[str | None]

    @strawberry.field(metadata=raw_json("meta_raw"))
    def meta(self) -> JSON:
        return parse_json(self.meta_raw)

    reported_sex: int | None
    reported_gender: str | None
    karyotype: str | None

    @strawberry.field
    def phenotypes(self) -> JSON:

        phenotypes: dict[int, dict[str, Any]] = self.sib.load(
            "phenotypes", lambda ids: reads.phenotypes(self.sib.ctx, ids)
        )
        return JSON(phenotypes.get(self.pk, {}))

    @strawberry.field
    def samples(
        self,
        type: StrGraphQLFilter | None = None,
        meta: JSON | None = None,
        active: BoolGraphQLFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> list[GraphQLSample]:
        page = self.sib.page(first, after, self.sib.ctx.tx.codecs.sample.parse)

        def load(ids: IdSource) -> dict[int, list[GraphQLSample]]:
            rows = samples_of_participants(self.sib.ctx, ids, page, type=type, meta=meta, active=active)
            return group(rows, sample_nodes(self.sib.ctx, rows), lambda n: n.participant_id)

        return page_of(self.sib.load(cache_key("samples", type, meta, active, page), load), self.pk, page)

    samples_connection = connection(samples, "GraphQLSample")

    def _memberships(self) -> list[tuple[Mapping[str, Any], GraphQLFamily]]:
        """This participant's pedigree rows, each with its family (a participant is in at most one)."""

        def load(ids: IdSource) -> dict[int, list[tuple[Mapping[str, Any], GraphQLFamily]]]:
            links, rows = reads.families_of_participants(self.sib.ctx, ids)
            families = family_nodes(self.sib.ctx, rows)
            return children_by_parent(links, "participant_id", "family_id", families)

        memberships: list[tuple[Mapping[str, Any], GraphQLFamily]] = self.sib.load("families", load).get(
            self.pk, []
        )
        return memberships

    @strawberry.field
    def families(self, first: int | None = None, after: str | None = None) -> list[GraphQLFamily]:
        found: Grouped[GraphQLFamily] = Grouped()
        found[self.pk] = [f for _, f in self._memberships()]
        return page_of(found, self.pk, self.sib.page(first, after))

    families_connection = connection(families, "GraphQLFamily")

    @strawberry.field
    def family_participants(
        self, first: int | None = None, after: str | None = None
    ) -> list[GraphQLFamilyParticipant]:
        rows: Grouped[GraphQLFamilyParticipant] = Grouped()
        rows[self.pk] = [_family_participant(link, self, family) for link, family in self._memberships()]
        return page_of(rows, self.pk, self.sib.page(first, after))

    family_participants_connection = connection(family_participants, "GraphQLFamilyParticipant")

    @strawberry.field
    def project(self) -> GraphQLProject:
        return project_of(self.sib, self.project_id)

    @strawberry.field
    def audit_log(self) -> Annotated[GraphQLAuditLog, strawberry.lazy(RECORDS)] | None:
        from genolog.metadata.graphql import records

        return records.audit_log_of_participants(self.sib, self.pk)


def participant_nodes(ctx: GraphQLContext, rows: Sequence[Mapping[str, Any]]) -> list[GraphQLParticipant]:
    return nodes_of(
        ctx,
        rows,
        lambda r, sib: GraphQLParticipant(
            pk=r["id"],
            sib=sib,
            project_id=r["project_id"],
            id=r["id"],
            meta_raw=r["meta"],
            reported_sex=r["reported_sex"],
            reported_gender=r["reported_gender"],
            karyotype=r["karyotype"],
        ),
    )


@strawberry.type(name="GraphQLFamilyParticipant")
class GraphQLFamilyParticipant:
    pk: strawberry.Private[int]  # the participant's: a participant is in at most one family
    id: strawberry.Private[int]  # its cursor
    affected: int | None
    notes: str | None
    participant: GraphQLParticipant
    family: GraphQLFamily


def _family_participant(
    link: Mapping[str, Any], participant: GraphQLParticipant, family: GraphQLFamily
) -> GraphQLFamilyParticipant:
    return GraphQLFamilyParticipant(
        pk=participant.pk,
        id=participant.pk,
        affected=link["affected"],
        notes=link["notes"],
        participant=participant,
        family=family,
    )


@strawberry.type(name="GraphQLFamily")
class GraphQLFamily(PrimaryExternalId):
    entity = "family"
    pk: strawberry.Private[int]
    sib: strawberry.Private[Siblings[GraphQLFamily]]
    project_id: strawberry.Private[int]
    id: int
    description: str | None
    coded_phenotype: str | None
    meta_raw: strawberry.Private[str | None]

    @strawberry.field(metadata=raw_json("meta_raw"))
    def meta(self) -> JSON:
        return parse_json(self.meta_raw)

    def _members(self) -> dict[int, list[tuple[Mapping[str, Any], GraphQLParticipant]]]:
        def load(ids: IdSource) -> dict[int, list[tuple[Mapping[str, Any], GraphQLParticipant]]]:
            links, rows = reads.participants_of_families(self.sib.ctx, ids)
            people = participant_nodes(self.sib.ctx, rows)
            return children_by_parent(links, "family_id", "participant_id", people)

        members: dict[int, list[tuple[Mapping[str, Any], GraphQLParticipant]]] = self.sib.load(
            "members", load
        )
        return members

    @strawberry.field
    def participants(self, first: int | None = None, after: str | None = None) -> list[GraphQLParticipant]:
        people: Grouped[GraphQLParticipant] = Grouped()
        people[self.pk] = [p for _, p in self._members().get(self.pk, [])]
        return page_of(people, self.pk, self.sib.page(first, after))

    participants_connection = connection(participants, "GraphQLParticipant")

    @strawberry.field
    def family_participants(
        self, first: int | None = None, after: str | None = None
    ) -> list[GraphQLFamilyParticipant]:
        rows: Grouped[GraphQLFamilyParticipant] = Grouped()
        rows[self.pk] = [_family_participant(m, p, self) for m, p in self._members().get(self.pk, [])]
        return page_of(rows, self.pk, self.sib.page(first, after))

    family_participants_connection = connection(family_participants, "GraphQLFamilyParticipant")

    @strawberry.field
    def project(self) -> GraphQLProject:
        return project_of(self.sib, self.project_id)


def family_nodes(ctx: GraphQLContext, rows: Sequence[Mapping[str, Any]]) -> list[GraphQLFamily]:
    return nodes_of(
        ctx,
        rows,
        lambda r, sib: GraphQLFamily(
            pk=r["id"],
            sib=sib,
            project_id=r["project_id"],
            id=r["id"],
            description=r["description"],
            coded_phenotype=r["coded_phenotype"],
            meta_raw=r["meta"],
        ),
    )


# The node modules refer to each other; importing at the end lets any of them load first.
from genolog.metadata.graphql.projects import GraphQLProject  # noqa: E402
from genolog.metadata.graphql.samples import GraphQLSample, sample_nodes  # noqa: E402
