"""Batched reads of comments: an entity's direct and related comments, a comment's thread and earlier
versions, from readable projects only (which statements select which comments: ``store.comments``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.service.reads.rows import IdSource, Rows, fetch, readable
from genolog.metadata.service.session import Session
from genolog.metadata.store import comments as store
from genolog.metadata.store.comments import entity_of

__all__ = ["comment_by_id", "comment_versions", "direct_comments", "entity_of", "related_comments", "replies"]


def _readable(session: Session, statement: sa.Select[Any]) -> Rows:
    """The readable comments a ``store.comments`` statement selects (each with an ``owner_id``: the
    entity or comment it is listed under), by owner, then oldest first."""
    if session.readable_ids() is None:
        return fetch(session, statement)
    found = statement.order_by(None).subquery()
    return fetch(
        session,
        sa.select(found)
        .where(*readable(session, found.c.project_id))
        .order_by(found.c.owner_id, found.c.created_at, found.c.id),
    )


def direct_comments(session: Session, entity: str, ids: IdSource) -> Rows:
    """The readable top-level comments written on these entities (``owner_id``: the entity)."""
    return _readable(session, store.direct_statement(entity, ids))


def related_comments(session: Session, entity: str, ids: IdSource) -> Rows:
    """The readable top-level comments on entities related to these (``owner_id``: which of these)."""
    return _readable(session, store.related_statement(entity, ids))


def replies(session: Session, comment_ids: IdSource) -> Rows:
    """The readable replies to these comments (``owner_id``: the comment replied to), oldest first."""
    return _readable(session, store.thread_statement(comment_ids))


def comment_by_id(session: Session, comment_id: int) -> Rows:
    """The comment, if the caller may read it (listed under itself)."""
    c = t.comment
    return _readable(session, sa.select(c.c.id.label("owner_id"), *c.c).where(c.c.id == comment_id))


def comment_versions(session: Session, comment_ids: IdSource) -> Rows:
    """Earlier versions of these comments (read through this layer), oldest first."""
    return fetch(session, store.versions_statement(comment_ids))
