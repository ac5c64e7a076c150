"""The CRAM proportionate map (Metamist's ``getProportionateMap``): how the projects' CRAM storage divides
between them day by day, by one or more temporal methods.

A sequencing group's CRAM size is the ``meta.size`` of its completed ``cram`` analyses: the first counts
from its sample's creation, each later one (by completion) from its own completion day.

- ``SAMPLE_CREATE_DATE``: each project's total CRAM size, summed up to each day on which a size changed
  (days before ``start`` count on ``start``; changes after ``end`` are left out).
- ``ES_INDEX_DATE``: the sizes of the sequencing groups seqr has seen, on each day an ``es-index`` (or,
  before seqr's ES indices existed, a ``joint-calling``) analysis completed, starting on ``start`` with
  every group joint-called or indexed by then; a group counts with its CRAM size of that day.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from pydantic import BaseModel

from genolog.metadata.context import stored_utc
from genolog.metadata.errors import BadRequest
from genolog.metadata.inputs import check_list_length
from genolog.metadata.models import TemporalMethod
from genolog.metadata.permissions import READ
from genolog.metadata.service.reads import cram_sizes as reads
from genolog.metadata.service.reads.rows import parse_json
from genolog.metadata.service.session import Session

EARLIEST_START = datetime.date(2020, 1, 1)
ES_INDEX_INTRODUCED = datetime.date(2022, 6, 21)  # before it, joint calls stand for seqr's indices


class ProjectShare(BaseModel):
    project: str
    percentage: float
    size: int


class ProportionalDate(BaseModel):
    date: datetime.date
    projects: list[ProjectShare]


@dataclass(frozen=True)
class _Cram:
    size: int | None  # meta.size, when it is a number
    completed: datetime.date | None


def _day(text: str, what: str) -> datetime.date:
    try:
        return datetime.datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise BadRequest(f"{what} must be a date as YYYY-MM-DD, got {text!r}") from None


def _utc_day(moment: datetime.datetime | None) -> datetime.date | None:
    found = stored_utc(moment)
    return None if found is None else found.astimezone(datetime.UTC).date()


def _midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)


def proportionate_map(
    session: Session,
    start: str,
    end: str | None,
    projects: list[str],
    temporal_methods: list[TemporalMethod],
    sequencing_types: list[str] | None,
) -> dict[str, list[ProportionalDate]]:
    """For each temporal method, the days and each project's CRAM size and share on them (see the
    module's docstring). Every project must be readable (else its 404)."""
    check_list_length(projects, "projects")
    check_list_length(sequencing_types or [], "sequencing types")
    first = _day(start, "start")
    last = _day(end, "end") if end else None
    if last is not None and last < first:
        raise BadRequest(f"end ({last}) must not be before start ({first})")
    if first < EARLIEST_START:
        raise BadRequest(f"start ({first}) must be on or after {EARLIEST_START}")
    names = {row["id"]: row["name"] for row in (session.project(p, READ) for p in projects)}
    project_ids = list(names)
    groups = reads.sequencing_groups(session, project_ids, sequencing_types) if names else []
    project_of = {g["id"]: g["project_id"] for g in groups}
    created = {g["id"]: _utc_day(g["created_at"]) or first for g in groups}
    crams: dict[int, list[_Cram]] = defaultdict(list)
    for row in reads.completed_crams(session, project_ids, sequencing_types) if names else []:
        size = (parse_json(row["meta"]) or {}).get("size")
        number = int(size) if isinstance(size, int | float) and not isinstance(size, bool) else None
        crams[row["sequencing_group_id"]].append(_Cram(number, _utc_day(row["timestamp_completed"])))

    answer: dict[str, list[ProportionalDate]] = {}
    for method in dict.fromkeys(temporal_methods):
        if method == TemporalMethod.SAMPLE_CREATE_DATE:
            deltas = _size_changes(crams, created, first, last)
            answer[method.value] = _running_totals(deltas, project_of, names)
        else:
            answer[method.value] = _by_index_date(
                session, crams, created, project_of, names, first, last, project_ids
            )
    return answer


def _size_changes(
    crams: dict[int, list[_Cram]],
    created: dict[int, datetime.date],
    first: datetime.date,
    last: datetime.date | None,
) -> dict[datetime.date, dict[int, int]]:
    """day -> sequencing group -> how much its CRAM size changed that day."""
    changes: dict[datetime.date, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for sg_id, listed in crams.items():
        previous = 0
        for position, cram in enumerate(listed):
            if position == 0:
                day, delta = created[sg_id], cram.size or 0
            else:
                day = cram.completed or created[sg_id]
                delta = cram.size - previous if cram.size is not None else 0
            if cram.size is not None:
                previous = cram.size
            if not delta or (last is not None and day > last):
                continue
            changes[max(day, first)][sg_id] += delta
    return changes


def _shares(day: datetime.date, sizes: dict[int, int], names: dict[int, str]) -> ProportionalDate:
    total = sum(sizes.values())
    return ProportionalDate(
        date=day,
        projects=[
            ProjectShare(project=names[pid], percentage=size / total if total else 0.0, size=size)
            for pid, size in sizes.items()
        ],
    )


def _running_totals(
    changes: dict[datetime.date, dict[int, int]], project_of: dict[int, int], names: dict[int, str]
) -> list[ProportionalDate]:
    totals: dict[int, int] = {}
    answer = []
    for day in sorted(changes):
        for sg_id, delta in changes[day].items():
            pid = project_of[sg_id]
            totals[pid] = totals.get(pid, 0) + delta
        answer.append(_shares(day, dict(totals), names))
    return answer


def _sizes_by_day(
    crams: dict[int, list[_Cram]],
    created: dict[int, datetime.date],
    first: datetime.date,
    last: datetime.date | None,
) -> dict[int, list[tuple[datetime.date, int]]]:
    """sequencing group -> (from which day, CRAM size), in order."""
    sizes: dict[int, list[tuple[datetime.date, int]]] = {}
    for sg_id, listed in crams.items():
        if len(listed) == 1:
            sizes[sg_id] = [(max(created[sg_id], first), listed[0].size or 0)]
            continue
        found = []
        for position, cram in enumerate(listed):
            day = created[sg_id] if position == 0 else (cram.completed or created[sg_id])
            if (last is not None and day > last) or cram.size is None:
                continue
            found.append((max(day, first), cram.size))
        sizes[sg_id] = found
    return sizes


def _size_on(sizes: list[tuple[datetime.date, int]], day: datetime.date) -> int | None:
    if len(sizes) == 1:
        return sizes[0][1]  # its only CRAM, whatever the day: it was indexed, so it existed
    return next((size for since, size in reversed(sizes) if since <= day), None)


def _by_index_date(
    session: Session,
    crams: dict[int, list[_Cram]],
    created: dict[int, datetime.date],
    project_of: dict[int, int],
    names: dict[int, str],
    first: datetime.date,
    last: datetime.date | None,
    project_ids: list[int],
) -> list[ProportionalDate]:
    sizes = _sizes_by_day(crams, created, first, last)
    added: dict[datetime.date, set[int]] = defaultdict(set)
    added[first] = reads.joint_called_until(session, project_ids, _midnight(first)) if project_ids else set()
    after, until = _midnight(first), _midnight(last) if last is not None else None
    types = ["es-index"] + (["joint-calling"] if first < ES_INDEX_INTRODUCED else [])
    for analysis_type in types:
        for row in reads.completed_between(session, project_ids, analysis_type, after, until):
            day = _utc_day(row["timestamp_completed"])
            if day is not None:
                added[day].add(row["sequencing_group_id"])
    seen: set[int] = set()
    answer = []
    for day in sorted(added):
        seen |= added[day]
        by_project: dict[int, int] = defaultdict(int)
        for sg_id in sorted(seen):
            if sg_id in project_of and sg_id in sizes and (size := _size_on(sizes[sg_id], day)):
                by_project[project_of[sg_id]] += size
        answer.append(_shares(day, dict(by_project), names))
    return answer
