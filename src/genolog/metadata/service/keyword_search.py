"""Metamist's keyword search (``GET /web/search?keyword=``), over the projects the caller may read only.

A keyword that is a sample id or a sequencing-group id finds that one entity; any other keyword finds up
to ``LIMIT`` families, samples and participants each whose external id (of any organisation) starts
with it, case ignored. Unlike Metamist, an id of a project the caller cannot read finds nothing (Metamist
answers it as "(no access to project)" with the project's id). At most five statements.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel

from genolog.metadata import tables as t
from genolog.metadata.errors import BadRequest
from genolog.metadata.ids import IdCodec
from genolog.metadata.service.session import Session
from genolog.metadata.store import external_ids

LIMIT = 5  # matches of each kind
MAX_KEYWORD = 300


class SearchResponseType(StrEnum):
    family = "family"
    participant = "participant"
    sample = "sample"
    sequencing_group = "sequencing-group"
    error = "error"


class FamilySearchResponseData(BaseModel):
    project: str
    id: int
    family_external_ids: list[str]


class ParticipantSearchResponseData(BaseModel):
    project: str
    id: int
    family_external_ids: list[str]
    participant_external_ids: list[str]


class SampleSearchResponseData(BaseModel):
    project: str
    id: str
    family_external_ids: list[str]
    participant_external_ids: list[str]
    sample_external_ids: list[str]


class SequencingGroupSearchResponseData(BaseModel):
    project: str
    id: str
    sample_external_id: str
    sg_external_id: str


class SearchResponse(BaseModel):
    type: SearchResponseType
    title: str
    data: (
        SampleSearchResponseData
        | ParticipantSearchResponseData
        | FamilySearchResponseData
        | SequencingGroupSearchResponseData
    )
    error: dict[str, str] | None = None


class SearchResponseModel(BaseModel):
    responses: list[SearchResponse]


def _raw_id(codec: IdCodec, text: str) -> int | None:
    try:
        return codec.parse(text)
    except BadRequest:
        return None


def _like_prefix(text: str) -> str:
    return text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _family_eids(conn: Any, participant_ids: list[int]) -> dict[int, list[str]]:
    """participant id -> the external ids (every organisation) of its family."""
    if not participant_ids:
        return {}
    fp, feid = t.family_participant, t.family_external_id
    found: dict[int, list[str]] = {}
    for pid, eid in conn.execute(
        sa.select(fp.c.participant_id, feid.c.external_id)
        .join(feid, feid.c.family_id == fp.c.family_id)
        .where(fp.c.participant_id.in_(participant_ids))
        .order_by(feid.c.name)
    ):
        found.setdefault(pid, []).append(eid)
    return found


def _participant_eids(conn: Any, participant_ids: list[int]) -> dict[int, list[str]]:
    return {
        i: list(ids.values())
        for i, ids in external_ids.get_many(conn, "participant", participant_ids).items()
    }


def search(session: Session, keyword: str) -> SearchResponseModel:
    """What ``keyword`` finds in the projects the caller may read."""
    keyword = keyword.strip()
    if not keyword or len(keyword) > MAX_KEYWORD or any(ord(c) < 32 for c in keyword):
        return SearchResponseModel(responses=[])
    projects = session.readable_projects()
    if not projects:
        return SearchResponseModel(responses=[])
    conn, codecs = session.tx.conn, session.codecs
    s, sg = t.sample, t.sequencing_group
    readable = s.c.project_id.in_(list(projects))

    sample_id = _raw_id(codecs.sample, keyword)
    if sample_id is not None:
        row = conn.execute(
            sa.select(s.c.project_id, s.c.participant_id).where(s.c.id == sample_id, readable)
        ).first()
        if row is None:
            return SearchResponseModel(responses=[])
        pids = [row.participant_id] if row.participant_id is not None else []
        shown = codecs.sample.format(sample_id)
        data = SampleSearchResponseData(
            project=projects[row.project_id],
            id=shown,
            family_external_ids=_family_eids(conn, pids).get(row.participant_id, []),
            participant_external_ids=_participant_eids(conn, pids).get(row.participant_id, []),
            sample_external_ids=list(external_ids.get_many(conn, "sample", [sample_id])[sample_id].values()),
        )
        return SearchResponseModel(
            responses=[SearchResponse(type=SearchResponseType.sample, title=shown, data=data)]
        )

    group_id = _raw_id(codecs.sequencing_group, keyword)
    if group_id is not None:
        found = conn.execute(
            sa.select(sg.c.sample_id, s.c.project_id)
            .join(s, s.c.id == sg.c.sample_id)
            .where(sg.c.id == group_id, readable)
        ).first()
        if found is None:
            return SearchResponseModel(responses=[])
        shown = codecs.sequencing_group.format(group_id)
        group = SequencingGroupSearchResponseData(
            project=projects[found.project_id],
            id=shown,
            sample_external_id=codecs.sample.format(found.sample_id),  # Metamist's: the sample's own id
            sg_external_id=shown,
        )
        return SearchResponseModel(
            responses=[SearchResponse(type=SearchResponseType.sequencing_group, title=shown, data=group)]
        )

    pattern = _like_prefix(keyword)

    def matching(entity: str) -> list[Any]:
        table = external_ids.TABLES[entity]
        columns = [table.c.project_id, table.c[f"{entity}_id"].label("id"), table.c.external_id]
        statement = sa.select(*columns).where(
            table.c.project_id.in_(list(projects)),
            sa.func.lower(table.c.external_id).like(pattern, escape="\\"),
        )
        if entity == "sample":
            statement = statement.add_columns(s.c.participant_id).join(s, s.c.id == table.c.sample_id)
        return list(conn.execute(statement.order_by(table.c.external_id, columns[1]).limit(LIMIT)))

    families, samples, participants = matching("family"), matching("sample"), matching("participant")
    sample_pids = [r.participant_id for r in samples if r.participant_id is not None]
    every_pid = list({*sample_pids, *(r.id for r in participants)})
    family_eids = _family_eids(conn, every_pid)
    participant_eids = _participant_eids(conn, sample_pids)
    responses = [
        SearchResponse(
            type=SearchResponseType.family,
            title=r.external_id,
            data=FamilySearchResponseData(
                project=projects[r.project_id], id=r.id, family_external_ids=[r.external_id]
            ),
        )
        for r in families
    ]
    responses += [
        SearchResponse(
            type=SearchResponseType.sample,
            title=codecs.sample.format(r.id),
            data=SampleSearchResponseData(
                project=projects[r.project_id],
                id=codecs.sample.format(r.id),
                family_external_ids=family_eids.get(r.participant_id, []),
                participant_external_ids=participant_eids.get(r.participant_id, []),
                sample_external_ids=[r.external_id],
            ),
        )
        for r in samples
    ]
    responses += [
        SearchResponse(
            type=SearchResponseType.participant,
            title=r.external_id,
            data=ParticipantSearchResponseData(
                project=projects[r.project_id],
                id=r.id,
                family_external_ids=family_eids.get(r.id, []),
                participant_external_ids=[r.external_id],
            ),
        )
        for r in participants
    ]
    return SearchResponseModel(responses=responses)
