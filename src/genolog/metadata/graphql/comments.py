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

from genolog.metadata.errors import BadRequest, Forbidden
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
from genolog.metadata.permissions import CONTRIBUTE, PROJECT_ADMIN
from genolog.metadata.service.reads import comments as reads
from genolog.metadata.service.reads.paging import Page
from genolog.metadata.service.reads.participants import families_by_ids, participants_by_ids
from genolog.metadata.service.reads.projects import projects as projects_by_ids
from genolog.metadata.service.reads.rows import IdSource, Rows
from genolog.metadata.service.reads.samples import assays_by_ids, samples_by_ids
from genolog.metadata.service.reads.sequencing_groups import sequencing_groups_by_ids
from genolog.metadata.store import assays, families, participants, projects, samples
from genolog.metadata.store import comments as store
from genolog.metadata.store import sequencing_groups as sg_store


@strawberry.enum(name="CommentStatus")
class CommentStatus(enum.Enum):
    active = store.ACTIVE
    deleted = store.DELETED


GraphQLCommentEntity = Annotated[
    GraphQLSample
    | GraphQLAssay
    | GraphQLSequencingGroup
    | GraphQLProject
    | GraphQLParticipant
    | GraphQLFamily,
    strawberry.union("GraphQLCommentEntity"),
]


def _utc(value: datetime.datetime) -> datetime.datetime:
    # SQLite returns naive datetimes, stored as UTC
    return value if value.tzinfo is not None else value.replace(tzinfo=datetime.UTC)


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
                    timestamp=_utc(r["timestamp"]),
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
                created_at=_utc(r["created_at"]),
                updated_at=_utc(r["updated_at"]),
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

_LABELS = {
    "project": "Project",
    "sample": "Sample",
    "assay": "Assay",
    "sequencing_group": "Sequencing group",
    "participant": "Participant",
    "family": "Family",
}


def _writing(info: Info[Any, Any]) -> GraphQLContext:
    ctx = context_of(info)
    if ctx.tx.audit is None:
        raise BadRequest("Mutations must be sent as a mutation operation")
    return ctx


def _comment(ctx: GraphQLContext, comment_id: int) -> GraphQLComment:
    """A comment the caller may read (what a comment mutation answers with), or "not found"."""
    return only(comment_nodes(ctx, reads.comment_by_id(ctx, comment_id)), f"Comment {comment_id} not found")


def _entity_project(ctx: GraphQLContext, entity: str, entity_id: int | str) -> tuple[int, int]:
    """(primary key, project id) of the entity a new comment is for; NotFound when there is none."""
    tx, codecs = ctx.tx, ctx.tx.codecs
    if entity == "project":
        return int(entity_id), int(projects.get_by_id(tx.conn, int(entity_id))["id"])
    if entity == "sample":
        pk = codecs.sample.parse(str(entity_id))
        return pk, int(samples.get_row(tx, pk)["project_id"])
    if entity == "sequencing_group":
        pk = codecs.sequencing_group.parse(str(entity_id))
        return pk, int(sg_store.get_row(tx, pk)["project_id"])
    pk = int(entity_id)
    if entity == "assay":
        return pk, assays.project_of(tx, pk)
    if entity == "participant":
        return pk, int(participants.get_row(tx, pk)["project_id"])
    return pk, families.project_of(tx, pk)


def add_comment(info: Info[Any, Any], entity: str, entity_id: int | str, content: str) -> GraphQLComment:
    """Write a comment on an entity, as ``addComment`` of each entity's namespace does."""
    ctx = _writing(info)
    pk, project_id = _entity_project(ctx, entity, entity_id)
    ctx.project_by_id(project_id, CONTRIBUTE, f"{_LABELS[entity]} {entity_id} not found")
    return _comment(ctx, store.add(ctx.tx, project_id, entity, pk, ctx.caller.user, content))


def _editable(ctx: GraphQLContext, comment_id: int) -> None:
    """Refuse unless the caller may read the comment (a project admin without a reading role cannot:
    the comment, its entity and project are not theirs to see) and wrote it (and may still contribute)
    or is a project admin."""
    _comment(ctx, comment_id)
    row = store.get_row(ctx.tx.conn, comment_id)
    project = ctx.project_by_id(
        row["project_id"], CONTRIBUTE | PROJECT_ADMIN, f"Comment {comment_id} not found"
    )
    roles = ctx.caller.roles_on(row["project_id"])
    if roles & PROJECT_ADMIN:
        return
    if row["author"] != ctx.caller.user:
        raise Forbidden(
            f"User {ctx.caller.user!r} may not change comment {comment_id} by {row['author']!r}: only its "
            f"author or an admin of project {project['name']!r} may"
        )
    if not roles & CONTRIBUTE:
        raise Forbidden(f"User {ctx.caller.user!r} needs the contributor or writer role to change comments")


@strawberry.type(name="CommentMutations")
class CommentMutations:
    @strawberry.mutation
    def add_comment_to_thread(self, info: Info[Any, Any], parent_id: int, content: str) -> GraphQLComment:
        ctx = _writing(info)
        parent = store.get_row(ctx.tx.conn, parent_id)
        ctx.project_by_id(parent["project_id"], CONTRIBUTE, f"Comment {parent_id} not found")
        return _comment(ctx, store.reply(ctx.tx, parent_id, ctx.caller.user, content))

    @strawberry.mutation
    def update_comment(self, info: Info[Any, Any], id: int, content: str) -> GraphQLComment:
        ctx = _writing(info)
        _editable(ctx, id)
        store.update(ctx.tx, id, content)
        return _comment(ctx, id)

    @strawberry.mutation
    def delete_comment(self, info: Info[Any, Any], id: int) -> GraphQLComment:
        ctx = _writing(info)
        _editable(ctx, id)
        store.set_status(ctx.tx, id, store.DELETED)
        return _comment(ctx, id)

    @strawberry.mutation
    def restore_comment(self, info: Info[Any, Any], id: int) -> GraphQLComment:
        ctx = _writing(info)
        _editable(ctx, id)
        store.set_status(ctx.tx, id, store.ACTIVE)
        return _comment(ctx, id)
