"""Assays: create, update, read by id or external id, query by criteria, history; each function checks the
caller's role on the assay's project."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from genolog.metadata.errors import BadRequest, NotFound
from genolog.metadata.models import AssayQueryCriteria, AssayUpsert
from genolog.metadata.permissions import READ, WRITE
from genolog.metadata.service import samples as sample_service
from genolog.metadata.service.history import HistoryEntry, recorded_changes
from genolog.metadata.service.reads import samples as reads
from genolog.metadata.service.reads.filters import meta_matches
from genolog.metadata.service.reads.paging import NO_PAGE
from genolog.metadata.service.reads.projects import external_ids_of
from genolog.metadata.service.reads.rows import Rows, parse_json
from genolog.metadata.service.session import Session
from genolog.metadata.store import assays, external_ids, samples


class Assay(BaseModel):
    """An assay as the REST API answers it (also in the participant grid's sequencing groups)."""

    id: int
    external_ids: dict[str, str]
    sample_id: str
    meta: dict[str, Any]
    type: str


def models(session: Session, rows: Rows) -> list[Assay]:
    """The assays of these rows (``reads.assays``) as the REST API answers them."""
    eids = external_ids_of(session, "assay", [r["id"] for r in rows])
    fmt = session.codecs.sample.format
    return [
        Assay.model_construct(  # from stored rows: not re-validated
            id=r["id"],
            external_ids=eids[r["id"]],
            sample_id=fmt(r["sample_id"]),
            meta=parse_json(r["meta"]),
            type=r["type"],
        )
        for r in rows
    ]


def _readable(session: Session, assay_id: int) -> Assay:
    """The assay, or the 404 of a missing one (403 for a member without a read role)."""
    found = reads.assay_by_id(session, assay_id)
    if not found:
        _project_of(session, assay_id, READ)
        raise NotFound(f"Assay {assay_id} not found")
    return models(session, found)[0]


def create(session: Session, assay: AssayUpsert) -> int:
    """A new assay of the sample ``assay.sample_id``; its id."""
    if assay.id is not None:
        raise BadRequest("createAssay makes a new assay: leave out 'id' (use updateAssay to change one)")
    if not assay.sample_id:
        raise BadRequest("A new assay needs a sample_id")
    sample_id = session.codecs.sample.parse(assay.sample_id)
    sample = samples.get_row(session.tx, sample_id)
    session.project_by_id(sample["project_id"], WRITE, f"Sample {assay.sample_id} not found")
    return assays.upsert(session.tx, sample["project_id"], sample_id, assay)


def _project_of(session: Session, assay_id: int, needed: frozenset[str]) -> int:
    """The assay's project, if the caller holds ``needed`` on it (else the 404 of a missing assay)."""
    project_id = assays.project_of(session.tx, assay_id)
    session.project_by_id(project_id, needed, f"Assay {assay_id} not found")
    return project_id


def update(session: Session, assay: AssayUpsert) -> int:
    """Change the assay ``assay.id`` (its meta merges); an assay stays with its sample."""
    if assay.id is None:
        raise BadRequest("updateAssay needs the assay's id")
    project_id = _project_of(session, assay.id, WRITE)
    current_sample = assays.sample_of(session.tx, assay.id)
    sample_id = session.codecs.sample.parse(assay.sample_id) if assay.sample_id is not None else None
    if sample_id is not None and sample_id != current_sample:
        shown = session.codecs.sample.format(current_sample)
        raise BadRequest(f"Assay {assay.id} belongs to sample {shown} and cannot be moved")
    return assays.upsert(session.tx, project_id, current_sample, assay)


def query(session: Session, criteria: AssayQueryCriteria) -> list[Assay]:
    """The assays matching ``criteria`` of the samples of the readable (or the named) projects."""
    codecs = session.codecs
    project_ids = list(session.readable_projects(criteria.projects))
    sample_rows = sample_service.matching(
        session,
        project_ids,
        sample_ids=codecs.sample.parse_many(criteria.sample_ids) if criteria.sample_ids is not None else None,
        meta=criteria.sample_meta,
        active=None,
    )
    candidates = reads.assays_of_samples(session, [r["id"] for r in sample_rows], NO_PAGE, None, None)
    wanted_ids = set(criteria.assay_ids) if criteria.assay_ids is not None else None
    wanted_eids = set(criteria.external_assay_ids) if criteria.external_assay_ids is not None else None
    return [
        a
        for a in models(session, candidates)
        if (wanted_ids is None or a.id in wanted_ids)
        and (wanted_eids is None or wanted_eids & set(a.external_ids.values()))
        and (criteria.assay_types is None or a.type in criteria.assay_types)
        and meta_matches(a.meta, criteria.assay_meta)
    ]


def get(session: Session, assay_id: int) -> Assay:
    return _readable(session, assay_id)


def get_by_external_id(session: Session, project: str, external_id: str) -> Assay:
    project_id = session.project(project, READ)["id"]
    assay_id = external_ids.id_for(session.tx.conn, "assay", project_id, project, external_id)
    return models(session, reads.assay_by_id(session, assay_id))[0]


def history_of(session: Session, assay_id: int) -> list[HistoryEntry]:
    _project_of(session, assay_id, READ)
    return recorded_changes(session.tx, "assay", assay_id)
