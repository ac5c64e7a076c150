"""Conventions and helpers shared by the GraphQL node types (projects.py, participants.py, samples.py,
sequencing_groups.py, analyses.py and friends).

Each node keeps its primary key and its ``Siblings`` group; relation fields load through the group
(see ``context.py``), so nested lists cost one SQL statement per level. JSON columns stay text until
asked for (``raw_json``). Types defined in modules that import the node modules (cohorts, records,
comments) are referred to lazily.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import strawberry
from strawberry.scalars import JSON

from genolog.metadata.graphql.context import N, Siblings, found_in
from genolog.metadata.service.reads.projects import external_ids_of as read_external_ids
from genolog.metadata.service.reads.projects import projects as read_projects

if TYPE_CHECKING:
    from genolog.metadata.graphql.comments import GraphQLDiscussion
    from genolog.metadata.graphql.projects import GraphQLProject

COHORTS = "genolog.metadata.graphql.cohorts"
RECORDS = "genolog.metadata.graphql.records"

PRIMARY = ""

# comments.py imports the node modules, so its types are referred to lazily
Discussion = Annotated["GraphQLDiscussion", strawberry.lazy("genolog.metadata.graphql.comments")]


def discussion_of(sib: Siblings[Any], entity: str, pk: int) -> GraphQLDiscussion:
    from genolog.metadata.graphql import comments

    return comments.discussion(sib, entity, pk)


def primary_external_id(eids: dict[str, str]) -> str:
    return eids.get(PRIMARY, "")


def external_ids_of(sib: Siblings[Any], entity: str, pk: int) -> dict[str, str]:
    eids: dict[int, dict[str, str]] = sib.load("eids", lambda ids: read_external_ids(sib.ctx, entity, ids))
    return eids.get(pk, {})


@strawberry.type
class EntityNode:
    """A node for a row of an ``entity`` table (``project``, ``sample``, ...), with its ``discussion``.

    This and the classes below are bases of node types, not types of the schema: their fields are
    inherited."""

    entity: ClassVar[str]
    if TYPE_CHECKING:
        pk: int
        sib: Siblings[Any]

    @strawberry.field
    def discussion(self) -> Discussion:
        return discussion_of(self.sib, self.entity, self.pk)


@strawberry.type
class ExternalIds(EntityNode):
    """A node's ``externalIds``, loaded once for its whole sibling group from the ``entity``'s table."""

    def all_external_ids(self) -> dict[str, str]:
        return external_ids_of(self.sib, self.entity, self.pk)

    @strawberry.field
    def external_ids(self) -> JSON:
        return JSON(self.all_external_ids())


@strawberry.type
class PrimaryExternalId(ExternalIds):
    """``externalIds`` and ``externalId``, the primary one."""

    @strawberry.field
    def external_id(self) -> str:
        return primary_external_id(self.all_external_ids())


def raw_json(attribute: str) -> dict[str, str]:
    """Field metadata: the value is stored as JSON text in ``attribute`` (the fast executor passes it
    through unparsed; strawberry gets it parsed)."""
    return {"raw_json": attribute}


def children_by_parent(
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


def cache_key(*parts: Any) -> Any:
    """A relation's cache key from its arguments: the tuple itself, or its repr when a filter input
    (a dataclass, unhashable) is among them. Asked once per node, so the common case stays cheap."""
    try:
        hash(parts)
    except TypeError:
        return repr(parts)
    return parts


def project_of(sib: Siblings[Any], project_id: int) -> GraphQLProject:
    """The project of a node of ``sib`` (all the group's projects are loaded at once); "not found" when
    the caller may not read it."""
    from genolog.metadata.graphql import projects

    by_id = sib.load(
        "projects",
        lambda _ids: {
            p.pk: p
            for p in projects.project_nodes(
                sib.ctx, read_projects(sib.ctx, sorted({n.project_id for n in sib.nodes}))
            )
        },
    )
    node: GraphQLProject = found_in(by_id, project_id, f"Project {project_id} not found")
    return node
