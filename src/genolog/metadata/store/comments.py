"""Comments (metamist's "discussion"): written on one entity, or as a reply in a comment's thread.

An entity is a project, sample, assay, sequencing group, participant or family; ``comment`` names it
with one nullable foreign key per kind (none for a project comment) and always records its project.
Threads are one level deep: a reply to a reply joins its thread's top comment, and copies that
comment's entity, so every comment knows its entity and project without a join.

Every edit, delete and restore first copies the comment as it was into ``comment_version``, under the
name of whoever wrote that version (the comment's ``author`` stays the one who wrote it first); deleting
only marks the comment ``deleted`` (its content is kept, so it can be restored).

Reads take a group of entity ids (a list or a SELECT of them) and answer in one statement, so
GraphQL loads a whole sibling group's discussion at once:

* direct comments of an entity: the top-level comments written on it (replies are in their thread);
* related comments, by entity kind:

  - project: the top-level comments on every entity of the project;
  - participant: those on its samples, and on their sequencing groups and assays;
  - sample: those on its sequencing groups, its assays, its nested samples (children, and for a root
    sample every sample under it) and its participant;
  - sequencing group: those on its sample and its assays;
  - assay: those on its sample and the sequencing groups it is in;
  - family: those on its participants.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from genolog.metadata import tables as t
from genolog.metadata.context import Tx, utcnow
from genolog.metadata.errors import BadRequest, NotFound

ACTIVE = "active"
DELETED = "deleted"
PROJECT = "project"
ENTITY_KINDS = (PROJECT, *t.COMMENT_ENTITY_COLUMNS)
MAX_CONTENT = 65_535

IdSource = list[int] | sa.Select[Any]
c = t.comment


# --- writing ------------------------------------------------------------------------------------------------


def _checked(content: str) -> str:
    if not content or not content.strip():
        raise BadRequest("A comment needs some content (it was empty)")
    if len(content) > MAX_CONTENT:
        raise BadRequest(
            f"A comment may be at most {MAX_CONTENT:,} characters long (it was {len(content):,})"
        )
    return content


def _insert(tx: Tx, values: dict[str, Any]) -> int:
    now = utcnow()
    comment_id = tx.conn.execute(
        c.insert()
        .values(**values, status=ACTIVE, created_at=now, updated_at=now, audit_log_id=tx.audit_log_id)
        .returning(c.c.id)
    ).scalar_one()
    return int(comment_id)


def add(tx: Tx, project_id: int, entity: str, entity_id: int, author: str, content: str) -> int:
    """A new comment on an entity (the caller has checked the entity is in ``project_id``)."""
    if entity not in ENTITY_KINDS:
        raise BadRequest(f"Comments cannot be written on a {entity}")
    values: dict[str, Any] = {"project_id": project_id, "author": author, "content": _checked(content)}
    if entity != PROJECT:
        values[t.COMMENT_ENTITY_COLUMNS[entity]] = entity_id
    return _insert(tx, values)


def reply(tx: Tx, parent_id: int, author: str, content: str) -> int:
    """A reply in the thread of ``parent_id`` (of its top comment, when the parent is itself a reply)."""
    parent = get_row(tx.conn, parent_id)
    if parent["status"] != ACTIVE:
        raise BadRequest(f"Comment {parent_id} is deleted: restore it before replying")
    entity_columns = {column: parent[column] for column in t.COMMENT_ENTITY_COLUMNS.values()}
    return _insert(
        tx,
        {
            "project_id": parent["project_id"],
            **entity_columns,
            "parent_id": parent["parent_id"] or parent_id,
            "author": author,
            "content": _checked(content),
        },
    )


def _writer(tx: Tx, current: dict[str, Any]) -> str:
    """Who wrote a comment's current version: the author of the request that last changed it (a project
    admin who edited someone else's comment, say), or the comment's author for a row without one."""
    if current["audit_log_id"] is not None:
        writer = tx.conn.execute(
            sa.select(t.audit_log.c.author).where(t.audit_log.c.id == current["audit_log_id"])
        ).scalar_one_or_none()
        if writer is not None:
            return str(writer)
    return str(current["author"])


def _keep_version(tx: Tx, current: dict[str, Any]) -> None:
    tx.conn.execute(
        t.comment_version.insert().values(
            comment_id=current["id"],
            content=current["content"],
            author=_writer(tx, current),
            status=current["status"],
            timestamp=current["updated_at"],
            audit_log_id=current["audit_log_id"],
        )
    )


def _change(tx: Tx, comment_id: int, **values: Any) -> None:
    """Keep the comment's current version, then change it."""
    _keep_version(tx, get_row(tx.conn, comment_id))
    tx.conn.execute(
        c.update()
        .where(c.c.id == comment_id)
        .values(**values, updated_at=utcnow(), audit_log_id=tx.audit_log_id)
    )


def update(tx: Tx, comment_id: int, content: str) -> None:
    checked = _checked(content)
    if get_row(tx.conn, comment_id)["status"] != ACTIVE:
        raise BadRequest(f"Comment {comment_id} is deleted: restore it before editing")
    _change(tx, comment_id, content=checked)


def set_status(tx: Tx, comment_id: int, status: str) -> None:
    """Delete or restore a comment; asking for the status it already has changes nothing."""
    if get_row(tx.conn, comment_id)["status"] != status:
        _change(tx, comment_id, status=status)


# --- reading ------------------------------------------------------------------------------------------------


def get_row(conn: Connection, comment_id: int) -> dict[str, Any]:
    row = conn.execute(sa.select(c).where(c.c.id == comment_id)).mappings().first()
    if row is None:
        raise NotFound(f"Comment {comment_id} not found")
    return dict(row)


def entity_of(row: Any) -> tuple[str, int]:
    """The (kind, id) of the entity a comment row is on."""
    for entity, column in t.COMMENT_ENTITY_COLUMNS.items():
        if row[column] is not None:
            return entity, int(row[column])
    return PROJECT, int(row["project_id"])


def _owned(owner: sa.ColumnElement[Any], *where: sa.ColumnElement[bool]) -> sa.Select[Any]:
    """Top-level comments, each with the id of the entity (``owner``) it belongs to."""
    return sa.select(owner.label("owner_id"), *c.c).where(c.c.parent_id.is_(None), *where)


def _ordered(statement: sa.Select[Any] | sa.CompoundSelect) -> sa.Select[Any]:
    sub = statement.subquery()
    return sa.select(sub).order_by(sub.c.owner_id, sub.c.created_at, sub.c.id)


def direct_statement(entity: str, ids: IdSource) -> sa.Select[Any]:
    """The top-level comments written on these entities, by entity then time."""
    if entity == PROJECT:
        on_project = [c.c[column].is_(None) for column in t.COMMENT_ENTITY_COLUMNS.values()]
        return _ordered(_owned(c.c.project_id, c.c.project_id.in_(ids), *on_project))
    column = c.c[t.COMMENT_ENTITY_COLUMNS[entity]]
    return _ordered(_owned(column, column.in_(ids)))


def _through(
    entity_column: str, link: sa.ColumnElement[Any], owner: sa.ColumnElement[Any], ids: IdSource
) -> sa.Select[Any]:
    """Comments on the entities ``link`` names, owned by ``owner`` (both columns of one joined table)."""
    table = owner.table
    return _owned(owner, owner.in_(ids)).join_from(c, table, c.c[entity_column] == link)


def related_statement(entity: str, ids: IdSource) -> sa.Select[Any]:
    """The top-level comments on entities related to these (see the module docstring), by owner then time."""
    s, sg, a, link = t.sample, t.sequencing_group, t.assay, t.sequencing_group_assay
    parts: list[sa.Select[Any]]
    if entity == PROJECT:
        on_entity = sa.or_(*(c.c[column].isnot(None) for column in t.COMMENT_ENTITY_COLUMNS.values()))
        parts = [_owned(c.c.project_id, c.c.project_id.in_(ids), on_entity)]
    elif entity == "participant":
        parts = [
            _through("sample_id", s.c.id, s.c.participant_id, ids),
            _owned(s.c.participant_id, s.c.participant_id.in_(ids)).join_from(
                c, sg.join(s, s.c.id == sg.c.sample_id), c.c.sequencing_group_id == sg.c.id
            ),
            _owned(s.c.participant_id, s.c.participant_id.in_(ids)).join_from(
                c, a.join(s, s.c.id == a.c.sample_id), c.c.assay_id == a.c.id
            ),
        ]
    elif entity == "sample":
        nested = s.alias("nested")
        parts = [
            _through("sequencing_group_id", sg.c.id, sg.c.sample_id, ids),
            _through("assay_id", a.c.id, a.c.sample_id, ids),
            _through("sample_id", nested.c.id, nested.c.parent_id, ids),
            # under a root sample, beyond its children (its children are counted once, above)
            _owned(
                nested.c.root_id, nested.c.root_id.in_(ids), nested.c.parent_id != nested.c.root_id
            ).join_from(c, nested, c.c.sample_id == nested.c.id),
            _through("participant_id", s.c.participant_id, s.c.id, ids),
        ]
    elif entity == "sequencing_group":
        parts = [
            _through("sample_id", sg.c.sample_id, sg.c.id, ids),
            _through("assay_id", link.c.assay_id, link.c.sequencing_group_id, ids),
        ]
    elif entity == "assay":
        parts = [
            _through("sample_id", a.c.sample_id, a.c.id, ids),
            _through("sequencing_group_id", link.c.sequencing_group_id, link.c.assay_id, ids),
        ]
    elif entity == "family":
        fp = t.family_participant
        parts = [_through("participant_id", fp.c.participant_id, fp.c.family_id, ids)]
    else:
        raise BadRequest(f"Comments cannot be written on a {entity}")
    return _ordered(sa.union_all(*parts) if len(parts) > 1 else parts[0])


def thread_statement(comment_ids: IdSource) -> sa.Select[Any]:
    """The replies to these comments, oldest first."""
    return (
        sa.select(c.c.parent_id.label("owner_id"), *c.c)
        .where(c.c.parent_id.in_(comment_ids))
        .order_by(c.c.parent_id, c.c.created_at, c.c.id)
    )


def versions_statement(comment_ids: IdSource) -> sa.Select[Any]:
    """The earlier versions of these comments, oldest first."""
    v = t.comment_version
    return sa.select(v).where(v.c.comment_id.in_(comment_ids)).order_by(v.c.comment_id, v.c.id)


def direct(conn: Connection, entity: str, ids: IdSource) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(direct_statement(entity, ids)).mappings()]


def related(conn: Connection, entity: str, ids: IdSource) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(related_statement(entity, ids)).mappings()]
