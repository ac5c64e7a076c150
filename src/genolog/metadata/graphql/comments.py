"""GraphQL for comments: GraphQLComment, GraphQLDiscussion, CommentMutations and ``addComment``.

Shaped as in the published metamist 7.14 schema. An entity's ``discussion`` has its ``directComments``
(the top-level comments written on it) and its ``relatedComments`` (those on related entities: see
``store/comments.py`` for which entities count as related to each kind). Replies are only in their
comment's ``thread``; deleted comments are still listed, with status ``deleted``.

Loads are batched like every relation (``context.Siblings``): a group of sibling entities gets its
direct (or related) comments in one statement, and a group of comments its threads, versions and
entities in one statement each (one per kind of entity for ``entity``).

Who may do what: reading follows the entity (whoever can read its project sees its comments); writing
a comment or a reply needs the contributor or writer role on the project; editing, deleting and
restoring one needs to read it and be its author (still a contributor or writer) or a project admin.
A version's ``author`` is whoever wrote that version (an admin's edit is theirs); a comment's ``author``
is whoever wrote it first.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from genolog.metadata.context import naive_utc
from genolog.metadata.errors import BadRequest
from genolog.metadata.graphql.context import GraphQLContext, Siblings, context_of, found_in, only
from genolog.metadata.graphql.paging import (  # Connection: named by the xsConnection fields
    Connection,  # noqa: F401
    Grouped,
    connection,
    page_of,
)
from genolog.metadata.graphql.participants import (
    GraphQLFamily,
    GraphQLParticipant,
    family_nodes,
    participant_nodes,
)
from genolog.metadata.graphql.projects import GraphQLProject, project_nodes
from genolog.metadata.graphql.samples import GraphQLAssay, GraphQLSample, assay_nodes, sample_nodes
from genolog.metadata.graphql.sequencing_groups import GraphQLSequencingGroup, sequencing_group_nodes
from genolog.metadata.service import comments as service
from genolog.metadata.service.comments import ENTITY_LABELS as _LABELS
from genolog.metadata.service.reads import comments as reads
from genolog.metadata.service.reads.paging import Page
from genolog.metadata.service.reads.participants import families_by_ids, participants_by_ids
from genolog.metadata.service.reads.projects import projects as projects_by_ids
from genolog.metadata.service.reads.rows import IdSource, Rows
from genolog.metadata.service.reads.samples import assays_by_ids, samples_by_ids
from genolog.metadata.service.reads.sequencing_groups import sequencing_groups_by_ids


@strawberry.enum(name="CommentStatus")
class CommentStatus(enum.Enum):
    active = service.ACTIVE
    deleted = service.DELETED


GraphQLCommentEntity = Annotated[
    GraphQLSample
    | GraphQLAssay
    | GraphQLSequencingGroup
    | GraphQLProject
    | GraphQLParticipant
    | GraphQLFamily,
    strawberry.union("GraphQLCommentEntity"),
]


@strawberry.type(name="GraphQLCommentVersion")
class GraphQLCommentVersion:
    content: str
    author: str
    status: CommentStatus
    timestamp: datetime.datetime


@strawberry.type(name="GraphQLComment")
class GraphQLComment:
    pk: strawberry.Private[int]
    sib: strawberry.Private[Siblings[GraphQLComment]]
    entity_kind: strawberry.Private[str]
    entity_pk: strawberry.Private[int]
    id: int
    parent_id: int | None
    content: str
    author: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    status: CommentStatus

    @strawberry.field
    def thread(self, first: int | None = None, after: str | None = None) -> list[GraphQLComment]:
        def load(ids: IdSource) -> Grouped[GraphQLComment]:
            return _grouped(self.sib.ctx, reads.replies(self.sib.ctx, ids))

        return page_of(self.sib.load("thread", load), self.pk, self.sib.page(first, after))

    thread_connection = connection(thread, "GraphQLComment")

    @strawberry.field
    def versions(self) -> list[GraphQLCommentVersion]:
        def load(ids: IdSource) -> dict[int, list[GraphQLCommentVersion]]:
            result: dict[int, list[GraphQLCommentVersion]] = {}
            for r in reads.comment_versions(self.sib.ctx, ids):
                version = GraphQLCommentVersion(
                    content=r["content"],
                    author=r["author"],
                    status=CommentStatus(r["status"]),
                    timestamp=naive_utc(r["timestamp"]),
                )
                result.setdefault(r["comment_id"], []).append(version)
            return result

        versions: dict[int, list[GraphQLCommentVersion]] = self.sib.load("versions", load)
        return versions.get(self.pk, [])

    @strawberry.field
    def entity(self) -> GraphQLCommentEntity:
        found: dict[tuple[str, int], Any] = self.sib.load("entity", lambda _ids: _entities(self.sib))
        label = _LABELS[self.entity_kind]
        return found_in(found, (self.entity_kind, self.entity_pk), f"{label} of comment {self.id} not found")


def comment_nodes(ctx: GraphQLContext, rows: Sequence[Mapping[str, Any]]) -> list[GraphQLComment]:
    sib: Siblings[GraphQLComment] = Siblings(ctx)
    sib.nodes = []
    for r in rows:
        kind, entity_pk = reads.entity_of(r)
        sib.nodes.append(
            GraphQLComment(
                pk=r["id"],
                sib=sib,
                entity_kind=kind,
                entity_pk=entity_pk,
                id=r["id"],
                parent_id=r["parent_id"],
                content=r["content"],
                author=r["author"],
                created_at=naive_utc(r["created_at"]),
                updated_at=naive_utc(r["updated_at"]),
                status=CommentStatus(r["status"]),
            )
        )
    return sib.nodes


def _grouped(ctx: GraphQLContext, rows: Rows) -> Grouped[GraphQLComment]:
    """Comments (read with an ``owner_id``) grouped under their owner; one comment may have several."""
    result: Grouped[GraphQLComment] = Grouped()
    for row, node in zip(rows, comment_nodes(ctx, rows), strict=True):
        result.setdefault(row["owner_id"], []).append(node)
    return result


# Each kind's nodes by id, built as the node modules build them (so an entity answers every field it has).
_ENTITY_NODES: dict[str, Callable[[GraphQLContext, list[int]], Sequence[Any]]] = {
    "project": lambda ctx, ids: project_nodes(ctx, projects_by_ids(ctx, ids)),
    "sample": lambda ctx, ids: sample_nodes(ctx, samples_by_ids(ctx, ids)),
    "assay": lambda ctx, ids: assay_nodes(ctx, assays_by_ids(ctx, ids)),
    "sequencing_group": lambda ctx, ids: sequencing_group_nodes(ctx, sequencing_groups_by_ids(ctx, ids)),
    "participant": lambda ctx, ids: participant_nodes(ctx, participants_by_ids(ctx, ids)),
    "family": lambda ctx, ids: family_nodes(ctx, families_by_ids(ctx, ids)),
}


def _entities(sib: Siblings[GraphQLComment]) -> dict[tuple[str, int], Any]:
    """The entities a group of comments are on: one statement per kind among them."""
    wanted: dict[str, set[int]] = {}
    for comment in sib.nodes:
        wanted.setdefault(comment.entity_kind, set()).add(comment.entity_pk)
    return {
        (kind, node.pk): node
        for kind, ids in wanted.items()
        for node in _ENTITY_NODES[kind](sib.ctx, sorted(ids))
    }


@strawberry.type(name="GraphQLDiscussion")
class GraphQLDiscussion:
    owners: strawberry.Private[Siblings[Any]]  # the entity's sibling group, which loads for all of them
    entity: strawberry.Private[str]
    pk: strawberry.Private[int]

    def _load(
        self, which: str, read: Callable[[GraphQLContext, str, IdSource], Rows], page: Page
    ) -> list[GraphQLComment]:
        """Comments are in the order they were written; the paging is done here (a discussion is short)."""

        def load(ids: IdSource) -> Grouped[GraphQLComment]:
            return _grouped(self.owners.ctx, read(self.owners.ctx, self.entity, ids))

        return page_of(self.owners.load(f"discussion:{which}", load), self.pk, page)

    @strawberry.field
    def direct_comments(self, first: int | None = None, after: str | None = None) -> list[GraphQLComment]:
        return self._load("direct", reads.direct_comments, self.owners.page(first, after))

    direct_comments_connection = connection(direct_comments, "GraphQLComment")

    @strawberry.field
    def related_comments(self, first: int | None = None, after: str | None = None) -> list[GraphQLComment]:
        return self._load("related", reads.related_comments, self.owners.page(first, after))

    related_comments_connection = connection(related_comments, "GraphQLComment")


def discussion(owners: Siblings[Any], entity: str, pk: int) -> GraphQLDiscussion:
    """The ``discussion`` of one entity of a sibling group (see nodes.py)."""
    return GraphQLDiscussion(owners=owners, entity=entity, pk=pk)


# --- mutations ----------------------------------------------------------------------------------------------


def _writing(info: Info[Any, Any]) -> GraphQLContext:
    ctx = context_of(info)
    if ctx.tx.audit is None:
        raise BadRequest("Mutations must be sent as a mutation operation")
    return ctx


def _comment(ctx: GraphQLContext, comment_id: int) -> GraphQLComment:
    """A comment the caller may read (what a comment mutation answers with), or "not found"."""
    return only(comment_nodes(ctx, reads.comment_by_id(ctx, comment_id)), f"Comment {comment_id} not found")


def add_comment(info: Info[Any, Any], entity: str, entity_id: int | str, content: str) -> GraphQLComment:
    """Write a comment on an entity, as ``addComment`` of each entity's namespace does."""
    ctx = _writing(info)
    return _comment(ctx, service.add(ctx, entity, entity_id, content))


@strawberry.type(name="CommentMutations")
class CommentMutations:
    @strawberry.mutation
    def add_comment_to_thread(self, info: Info[Any, Any], parent_id: int, content: str) -> GraphQLComment:
        ctx = _writing(info)
        return _comment(ctx, service.reply(ctx, parent_id, content))

    @strawberry.mutation
    def update_comment(self, info: Info[Any, Any], id: int, content: str) -> GraphQLComment:
        ctx = _writing(info)
        service.update(ctx, id, content)
        return _comment(ctx, id)

    @strawberry.mutation
    def delete_comment(self, info: Info[Any, Any], id: int) -> GraphQLComment:
        ctx = _writing(info)
        service.delete(ctx, id)
        return _comment(ctx, id)

    @strawberry.mutation
    def restore_comment(self, info: Info[Any, Any], id: int) -> GraphQLComment:
        ctx = _writing(info)
        service.restore(ctx, id)
        return _comment(ctx, id)
