"""Writing comments: on an entity, as a reply in a thread, and editing, deleting or restoring one.

Writing a comment or a reply needs the contributor or writer role on the project; editing, deleting and
restoring one needs to read it and be its author (still a contributor or writer) or a project admin. A
comment (or entity) of a project the caller cannot read answers the same 404 as one that does not exist.
"""

from __future__ import annotations

from typing import Any

from genolog.metadata.errors import Forbidden, NotFound
from genolog.metadata.permissions import CONTRIBUTE, PROJECT_ADMIN
from genolog.metadata.service.session import Session
from genolog.metadata.store import assays, comments, families, participants, projects, samples
from genolog.metadata.store import sequencing_groups as sg_store
from genolog.metadata.store.comments import ACTIVE, DELETED

__all__ = ["ACTIVE", "DELETED", "add", "delete", "reply", "restore", "update"]

# what the answers call each kind of entity a comment may be on
ENTITY_LABELS = {
    "project": "Project",
    "sample": "Sample",
    "assay": "Assay",
    "sequencing_group": "Sequencing group",
    "participant": "Participant",
    "family": "Family",
}


def _entity_project(session: Session, entity: str, entity_id: int | str) -> tuple[int, int]:
    """(primary key, project id) of the entity a new comment is for; NotFound when there is none."""
    tx, codecs = session.tx, session.codecs
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


def add(session: Session, entity: str, entity_id: int | str, content: str) -> int:
    """A new comment on an entity (``entity`` one of ``ENTITY_LABELS``); its id."""
    pk, project_id = _entity_project(session, entity, entity_id)
    session.project_by_id(project_id, CONTRIBUTE, f"{ENTITY_LABELS[entity]} {entity_id} not found")
    return comments.add(session.tx, project_id, entity, pk, session.caller.user, content)


def reply(session: Session, parent_id: int, content: str) -> int:
    """A reply in the thread of the comment ``parent_id``; its id."""
    parent = comments.get_row(session.tx.conn, parent_id)
    session.project_by_id(parent["project_id"], CONTRIBUTE, f"Comment {parent_id} not found")
    return comments.reply(session.tx, parent_id, session.caller.user, content)


def _editable(session: Session, comment_id: int) -> dict[str, Any]:
    """The comment's row, unless the caller may not read it (a project admin without a reading role
    cannot: the comment, its entity and project are not theirs to see; the 404 of a missing comment) or
    neither wrote it (and may still contribute) nor is a project admin (403)."""
    missing = f"Comment {comment_id} not found"  # get_row's too
    row = comments.get_row(session.tx.conn, comment_id)
    if not session.caller.can_read(row["project_id"]):
        raise NotFound(missing)
    project = session.project_by_id(row["project_id"], CONTRIBUTE | PROJECT_ADMIN, missing)
    caller = session.caller
    roles = caller.roles_on(row["project_id"])
    if roles & PROJECT_ADMIN:
        return row
    if row["author"] != caller.user:
        raise Forbidden(
            f"User {caller.user!r} may not change comment {comment_id} by {row['author']!r}: only its "
            f"author or an admin of project {project['name']!r} may"
        )
    if not roles & CONTRIBUTE:
        raise Forbidden(f"User {caller.user!r} needs the contributor or writer role to change comments")
    return row


def update(session: Session, comment_id: int, content: str) -> None:
    _editable(session, comment_id)
    comments.update(session.tx, comment_id, content)


def delete(session: Session, comment_id: int) -> None:
    _editable(session, comment_id)
    comments.set_status(session.tx, comment_id, comments.DELETED)


def restore(session: Session, comment_id: int) -> None:
    _editable(session, comment_id)
    comments.set_status(session.tx, comment_id, comments.ACTIVE)
