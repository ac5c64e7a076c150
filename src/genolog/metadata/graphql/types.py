"""GraphQL output types, named and shaped as in the published metamist schema.

Each node keeps its primary key and its ``Siblings`` group; relation fields load through the group
(see ``context.py``), so nested lists cost one SQL statement per level.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import sqlalchemy as sa
import strawberry
from strawberry.scalars import JSON

from genolog.metadata import tables as t
from genolog.metadata.graphql import fetch
from genolog.metadata.graphql.context import GraphQLContext, IdSource, N, Siblings, group, root_page
from genolog.metadata.graphql.filters import (
    AnalysisStatusGraphQLFilter,
    BoolGraphQLFilter,
    DatetimeGraphQLFilter,
    GraphQLAnalysisStatus,
    IntGraphQLFilter,
    StrGraphQLFilter,
    as_utc,
    conditions,
    meta_conditions,
)
from genolog.metadata.graphql.paging import (  # Connection: named by the xsConnection fields
    Connection,  # noqa: F401
    Grouped,
    Page,
    connection,
    page_of,
)
from genolog.metadata.store import external_ids
from genolog.metadata.store import families as family_store
from genolog.metadata.store import participants as participant_store
from genolog.metadata.store import sequencing_groups as sg_store

if TYPE_CHECKING:  # defined in modules that import this one; strawberry resolves them lazily
    from genolog.metadata.graphql.cohorts import CohortStatusGraphQLFilter, GraphQLCohort
    from genolog.metadata.graphql.records import GraphQLAnalysisRunner, GraphQLAuditLog

COHORTS = "genolog.metadata.graphql.cohorts"
RECORDS = "genolog.metadata.graphql.records"

if TYPE_CHECKING:
    from genolog.metadata.graphql.comments import GraphQLDiscussion

PRIMARY = ""

# comments.py imports this module, so its types are referenced lazily
Discussion = Annotated["GraphQLDiscussion", strawberry.lazy("genolog.metadata.graphql.comments")]


def _discussion(sib: Siblings[Any], entity: str, pk: int) -> GraphQLDiscussion:
    from genolog.metadata.graphql import comments

    return comments.discussion(sib, entity, pk)


def _primary(eids: dict[str, str]) -> str:
    return eids.get(PRIMARY, "")


def _utc(value: datetime.datetime | None) -> datetime.datetime | None:
    if value is not None and value.tzinfo is None:  # SQLite returns naive datetimes, stored as UTC
        return value.replace(tzinfo=datetime.UTC)
    return value


def _external_ids(sib: Siblings[Any], entity: str, pk: int) -> dict[str, str]:
    eids: dict[int, dict[str, str]] = sib.load(
        "eids", lambda ids: external_ids.get_many(sib.ctx.tx.conn, entity, ids)
    )
    return eids.get(pk, {})


def raw_json(attribute: str) -> dict[str, str]:
    """Field metadata: the value is stored as JSON text in ``attribute`` (the fast executor passes it
    through unparsed; strawberry gets it parsed)."""
    return {"raw_json": attribute}


def parse_json(text: str | None) -> Any:
    return None if text is None else orjson.loads(text)


def _linked(
    links: Sequence[Mapping[str, Any]], parent_key: str, child_key: str, children: Sequence[N]
) -> dict[int, list[tuple[Mapping[str, Any], N]]]:
    """Children grouped under their parents through the rows of a link table (each with its link row)."""
    by_pk = {child.pk: child for child in children}
    result: dict[int, list[tuple[Mapping[str, Any], N]]] = {}
    for link in links:
        child = by_pk.get(link[child_key])
        if child is not None:
            result.setdefault(link[parent_key], []).append((link, child))
    return result


def _samples_of(sib: Siblings[Any], wanted: sa.Select[Any]) -> dict[int, GraphQLSample]:
    """The samples a group of nodes points at (``wanted`` selects their ids), by id."""
    rows = fetch.samples(sib.ctx, [t.sample.c.id.in_(wanted)])
    return {s.pk: s for s in sample_nodes(sib.ctx, rows)}


def _key(*parts: Any) -> str:
    return repr(parts)


@strawberry.enum(name="ProjectMemberRole")
class ProjectMemberRole(enum.Enum):
    reader = "reader"
    contributor = "contributor"
    writer = "writer"
    project_admin = "project_admin"
    project_member_admin = "project_member_admin"


@strawberry.type(name="GraphQLProject")
class GraphQLProject:
    pk: strawberry.Private[int]
    sib: strawberry.Private[Siblings[GraphQLProject]]
    id: int
    name: str
    dataset: str
    meta_raw: strawberry.Private[str | None]

    @strawberry.field(metadata=raw_json("meta_raw"))
    def meta(self) -> JSON:
        return parse_json(self.meta_raw)

    @strawberry.field
    def roles(self) -> list[ProjectMemberRole]:
        return [ProjectMemberRole(r) for r in sorted(self.sib.ctx.caller.roles_on(self.pk))]

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
        p = t.participant
        page = self.sib.page(first, after)

        def load(ids: IdSource) -> dict[int, list[GraphQLParticipant]]:
            where = [p.c.project_id.in_(ids), *conditions(p.c.id, id), *meta_conditions(p.c.meta, meta)]
            where += conditions(p.c.reported_sex, reported_sex) + conditions(
                p.c.reported_gender, reported_gender
            )
            where += conditions(p.c.karyotype, karyotype)
            if external_id is not None:
                where.append(
                    fetch.matching_external_ids(
                        p, "participant", conditions(t.participant_external_id.c.external_id, external_id)
                    )
                )
            rows = fetch.participants(self.sib.ctx, where, page, p.c.project_id)
            return group(rows, participant_nodes(self.sib.ctx, rows), lambda n: n.project_id)

        key = _key("participants", id, external_id, meta, reported_sex, reported_gender, karyotype, page)
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
        s = t.sample
        parse = self.sib.ctx.tx.codecs.sample.parse
        page = self.sib.page(first, after, parse)

        def load(ids: IdSource) -> dict[int, list[GraphQLSample]]:
            where = [
                s.c.project_id.in_(ids),
                s.c.active.is_(True),
                *conditions(s.c.type, type),
                *meta_conditions(s.c.meta, meta),
            ]
            where += (
                conditions(s.c.id, id, parse)
                + conditions(s.c.parent_id, parent_id, parse)
                + conditions(s.c.root_id, root_id, parse)
            )
            if external_id is not None:
                where.append(
                    fetch.matching_external_ids(
                        s, "sample", conditions(t.sample_external_id.c.external_id, external_id)
                    )
                )
            rows = fetch.samples(self.sib.ctx, where, page, s.c.project_id)
            return group(rows, sample_nodes(self.sib.ctx, rows), lambda n: n.project_id)

        key = _key("samples", type, external_id, id, meta, parent_id, root_id, page)
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
            where = sequencing_group_where(
                self.sib.ctx, id, type, technology, platform, active_only, external_id
            )
            project_id = t.sample.c.project_id
            rows = fetch.sequencing_groups(self.sib.ctx, [project_id.in_(ids), *where], page, project_id)
            return group(rows, sequencing_group_nodes(self.sib.ctx, rows), lambda n: n.project_id)

        key = _key("sgs", id, external_id, type, technology, platform, active_only, page)
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
        a = t.analysis
        page = self.sib.page(first, after)

        def load(project_ids: IdSource) -> dict[int, list[GraphQLAnalysis]]:
            where = [
                a.c.project_id.in_(project_ids),
                *analysis_where(status, type, meta, active),
                *conditions(a.c.id, ids),
                *conditions(a.c.timestamp_completed, timestamp_completed, as_utc),
            ]
            rows = fetch.analyses(self.sib.ctx, where, page, a.c.project_id)
            return group(rows, analysis_nodes(self.sib.ctx, rows), lambda n: n.project_id)

        key = _key("analyses", status, type, meta, active, timestamp_completed, ids, page)
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
        f = t.family
        page = self.sib.page(first, after)

        def load(project_ids: IdSource) -> dict[int, list[GraphQLFamily]]:
            where = [
                f.c.project_id.in_(project_ids),
                *conditions(f.c.id, id),
                *meta_conditions(f.c.meta, meta),
            ]
            if external_id is not None:
                where.append(
                    fetch.matching_external_ids(
                        f, "family", conditions(t.family_external_id.c.external_id, external_id)
                    )
                )
            rows = fetch.families(self.sib.ctx, where, page, f.c.project_id)
            return group(rows, family_nodes(self.sib.ctx, rows), lambda n: n.project_id)

        return page_of(self.sib.load(_key("families", id, external_id, meta, page), load), self.pk, page)

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
        rows: list[Any] = family_store.pedigree(
            self.sib.ctx.tx,
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
        history: dict[int, list[dict[str, Any]]] = self.sib.load(
            "sg_history", lambda ids: sg_store.creation_history(self.sib.ctx.tx.conn, ids)
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
    ) -> list[Annotated[GraphQLAnalysisRunner, strawberry.lazy(RECORDS)]]:
        from genolog.metadata.graphql import records

        return records.analysis_runners_of_projects(
            self.sib, self.pk, ar_guid, author, repository, access_level, environment
        )

    @strawberry.field
    def discussion(self) -> Discussion:
        return _discussion(self.sib, "project", self.pk)


@strawberry.type(name="GraphQLSequencingGroupsByDate")
class GraphQLSequencingGroupsByDate:
    date: datetime.date
    type: str
    technology: str
    count: int


def project_nodes(ctx: GraphQLContext, rows: Sequence[Mapping[str, Any]]) -> list[GraphQLProject]:
    # the query that found these rows, so their children are fetched by subquery
    sib: Siblings[GraphQLProject] = Siblings(ctx, getattr(rows, "ids", None))
    sib.nodes = [
        GraphQLProject(
            pk=r["id"], sib=sib, id=r["id"], name=r["name"], dataset=r["dataset"], meta_raw=r["meta"]
        )
        for r in rows
    ]
    return sib.nodes


def _project_of(sib: Siblings[Any], project_id: int) -> GraphQLProject:
    projects = sib.load(
        "projects",
        lambda _ids: {
            p.pk: p
            for p in project_nodes(
                sib.ctx, fetch.projects(sib.ctx, sorted({n.project_id for n in sib.nodes}))
            )
        },
    )
    node: GraphQLProject = projects[project_id]
    return node


@strawberry.type(name="GraphQLParticipant")
class GraphQLParticipant:
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

    def _eids(self) -> dict[str, str]:
        return _external_ids(self.sib, "participant", self.pk)

    @strawberry.field
    def external_ids(self) -> JSON:
        return JSON(self._eids())

    @strawberry.field
    def external_id(self) -> str:
        return _primary(self._eids())

    @strawberry.field
    def phenotypes(self) -> JSON:

        phenotypes: dict[int, dict[str, Any]] = self.sib.load(
            "phenotypes", lambda ids: participant_store.phenotypes(self.sib.ctx.tx, ids)
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
        s = t.sample
        page = self.sib.page(first, after, self.sib.ctx.tx.codecs.sample.parse)

        def load(ids: IdSource) -> dict[int, list[GraphQLSample]]:
            where = [
                s.c.participant_id.in_(ids),
                *conditions(s.c.type, type),
                *meta_conditions(s.c.meta, meta),
            ]
            where += conditions(s.c.active, active) if active is not None else [s.c.active.is_(True)]
            rows = fetch.samples(self.sib.ctx, where, page, s.c.participant_id)
            return group(rows, sample_nodes(self.sib.ctx, rows), lambda n: n.participant_id)

        return page_of(self.sib.load(_key("samples", type, meta, active, page), load), self.pk, page)

    samples_connection = connection(samples, "GraphQLSample")

    def _memberships(self) -> list[tuple[Mapping[str, Any], GraphQLFamily]]:
        """This participant's pedigree rows, each with its family (a participant is in at most one)."""

        def load(ids: IdSource) -> dict[int, list[tuple[Mapping[str, Any], GraphQLFamily]]]:
            fp = t.family_participant
            links = fetch.family_members(self.sib.ctx, None, ids)
            linked = t.family.c.id.in_(sa.select(fp.c.family_id).where(fp.c.participant_id.in_(ids)))
            families = family_nodes(self.sib.ctx, fetch.families(self.sib.ctx, [linked]))
            return _linked(links, "participant_id", "family_id", families)

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
        return _project_of(self.sib, self.project_id)

    @strawberry.field
    def audit_log(self) -> Annotated[GraphQLAuditLog, strawberry.lazy(RECORDS)] | None:
        from genolog.metadata.graphql import records

        return records.audit_log_of_participants(self.sib, self.pk)

    @strawberry.field
    def discussion(self) -> Discussion:
        return _discussion(self.sib, "participant", self.pk)


def participant_nodes(ctx: GraphQLContext, rows: Sequence[Mapping[str, Any]]) -> list[GraphQLParticipant]:
    # the query that found these rows, so their children are fetched by subquery
    sib: Siblings[GraphQLParticipant] = Siblings(ctx, getattr(rows, "ids", None))
    sib.nodes = [
        GraphQLParticipant(
            pk=r["id"],
            sib=sib,
            project_id=r["project_id"],
            id=r["id"],
            meta_raw=r["meta"],
            reported_sex=r["reported_sex"],
            reported_gender=r["reported_gender"],
            karyotype=r["karyotype"],
        )
        for r in rows
    ]
    return sib.nodes


@strawberry.type(name="GraphQLSample")
class GraphQLSample:
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

    def _eids(self) -> dict[str, str]:
        return _external_ids(self.sib, "sample", self.pk)

    @strawberry.field
    def external_ids(self) -> JSON:
        return JSON(self._eids())

    @strawberry.field
    def external_id(self) -> str:
        return _primary(self._eids())

    @strawberry.field
    def participant(self) -> GraphQLParticipant | None:
        def load(ids: IdSource) -> dict[int, GraphQLParticipant]:
            wanted = sa.select(t.sample.c.participant_id).where(t.sample.c.id.in_(ids))
            rows = fetch.participants(self.sib.ctx, [t.participant.c.id.in_(wanted)])
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
        a = t.assay
        page = self.sib.page(first, after)

        def load(ids: IdSource) -> dict[int, list[GraphQLAssay]]:
            where = [a.c.sample_id.in_(ids), *conditions(a.c.type, type), *meta_conditions(a.c.meta, meta)]
            rows = fetch.assays(self.sib.ctx, where, page, a.c.sample_id)
            return group(rows, assay_nodes(self.sib.ctx, rows), lambda n: n.sample_pk)

        return page_of(self.sib.load(_key("assays", type, meta, page), load), self.pk, page)

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
            where = sequencing_group_where(self.sib.ctx, id, type, technology, platform, active_only, None)
            where += meta_conditions(t.sequencing_group.c.meta, meta)
            sample_id = t.sequencing_group.c.sample_id
            rows = fetch.sequencing_groups(self.sib.ctx, [sample_id.in_(ids), *where], page, sample_id)
            return group(rows, sequencing_group_nodes(self.sib.ctx, rows), lambda n: n.sample_pk)

        key = _key("sgs", id, type, technology, platform, meta, active_only, page)
        return page_of(self.sib.load(key, load), self.pk, page)

    sequencing_groups_connection = connection(sequencing_groups, "GraphQLSequencingGroup")

    def _sample(self, key: str, pk: int | None) -> GraphQLSample | None:
        if pk is None:
            return None

        def load(ids: IdSource) -> dict[int, GraphQLSample]:
            column = t.sample.c.parent_id if key == "parent_pk" else t.sample.c.root_id
            return _samples_of(self.sib, sa.select(column).where(t.sample.c.id.in_(ids)))

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
        s = t.sample
        page = self.sib.page(first, after, self.sib.ctx.tx.codecs.sample.parse)

        def load(ids: IdSource) -> dict[int, list[GraphQLSample]]:
            where = [
                s.c.parent_id.in_(ids),
                s.c.active.is_(True),
                *conditions(s.c.type, type),
                *meta_conditions(s.c.meta, meta),
            ]
            rows = fetch.samples(self.sib.ctx, where, page, s.c.parent_id)
            return group(rows, sample_nodes(self.sib.ctx, rows), lambda n: n.parent_pk)

        return page_of(self.sib.load(_key("nested", type, meta, page), load), self.pk, page)

    nested_samples_connection = connection(nested_samples, "GraphQLSample")

    @strawberry.field
    def project(self) -> GraphQLProject:
        return _project_of(self.sib, self.project_id)

    @strawberry.field
    def discussion(self) -> Discussion:
        return _discussion(self.sib, "sample", self.pk)


def sample_nodes(ctx: GraphQLContext, rows: Sequence[Mapping[str, Any]]) -> list[GraphQLSample]:
    fmt = ctx.tx.codecs.sample.format
    # the query that found these rows, so their children are fetched by subquery
    sib: Siblings[GraphQLSample] = Siblings(ctx, getattr(rows, "ids", None))
    sib.nodes = [
        GraphQLSample(
            pk=r["id"],
            sib=sib,
            project_id=r["project_id"],
            participant_id=r["participant_id"],
            parent_pk=r["parent_id"],
            root_pk=r["root_id"],
            id=fmt(r["id"]),
            active=r["active"],
            meta_raw=r["meta"],
            type=r["type"],
        )
        for r in rows
    ]
    return sib.nodes


@strawberry.type(name="GraphQLAssay")
class GraphQLAssay:
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

    def _eids(self) -> dict[str, str]:
        return _external_ids(self.sib, "assay", self.pk)

    @strawberry.field
    def external_ids(self) -> JSON:
        return JSON(self._eids())

    @strawberry.field
    def sample(self) -> GraphQLSample:
        def load(ids: IdSource) -> dict[int, GraphQLSample]:
            return _samples_of(self.sib, sa.select(t.assay.c.sample_id).where(t.assay.c.id.in_(ids)))

        node: GraphQLSample = self.sib.load("sample", load)[self.sample_pk]
        return node

    @strawberry.field
    def discussion(self) -> Discussion:
        return _discussion(self.sib, "assay", self.pk)


def assay_nodes(ctx: GraphQLContext, rows: Sequence[Mapping[str, Any]]) -> list[GraphQLAssay]:
    # the query that found these rows, so their children are fetched by subquery
    sib: Siblings[GraphQLAssay] = Siblings(ctx, getattr(rows, "ids", None))
    sib.nodes = [
        GraphQLAssay(
            pk=r["id"],
            sib=sib,
            sample_pk=r["sample_id"],
            group_pk=r.get("sequencing_group_id"),
            id=r["id"],
            type=r["type"],
            meta_raw=r["meta"],
        )
        for r in rows
    ]
    return sib.nodes


def sequencing_group_where(
    ctx: GraphQLContext,
    id: Any,
    type: Any,
    technology: Any,
    platform: Any,
    active_only: Any,
    external_id: Any,
) -> fetch.Where:
    sg = t.sequencing_group
    where = conditions(sg.c.id, id, ctx.tx.codecs.sequencing_group.parse)
    where += (
        conditions(sg.c.type, type)
        + conditions(sg.c.technology, technology)
        + conditions(sg.c.platform, platform)
    )
    only_active = True if active_only is None else active_only.eq
    if only_active:
        where.append(sg.c.archived.is_(False))
    if external_id is not None:
        where.append(
            fetch.matching_external_ids(
                sg, "sequencing_group", conditions(t.sequencing_group_external_id.c.external_id, external_id)
            )
        )
    return where


@strawberry.type(name="GraphQLSequencingGroup")
class GraphQLSequencingGroup:
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
    def external_ids(self) -> JSON:
        return JSON(_external_ids(self.sib, "sequencing_group", self.pk))

    @strawberry.field
    def sample(self) -> GraphQLSample:
        def load(ids: IdSource) -> dict[int, GraphQLSample]:
            return _samples_of(
                self.sib, sa.select(t.sequencing_group.c.sample_id).where(t.sequencing_group.c.id.in_(ids))
            )

        node: GraphQLSample = self.sib.load("sample", load)[self.sample_pk]
        return node

    @strawberry.field
    def assays(self, first: int | None = None, after: str | None = None) -> list[GraphQLAssay]:
        page = self.sib.page(first, after)

        def load(ids: IdSource) -> dict[int, list[GraphQLAssay]]:
            rows = fetch.assays_of_groups(self.sib.ctx, ids, page)
            return group(rows, assay_nodes(self.sib.ctx, rows), lambda n: n.group_pk)

        return page_of(self.sib.load(_key("assays", page), load), self.pk, page)

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
            where = analysis_where(status, type, meta, active)
            if project is not None:
                readable = self.sib.ctx.readable_projects()
                names = sa.select(t.project.c.id).where(
                    t.project.c.id.in_(list(readable.values())), *conditions(t.project.c.name, project)
                )
                where.append(t.analysis.c.project_id.in_(names))
            rows = fetch.analyses_of_groups(self.sib.ctx, ids, where, page)
            return group(rows, analysis_nodes(self.sib.ctx, rows), lambda n: n.group_pk)

        key = _key("analyses", status, type, meta, active, project, page)
        return page_of(self.sib.load(key, load), self.pk, page)

    analyses_connection = connection(analyses, "GraphQLAnalysis")

    @strawberry.field
    def discussion(self) -> Discussion:
        return _discussion(self.sib, "sequencing_group", self.pk)


def sequencing_group_nodes(
    ctx: GraphQLContext, rows: Sequence[Mapping[str, Any]]
) -> list[GraphQLSequencingGroup]:
    fmt = ctx.tx.codecs.sequencing_group.format
    # the query that found these rows, so their children are fetched by subquery
    sib: Siblings[GraphQLSequencingGroup] = Siblings(ctx, getattr(rows, "ids", None))
    sib.nodes = [
        GraphQLSequencingGroup(
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
        )
        for r in rows
    ]
    return sib.nodes


def analysis_where(status: Any, type: Any, meta: Any, active: Any) -> fetch.Where:
    a = t.analysis
    where = conditions(a.c.status, status) + conditions(a.c.type, type) + meta_conditions(a.c.meta, meta)
    where += conditions(a.c.active, active) if active is not None else [a.c.active.is_(True)]
    return where


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
            asg = t.analysis_sequencing_group
            links = fetch.group_ids_of_analyses(self.sib.ctx, ids)
            linked = t.sequencing_group.c.id.in_(
                sa.select(asg.c.sequencing_group_id).where(asg.c.analysis_id.in_(ids))
            )
            groups = sequencing_group_nodes(self.sib.ctx, fetch.sequencing_groups(self.sib.ctx, [linked]))
            result: Grouped[GraphQLSequencingGroup] = Grouped()
            for parent, pairs in _linked(links, "analysis_id", "sequencing_group_id", groups).items():
                result[parent] = [g for _, g in pairs]
            return result

        return page_of(self.sib.load("sgs", load), self.pk, page)

    sequencing_groups_connection = connection(sequencing_groups, "GraphQLSequencingGroup")

    @strawberry.field
    def project(self) -> GraphQLProject:
        return _project_of(self.sib, self.project_id)

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
    # the query that found these rows, so their children are fetched by subquery
    sib: Siblings[GraphQLAnalysis] = Siblings(ctx, getattr(rows, "ids", None))
    sib.nodes = [
        GraphQLAnalysis(
            pk=r["id"],
            sib=sib,
            project_id=r["project_id"],
            group_pk=r.get("sequencing_group_id"),
            id=r["id"],
            type=r["type"],
            status=GraphQLAnalysisStatus(r["status"]),
            output=r["output"],
            outputs_raw=r["outputs"],
            timestamp_completed=_utc(r["timestamp_completed"]),
            active=r["active"],
            meta_raw=r["meta"],
        )
        for r in rows
    ]
    return sib.nodes


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
class GraphQLFamily:
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

    def _eids(self) -> dict[str, str]:
        return _external_ids(self.sib, "family", self.pk)

    @strawberry.field
    def external_ids(self) -> JSON:
        return JSON(self._eids())

    @strawberry.field
    def external_id(self) -> str:
        return _primary(self._eids())

    def _members(self) -> dict[int, list[tuple[Mapping[str, Any], GraphQLParticipant]]]:
        def load(ids: IdSource) -> dict[int, list[tuple[Mapping[str, Any], GraphQLParticipant]]]:
            fp = t.family_participant
            links = fetch.family_members(self.sib.ctx, ids, None)
            linked = t.participant.c.id.in_(sa.select(fp.c.participant_id).where(fp.c.family_id.in_(ids)))
            people = participant_nodes(self.sib.ctx, fetch.participants(self.sib.ctx, [linked]))
            return _linked(links, "family_id", "participant_id", people)

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
        return _project_of(self.sib, self.project_id)

    @strawberry.field
    def discussion(self) -> Discussion:
        return _discussion(self.sib, "family", self.pk)


def family_nodes(ctx: GraphQLContext, rows: Sequence[Mapping[str, Any]]) -> list[GraphQLFamily]:
    # the query that found these rows, so their children are fetched by subquery
    sib: Siblings[GraphQLFamily] = Siblings(ctx, getattr(rows, "ids", None))
    sib.nodes = [
        GraphQLFamily(
            pk=r["id"],
            sib=sib,
            project_id=r["project_id"],
            id=r["id"],
            description=r["description"],
            coded_phenotype=r["coded_phenotype"],
            meta_raw=r["meta"],
        )
        for r in rows
    ]
    return sib.nodes


def viewer_projects(ctx: GraphQLContext, page: Page = Page()) -> list[GraphQLProject]:
    rows = fetch.projects(ctx, sorted(ctx.readable_projects().values()), page)
    return root_page(rows, project_nodes(ctx, rows), page)
