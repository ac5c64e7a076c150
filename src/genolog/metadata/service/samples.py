"""Samples: query, read by id or external id, id maps, creation dates, history, create, upsert many (with
nested sequencing groups and assays), update, merge, and a form's meta edit; each function checks the
caller's role on the sample's project."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from pydantic import BaseModel

from genolog.metadata.context import stored_utc
from genolog.metadata.errors import BadRequest, NotFound
from genolog.metadata.models import GetSamplesCriteria, SampleUpsert
from genolog.metadata.permissions import READ, WRITE
from genolog.metadata.service.history import HistoryEntry, recorded_changes
from genolog.metadata.service.reads import samples as reads
from genolog.metadata.service.reads.filters import meta_matches
from genolog.metadata.service.reads.projects import external_ids_of
from genolog.metadata.service.reads.rows import Rows, parse_json
from genolog.metadata.service.session import Session, in_project
from genolog.metadata.store import external_ids, samples
from genolog.metadata.store.upserts import upsert_items

T = TypeVar("T")


class Sample(BaseModel):
    """A sample as the REST API answers it."""

    id: str
    external_ids: dict[str, str]
    participant_id: int | None
    active: bool
    meta: dict[str, Any]
    type: str | None
    project: int
    sample_parent_id: str | None
    sample_root_id: str | None


def models(session: Session, rows: Rows) -> list[Sample]:
    """The samples of these rows (``reads.samples``) as the REST API answers them."""
    eids = external_ids_of(session, "sample", [r["id"] for r in rows])
    fmt = session.codecs.sample.format
    return [
        Sample.model_construct(  # from stored rows: not re-validated
            id=fmt(r["id"]),
            external_ids=eids[r["id"]],
            participant_id=r["participant_id"],
            active=r["active"],
            meta=parse_json(r["meta"]),
            type=r["type"],
            project=r["project_id"],
            sample_parent_id=fmt(r["parent_id"]) if r["parent_id"] else None,
            sample_root_id=fmt(r["root_id"]) if r["root_id"] else None,
        )
        for r in rows
    ]


def matching(
    session: Session,
    project_ids: list[int],
    *,
    sample_ids: list[int] | None = None,
    participant_ids: list[int] | None = None,
    meta: dict[str, Any] | None = None,
    active: bool | None = True,
) -> Rows:
    """The rows of the samples of these projects that match, by id; ``meta`` as REST filters it."""
    found = reads.samples_listed(session, project_ids, sample_ids, participant_ids, active, meta)
    return Rows(r for r in found if meta_matches(parse_json(r["meta"]), meta)) if meta else found


def query(session: Session, criteria: GetSamplesCriteria) -> list[Sample]:
    """The samples matching ``criteria`` in the readable (or the named) projects."""
    project_ids = session.readable_projects(criteria.project_ids)
    found = matching(
        session,
        list(project_ids),
        sample_ids=session.codecs.sample.parse_many(criteria.sample_ids)
        if criteria.sample_ids is not None
        else None,
        participant_ids=criteria.participant_ids,
        meta=criteria.meta,
        active=criteria.active,
    )
    return models(session, found)


def _visible(session: Session, text_id: str, needed: frozenset[str]) -> dict[str, Any]:
    """The row of the sample ``text_id`` if the caller holds ``needed`` on its project (else the same
    404 as a sample that does not exist)."""
    sample_id = session.codecs.sample.parse(text_id)
    row = samples.get_row(session.tx, sample_id)
    session.project_by_id(row["project_id"], needed, f"Sample {text_id} not found")
    return row


def get(session: Session, text_id: str) -> Sample:
    found = reads.samples_by_ids(session, [session.codecs.sample.parse(text_id)])
    if not found:  # missing, or not readable: the 404 (or a member without a read role's 403)
        _visible(session, text_id, READ)
        raise NotFound(f"Sample {text_id} not found")
    return models(session, found)[0]


def get_by_external_id(session: Session, project: str, external_id: str) -> Sample:
    project_id = session.project(project, READ)["id"]
    sample_id = external_ids.id_for(session.tx.conn, "sample", project_id, project, external_id)
    return models(session, reads.samples_by_ids(session, [sample_id]))[0]


class SampleVersion(BaseModel):
    """One version of a sample as Metamist's ``getHistoryOfSample`` answers it: the sample's row as it was
    after each change (Metamist's ``SampleInternal``, so its ids are the raw integers), and who made it."""

    id: int
    external_ids: dict[str, str]
    meta: dict[str, Any]
    project: int
    type: str | None
    participant_id: int | None
    active: bool | None
    sample_root_id: int | None
    sample_parent_id: int | None
    author: str | None


def versions_of(session: Session, text_id: str) -> list[SampleVersion]:
    """Every recorded version of the sample, oldest first: as created (or as first seen by the change
    record), then after each change."""
    row = _visible(session, text_id, READ)
    versions: list[SampleVersion] = []
    for entry in recorded_changes(session.tx, "sample", row["id"]):
        if not versions and entry.old is not None:  # recorded before its creation was
            versions.append(_version(session, row["id"], entry.old, None))
        if entry.new is not None:
            versions.append(_version(session, row["id"], entry.new, entry.author))
    return versions


def _version(session: Session, sample_id: int, snapshot: dict[str, Any], author: str | None) -> SampleVersion:
    """A version from a sample's snapshot (``store.snapshots``, whose sample ids are formatted)."""
    parse = session.codecs.sample.parse
    root, parent = snapshot.get("sample_root_id"), snapshot.get("sample_parent_id")
    return SampleVersion(
        id=sample_id,
        external_ids=snapshot.get("external_ids") or {},
        meta=snapshot.get("meta") or {},
        project=snapshot["project"],
        type=snapshot.get("type"),
        participant_id=snapshot.get("participant_id"),
        active=snapshot.get("active"),
        sample_root_id=parse(root) if root else None,
        sample_parent_id=parse(parent) if parent else None,
        author=author,
    )


def history_of(session: Session, text_id: str) -> list[HistoryEntry]:
    """The sample's recorded changes: who, when, and its snapshot before and after (genolog's own)."""
    row = _visible(session, text_id, READ)
    return recorded_changes(session.tx, "sample", row["id"])


def _readable_ids(session: Session, text_ids: list[str]) -> list[int]:
    """The internal ids of these samples, every one readable (one 404 names all that are not, whether
    missing or elsewhere)."""
    raw = session.codecs.sample.parse_many(text_ids)
    owners = samples.projects_of(session.tx, raw)
    missing = [
        t
        for t, r in zip(text_ids, raw, strict=True)
        if r not in owners or not session.caller.roles_on(owners[r])
    ]
    if missing:
        raise NotFound(f"Samples not found: {', '.join(missing)}")
    for project_id in set(owners.values()):  # a member without a read role: 403, as everywhere
        session.project_by_id(project_id, READ, "Samples not found")
    return raw


def id_map_by_internal(session: Session, text_ids: list[str]) -> dict[str, str]:
    """Internal sample id -> primary external id; every sample must be readable."""
    return samples.internal_to_external(session.tx, _readable_ids(session, text_ids))


def created_dates(session: Session, text_ids: list[str]) -> dict[str, datetime.date]:
    """Internal sample id -> the day (UTC) it was created; every sample must be readable."""
    created = samples.created(session.tx, _readable_ids(session, text_ids))
    fmt = session.codecs.sample.format
    return {
        fmt(i): stored_utc(moment).astimezone(datetime.UTC).date() for i, moment in sorted(created.items())
    }


def id_map_by_external(
    session: Session, project: str, external: list[str], allow_missing: bool
) -> dict[str, str]:
    project_id = session.project(project, READ)["id"]
    return samples.external_to_internal(session.tx, project_id, external, allow_missing)


def all_id_map_by_internal(session: Session, project: str) -> dict[str, str]:
    return samples.all_internal_to_external(session.tx, session.project(project, READ)["id"])


def create(session: Session, project: str, sample: SampleUpsert, *, update_existing: bool = False) -> str:
    """A new sample (with nested groups and assays). A primary external id the project already uses is a
    409, unless ``update_existing`` (GraphQL's ``createSample``, as metamist's): then that sample is
    updated."""
    if sample.id is not None:
        raise BadRequest("createSample makes a new sample: leave out 'id' (use updateSample to change one)")
    project_id = session.project(project, WRITE)["id"]
    return session.codecs.sample.format(
        upsert_items(session.tx, project_id, [sample], create_only=not update_existing).ids[0]
    )


def upsert_many(session: Session, project: str, items: list[SampleUpsert]) -> list[dict[str, Any]]:
    """Update samples given by id or primary external id, insert the rest; nested groups and assays
    likewise (see ``store.upserts`` for how they match). All or nothing."""
    project_id = session.project(project, WRITE)["id"]
    return upsert_items(session.tx, project_id, items, echo=True).results


def upsert_many_ids(session: Session, project: str, items: list[SampleUpsert]) -> list[str]:
    """``upsert_many``, answering only the samples' ids, in order (nothing echoed)."""
    project_id = session.project(project, WRITE)["id"]
    fmt = session.codecs.sample.format
    return [fmt(i) for i in upsert_items(session.tx, project_id, items).ids]


def update(session: Session, text_id: str, sample: SampleUpsert) -> dict[str, Any]:
    """Update one sample (and what is nested in it); the update echoed back with its ids, as Metamist
    answers it."""
    sample_id = session.codecs.sample.parse(text_id)
    if sample.id is not None and session.codecs.sample.parse(sample.id) != sample_id:
        raise BadRequest(f"The body's id {sample.id!r} does not match the path's {text_id!r}")
    row = _visible(session, text_id, WRITE)
    change = sample.model_copy(update={"id": text_id})
    return upsert_items(session.tx, row["project_id"], [change], echo=True).results[0]


def merge(session: Session, keep_id: str, merge_id: str) -> Sample:
    """Merge sample ``merge_id`` into ``keep_id`` (both of one project the caller may write): its assays and
    sequencing groups move to the kept sample, its meta joins the kept sample's (which notes it in
    ``merged_from``), and it is deactivated, noting ``merged_into``. The kept sample as it now is."""
    if session.codecs.sample.parse(keep_id) == session.codecs.sample.parse(merge_id):
        raise BadRequest(f"A sample cannot be merged into itself ({keep_id})")
    kept, merged = _visible(session, keep_id, WRITE), _visible(session, merge_id, WRITE)
    if kept["project_id"] != merged["project_id"]:
        raise BadRequest(
            f"Samples {keep_id} and {merge_id} are in different projects: only samples of one project merge"
        )
    for text_id, row in ((merge_id, merged), (keep_id, kept)):
        if "merged_into" in row["meta"]:
            raise BadRequest(f"Sample {text_id} was already merged into {row['meta']['merged_into']}")
    samples.merge(session.tx, kept["project_id"], kept, merged)
    return get(session, keep_id)


def change_meta(
    session: Session,
    project: str,
    text_id: str,
    change: Callable[[dict[str, Any]], tuple[dict[str, Any], T]],
) -> tuple[str, T]:
    """A form's edit of the meta of sample ``text_id`` of ``project``: ``change`` gets the current meta once
    the caller's right to write is checked, and returns the merge patch to store and what the form
    reports. The answer: the sample's id as the API shows it, and that report."""
    project_id = session.project(project, WRITE)["id"]
    sample_id = session.codecs.sample.parse(text_id)
    row = in_project(
        project_id,
        partial(samples.get_row, session.tx, sample_id),
        f"Sample {text_id!r} not found in project {project!r}",
    )
    shown_id = session.codecs.sample.format(row["id"])
    patch, report = change(row["meta"])
    upsert_items(session.tx, project_id, [SampleUpsert(id=shown_id, meta=patch)])
    return shown_id, report
