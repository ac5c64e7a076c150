"""Projects, their members and roles, and wiping a ``-test`` project."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from genolog.metadata import tables as t
from genolog.metadata.errors import BadRequest, Conflict, NotFound
from genolog.metadata.meta import merge_patch
from genolog.metadata.permissions import OWNER_ROLES

if TYPE_CHECKING:  # a runtime import would close a cycle: Tx records changes through snapshots
    from genolog.metadata.context import Tx

TEST_SUFFIX = "-test"


def is_test_project(name: str) -> bool:
    return name.endswith(TEST_SUFFIX)


def _select(lock: bool) -> sa.Select[Any]:
    """The project row; with ``lock`` (a writer), held ``FOR KEY SHARE`` on PostgreSQL until commit.

    Writers share the lock and ``delete_data`` takes the row ``FOR UPDATE``, so deleting a project waits
    for the writes in flight and no writer adds a child under a parent being deleted: the database no
    longer checks those keys (migration 0006). SQLite has one writer at a time anyway and renders none."""
    statement = sa.select(t.project)
    return statement.with_for_update(read=True, key_share=True) if lock else statement


def get_by_name(conn: Connection, name: str, *, lock: bool = False) -> RowMapping | None:
    return conn.execute(_select(lock).where(t.project.c.name == name)).mappings().first()


def get_by_id(conn: Connection, project_id: int, *, lock: bool = False) -> RowMapping:
    row = conn.execute(_select(lock).where(t.project.c.id == project_id)).mappings().first()
    if row is None:
        raise NotFound(f"Project {project_id} not found")
    return row


def list_all(conn: Connection) -> list[RowMapping]:
    return list(conn.execute(sa.select(t.project).order_by(t.project.c.id)).mappings())


def members(conn: Connection, project_ids: list[int]) -> dict[int, dict[str, list[str]]]:
    """project id -> member -> sorted roles."""
    result: dict[int, dict[str, list[str]]] = {p: {} for p in project_ids}
    rows = conn.execute(
        sa.select(t.project_member)
        .where(t.project_member.c.project_id.in_(project_ids))
        .order_by(t.project_member.c.member, t.project_member.c.role)
    ).mappings()
    for row in rows:
        result[row["project_id"]].setdefault(row["member"], []).append(row["role"])
    return result


def roles_by_project(conn: Connection, user: str) -> dict[int, set[str]]:
    rows = conn.execute(
        sa.select(t.project_member.c.project_id, t.project_member.c.role).where(
            t.project_member.c.member == user
        )
    )
    result: dict[int, set[str]] = {}
    for project_id, role in rows:
        result.setdefault(project_id, set()).add(role)
    return result


def _validate_name(name: str, what: str) -> str:
    name = (name or "").strip()
    if not name:
        raise BadRequest(f"A project {what} cannot be empty")
    if len(name) > 64:
        raise BadRequest(f"A project {what} can be at most 64 characters long, got {len(name)}")
    if not all(c.isalnum() or c in "-_." for c in name):
        raise BadRequest(f"Invalid project {what} {name!r}: use letters, digits, '-', '_' and '.' only")
    return name


def create(
    tx: Tx, name: str, dataset: str | None, create_test_project: bool, owner: str | None = None
) -> int:
    """Create the project (and its ``-test`` twin); ``owner`` becomes a member of each with ``OWNER_ROLES``."""
    name = _validate_name(name, "name")
    dataset = _validate_name(dataset or name, "dataset")
    names = [name]
    if create_test_project and not is_test_project(name):
        names.append(name + TEST_SUFFIX)
    for n in names:
        if get_by_name(tx.conn, n) is not None:
            raise Conflict(f"A project named {n!r} already exists")
    ids = []
    for n in names:
        project_id = tx.conn.execute(
            t.project.insert()
            .values(name=n, dataset=dataset, meta={}, audit_log_id=tx.audit_log_id)
            .returning(t.project.c.id)
        ).scalar_one()
        tx.created("project", [project_id], project_id)
        if owner is not None:
            set_members(tx, project_id, [(owner, list(OWNER_ROLES))])
        ids.append(project_id)
    return ids[0]


def update_meta(tx: Tx, project_id: int, patch: dict[str, Any]) -> None:
    row = get_by_id(tx.conn, project_id)
    tx.touch("project", [project_id], project_id)
    tx.conn.execute(
        t.project.update()
        .where(t.project.c.id == project_id)
        .values(meta=merge_patch(row["meta"] or {}, patch), audit_log_id=tx.audit_log_id)
    )


def lock_members(conn: Connection, project_id: int) -> None:
    """Member edits of one project one at a time (PostgreSQL), until commit: an edit rewrites the whole
    list (and the web page reads it first), so two at once would lose one or collide on insert. NO KEY
    UPDATE leaves the project's data writers (``FOR KEY SHARE``) alone."""
    conn.execute(
        sa.select(t.project.c.id).where(t.project.c.id == project_id).with_for_update(key_share=True)
    )


def set_members(tx: Tx, project_id: int, new_members: list[tuple[str, list[str]]]) -> None:
    """Replace the whole member list."""
    lock_members(tx.conn, project_id)
    tx.touch("project", [project_id], project_id)
    tx.conn.execute(t.project_member.delete().where(t.project_member.c.project_id == project_id))
    rows = [
        {"project_id": project_id, "member": member, "role": role, "audit_log_id": tx.audit_log_id}
        for member, roles in new_members
        for role in dict.fromkeys(roles)
    ]
    if rows:
        tx.conn.execute(t.project_member.insert(), rows)


def delete_data(tx: Tx, project_id: int, delete_project: bool) -> None:
    """Hard-delete everything in a project (only ever called for ``-test`` projects)."""
    conn = tx.conn
    # waits for the project's writers in flight, and keeps new ones out until this commits (``_select``)
    conn.execute(sa.select(t.project.c.id).where(t.project.c.id == project_id).with_for_update())
    tx.touch("project", [project_id], project_id)
    sg_ids = sa.select(t.sequencing_group.c.id).where(t.sequencing_group.c.project_id == project_id)
    sample_ids = sa.select(t.sample.c.id).where(t.sample.c.project_id == project_id)
    participant_ids = sa.select(t.participant.c.id).where(t.participant.c.project_id == project_id)
    analysis_ids = sa.select(t.analysis.c.id).where(t.analysis.c.project_id == project_id)
    family_ids = sa.select(t.family.c.id).where(t.family.c.project_id == project_id)
    cohort_ids = sa.select(t.cohort.c.id).where(t.cohort.c.project_id == project_id)
    template_ids = sa.select(t.cohort_template.c.id).where(t.cohort_template.c.project_id == project_id)
    deletes = [
        t.analysis_cohort.delete().where(t.analysis_cohort.c.analysis_id.in_(analysis_ids)),
        t.analysis_sequencing_group.delete().where(
            sa.or_(
                t.analysis_sequencing_group.c.analysis_id.in_(analysis_ids),
                t.analysis_sequencing_group.c.sequencing_group_id.in_(sg_ids),
            )
        ),
        t.analysis.delete().where(t.analysis.c.project_id == project_id),
        t.analysis_runner.delete().where(t.analysis_runner.c.project_id == project_id),
        t.cohort_sequencing_group.delete().where(t.cohort_sequencing_group.c.cohort_id.in_(cohort_ids)),
        t.cohort.delete().where(t.cohort.c.project_id == project_id),
        # a cohort of another project may have been made from one of these templates: it keeps its SGs
        t.cohort.update().where(t.cohort.c.template_id.in_(template_ids)).values(template_id=None),
        t.cohort_template.delete().where(t.cohort_template.c.project_id == project_id),
        t.sequencing_group_assay.delete().where(t.sequencing_group_assay.c.sequencing_group_id.in_(sg_ids)),
        t.sequencing_group_external_id.delete().where(
            t.sequencing_group_external_id.c.project_id == project_id
        ),
        t.sequencing_group.delete().where(t.sequencing_group.c.sample_id.in_(sample_ids)),
        t.assay_external_id.delete().where(t.assay_external_id.c.project_id == project_id),
        t.assay.delete().where(t.assay.c.sample_id.in_(sample_ids)),
        t.sample_external_id.delete().where(t.sample_external_id.c.project_id == project_id),
        t.sample.update().where(t.sample.c.project_id == project_id).values(parent_id=None, root_id=None),
        t.sample.delete().where(t.sample.c.project_id == project_id),
        t.family_participant.delete().where(t.family_participant.c.family_id.in_(family_ids)),
        t.family_external_id.delete().where(t.family_external_id.c.project_id == project_id),
        t.family.delete().where(t.family.c.project_id == project_id),
        t.participant_phenotype.delete().where(t.participant_phenotype.c.participant_id.in_(participant_ids)),
        t.participant_external_id.delete().where(t.participant_external_id.c.project_id == project_id),
        t.participant.delete().where(t.participant.c.project_id == project_id),
        t.project_tally.delete().where(t.project_tally.c.project_id == project_id),
    ]
    for statement in deletes:
        conn.execute(statement)
    if delete_project:
        conn.execute(t.project_member.delete().where(t.project_member.c.project_id == project_id))
        conn.execute(t.project.delete().where(t.project.c.id == project_id))
