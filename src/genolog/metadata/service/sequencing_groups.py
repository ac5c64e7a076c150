"""Sequencing groups: read (with their assays), ids by sample and type, archive, update meta, history; each
function checks the caller's role on the group's project."""

from __future__ import annotations

from functools import partial
from typing import Any

from pydantic import BaseModel

from genolog.metadata.errors import BadRequest, NotFound
from genolog.metadata.permissions import READ, WRITE
from genolog.metadata.service import assays as assay_service
from genolog.metadata.service.assays import Assay
from genolog.metadata.service.history import HistoryEntry, recorded_changes
from genolog.metadata.service.reads import samples as sample_reads
from genolog.metadata.service.reads import sequencing_groups as reads
from genolog.metadata.service.reads.projects import external_ids_of
from genolog.metadata.service.reads.rows import parse_json
from genolog.metadata.service.session import Session, in_project
from genolog.metadata.store import sequencing_groups


class SequencingGroup(BaseModel):
    """A sequencing group as the REST API answers it, with its assays."""

    id: str
    type: str
    technology: str
    platform: str
    meta: dict[str, Any]
    sample_id: str
    external_ids: dict[str, str]
    archived: bool
    assays: list[Assay]


def _visible(session: Session, text_id: str, needed: frozenset[str]) -> int:
    """The group's internal id, if the caller holds ``needed`` on its project (else the same 404 as a
    group that does not exist)."""
    sg_id = session.codecs.sequencing_group.parse(text_id)
    row = sequencing_groups.get_row(session.tx, sg_id)
    session.project_by_id(row["project_id"], needed, f"Sequencing group {text_id} not found")
    return sg_id


def get(session: Session, text_id: str) -> SequencingGroup:
    sg_id = session.codecs.sequencing_group.parse(text_id)
    found = reads.sequencing_groups_by_ids(session, [sg_id])
    if not found:  # missing, or not readable: the 404 (or a member without a read role's 403)
        _visible(session, text_id, READ)
        raise NotFound(f"Sequencing group {text_id} not found")
    row = found[0]
    assays = assay_service.models(session, sample_reads.assays_of_sequencing_groups(session, [sg_id]))
    return SequencingGroup.model_construct(  # from stored rows: not re-validated
        id=text_id,
        type=row["type"],
        technology=row["technology"],
        platform=row["platform"],
        meta=parse_json(row["meta"]),
        sample_id=session.codecs.sample.format(row["sample_id"]),
        external_ids=external_ids_of(session, "sequencing_group", [sg_id])[sg_id],
        archived=row["archived"],
        assays=assays,
    )


def history_of(session: Session, text_id: str) -> list[HistoryEntry]:
    return recorded_changes(session.tx, "sequencing_group", _visible(session, text_id, READ))


def ids_by_sample_by_type(session: Session, project: str) -> dict[str, dict[str, list[str]]]:
    """The project's active sequencing groups: sample id -> type -> group ids."""
    return sequencing_groups.ids_by_sample_by_type(session.tx, session.project(project, READ)["id"])


def archive(session: Session, text_ids: list[str]) -> list[int]:
    """Archive sequencing groups (and free their external ids), in whichever projects the caller may
    write; their internal ids, in order. All or nothing."""
    raw = session.codecs.sequencing_group.parse_many(text_ids)
    by_project: dict[int, list[int]] = {}
    for text, sg_id in zip(text_ids, raw, strict=True):
        row = sequencing_groups.get_row(session.tx, sg_id)
        session.project_by_id(row["project_id"], WRITE, f"Sequencing group {text} not found")
        by_project.setdefault(row["project_id"], []).append(sg_id)
    for project_id, ids in by_project.items():
        sequencing_groups.archive(session.tx, project_id, ids)
    return raw


def update_meta(session: Session, project: str, text_id: str, meta: dict[str, Any]) -> int:
    """Merge ``meta`` into the meta of the group ``text_id`` of ``project``; the group's internal id."""
    sg_id = session.codecs.sequencing_group.parse(text_id)
    project_id = session.project(project, WRITE)["id"]
    in_project(
        project_id,
        partial(sequencing_groups.get_row, session.tx, sg_id),
        f"Sequencing group {text_id} not found in project {project!r}",
    )
    if not isinstance(meta, dict):  # GraphQL's JSON scalar may be anything
        raise BadRequest("meta must be a JSON object")
    sequencing_groups.update_meta(session.tx, sg_id, meta)
    return sg_id
