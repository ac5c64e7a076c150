"""The analyses list of a project: filtered (type, status, sequencing group, analysis-runner run, active,
a date range on completion or creation), sorted and paged on the server.

A page costs a fixed number of statements whatever the project's size: the project's analysis types (for
the type choice), the count, the page's rows, and the page's sequencing groups (at most
``GROUPS_SHOWN`` per analysis, with how many there are in all). ``project_analyses`` checks the caller
may read the project; ``analyses_page`` lists a project already checked (a run's page).
"""

from __future__ import annotations

import datetime
import math
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.context import Tx, stored_utc
from genolog.metadata.errors import BadRequest
from genolog.metadata.models import AnalysisStatus
from genolog.metadata.permissions import READ
from genolog.metadata.service.page_numbers import Paged, page_and_size
from genolog.metadata.service.session import Session

DEFAULT_PER_PAGE = 50
STATUSES = tuple(s.value for s in AnalysisStatus)
ACTIVE_CHOICES = ("active", "inactive", "all")
DATE_FIELDS = {"completed": "timestamp completed", "created": "created"}
SORTS = ("id", "type", "status", "completed")
#: Sequencing groups listed per analysis (a joint call can have thousands: the rest are counted).
GROUPS_SHOWN = 5


def _date(value: str, name: str) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"The {name} date {value!r} is not a date: use YYYY-MM-DD") from None


@dataclass(frozen=True)
class AnalysisQuery:
    """What the list asks for, read from and written back to its URL (defaults stay out of it)."""

    type: str = ""
    status: str = ""
    sequencing_group: str = ""
    ar_guid: str = ""
    active: str = "active"
    date_field: str = "completed"
    date_from: str = ""
    date_to: str = ""
    sort: str = "id"
    descending: bool = True
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    PARAMS: ClassVar[dict[str, str]] = {  # field -> URL parameter
        "type": "type",
        "status": "status",
        "sequencing_group": "sg",
        "ar_guid": "ar_guid",
        "active": "active",
        "date_field": "date",
        "date_from": "from",
        "date_to": "to",
    }

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> AnalysisQuery:
        """The query of a URL; a value it cannot mean is a 400 naming it (the type is not checked: an
        unknown one matches nothing)."""
        text = {name: params.get(key, "").strip() for name, key in cls.PARAMS.items()}
        if text["status"] and text["status"] not in STATUSES:
            raise BadRequest(f"Unknown status {text['status']!r}: use one of {', '.join(STATUSES)}")
        text["active"] = text["active"] or "active"
        if text["active"] not in ACTIVE_CHOICES:
            raise BadRequest(f"'active' must be one of {', '.join(ACTIVE_CHOICES)}, not {text['active']!r}")
        text["date_field"] = text["date_field"] or "completed"
        if text["date_field"] not in DATE_FIELDS:
            raise BadRequest(f"'date' must be completed or created, not {text['date_field']!r}")
        first, last = _date(text["date_from"], "'from'"), _date(text["date_to"], "'to'")
        if first and last and first > last:
            raise BadRequest(f"The date range is empty: 'from' ({first}) is after 'to' ({last})")
        page, per_page = page_and_size(params, DEFAULT_PER_PAGE)
        sort = params.get("sort", "id")
        return cls(
            **text,
            sort=sort if sort in SORTS else "id",
            descending=params.get("desc", "1" if sort not in SORTS or sort == "id" else "0") == "1",
            page=page,
            per_page=per_page,
        )

    @property
    def first_day(self) -> datetime.date | None:
        return _date(self.date_from, "'from'")

    @property
    def last_day(self) -> datetime.date | None:
        return _date(self.date_to, "'to'")

    def params(self, **changes: Any) -> str:
        """The URL query of this view with ``changes`` (and back to page 1 unless a page is given)."""
        q = replace(self, **({"page": 1} | changes))
        defaults = AnalysisQuery()
        pairs = [
            (key, getattr(q, name))
            for name, key in self.PARAMS.items()
            if getattr(q, name) != getattr(defaults, name)
        ]
        if q.sort != "id":
            pairs.append(("sort", q.sort))
        if q.descending != (q.sort == "id"):
            pairs.append(("desc", "1" if q.descending else "0"))
        if q.page != 1:
            pairs.append(("page", str(q.page)))
        if q.per_page != DEFAULT_PER_PAGE:
            pairs.append(("per", str(q.per_page)))
        return urllib.parse.urlencode(pairs)

    def sorted_by(self, key: str) -> str:
        """The URL query sorting by ``key``: the other way round when it is already sorted by it; ids
        newest first, the rest ascending, at first."""
        descending = not self.descending if self.sort == key else key == "id"
        return self.params(sort=key, descending=descending)


@dataclass
class Group:
    id: str
    sample: str
    sample_external_id: str


@dataclass
class AnalysisRow:
    id: int
    type: str
    status: str
    active: bool
    output: str | None
    completed: datetime.datetime | None
    created: datetime.datetime
    author: str | None
    display_url: str | None
    groups: list[Group] = field(default_factory=list)
    group_total: int = 0


@dataclass
class AnalysisPage(Paged):
    rows: list[AnalysisRow]
    total: int
    query: AnalysisQuery
    types: list[str]


def touched_by_runs(guids: sa.ColumnElement[bool]) -> sa.CompoundSelect:
    """(ar_guid, analysis id) of the analyses created or changed under the runs whose ``audit_log.ar_guid``
    meets ``guids``: the change record's rows, and the analysis rows' last writer (which covers analyses
    written before the change record kept them).

    The change rows are reached through their ``(entity, entity_id)`` index and the audit-log ids through
    an ``IN``: ``change`` has no index on ``audit_log_id`` to join it the other way round."""
    c, log, a = t.change, t.audit_log, t.analysis
    run_logs = sa.select(log.c.id).where(guids)
    return sa.union(
        sa.select(log.c.ar_guid, c.c.entity_id.label("analysis_id"))
        .join(log, log.c.id == c.c.audit_log_id)
        .where(c.c.entity == "analysis", c.c.audit_log_id.in_(run_logs)),
        sa.select(log.c.ar_guid, a.c.id.label("analysis_id"))
        .join(log, log.c.id == a.c.audit_log_id)
        .where(a.c.audit_log_id.in_(run_logs)),
    )


def _utc_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)


def _where(tx: Tx, project_id: int, query: AnalysisQuery) -> list[sa.ColumnElement[bool]]:
    a = t.analysis
    where: list[sa.ColumnElement[bool]] = [a.c.project_id == project_id]
    if query.active != "all":
        where.append(a.c.active.is_(query.active == "active"))
    if query.type:
        where.append(a.c.type == query.type)
    if query.status:
        where.append(a.c.status == query.status)
    if query.sequencing_group:
        try:
            sg_id = tx.codecs.sequencing_group.parse(query.sequencing_group)
        except BadRequest as e:
            raise BadRequest(f"Sequencing group filter: {e}") from None
        asg = t.analysis_sequencing_group
        where.append(a.c.id.in_(sa.select(asg.c.analysis_id).where(asg.c.sequencing_group_id == sg_id)))
    if query.ar_guid:
        touched = touched_by_runs(t.audit_log.c.ar_guid == query.ar_guid).subquery()
        where.append(a.c.id.in_(sa.select(touched.c.analysis_id)))
    column = a.c.timestamp_completed if query.date_field == "completed" else a.c.created_at
    if query.first_day:
        where.append(column >= _utc_midnight(query.first_day))
    if query.last_day:  # the whole of the last day
        where.append(column < _utc_midnight(query.last_day + datetime.timedelta(days=1)))
    return where


def _order(query: AnalysisQuery) -> list[sa.ColumnElement[Any]]:
    a = t.analysis
    column = {"id": a.c.id, "type": a.c.type, "status": a.c.status, "completed": a.c.timestamp_completed}
    expression = column[query.sort]
    ordered = expression.desc() if query.descending else expression.asc()
    return [sa.nulls_last(ordered), a.c.id.desc() if query.descending else a.c.id.asc()]


def project_types(tx: Tx, project_id: int) -> list[str]:
    a = t.analysis
    return list(
        tx.conn.execute(
            sa.select(a.c.type).where(a.c.project_id == project_id).distinct().order_by(a.c.type)
        ).scalars()
    )


def _groups(tx: Tx, analysis_ids: list[int]) -> dict[int, tuple[list[Group], int]]:
    """The first ``GROUPS_SHOWN`` sequencing groups of each analysis, with their samples, and how many it
    has: one statement (a window numbers each analysis' groups)."""
    asg, sg, s = t.analysis_sequencing_group, t.sequencing_group, t.sample
    eid = t.sample_external_id
    numbered = (
        sa.select(
            asg.c.analysis_id,
            asg.c.sequencing_group_id,
            sa.func.row_number()
            .over(partition_by=asg.c.analysis_id, order_by=asg.c.sequencing_group_id)
            .label("n"),
            sa.func.count().over(partition_by=asg.c.analysis_id).label("total"),
        )
        .where(asg.c.analysis_id.in_(analysis_ids))
        .subquery()
    )
    statement = (
        sa.select(
            numbered.c.analysis_id, numbered.c.total, sg.c.id, s.c.id.label("sample_id"), eid.c.external_id
        )
        .join(sg, sg.c.id == numbered.c.sequencing_group_id)
        .join(s, s.c.id == sg.c.sample_id)
        .outerjoin(eid, sa.and_(eid.c.sample_id == s.c.id, eid.c.name == ""))
        .where(numbered.c.n <= GROUPS_SHOWN)
        .order_by(numbered.c.analysis_id, numbered.c.n)
    )
    codecs = tx.codecs
    found: dict[int, tuple[list[Group], int]] = {}
    for r in tx.conn.execute(statement):
        groups, _ = found.setdefault(r.analysis_id, ([], int(r.total)))
        groups.append(
            Group(
                codecs.sequencing_group.format(r.id), codecs.sample.format(r.sample_id), r.external_id or ""
            )
        )
    return found


def analyses_page(tx: Tx, project_id: int, query: AnalysisQuery, with_types: bool = True) -> AnalysisPage:
    a = t.analysis
    types = project_types(tx, project_id) if with_types else []
    where = _where(tx, project_id, query)
    total = int(tx.conn.execute(sa.select(sa.func.count()).select_from(a).where(*where)).scalar_one())
    pages = max(1, math.ceil(total / query.per_page))
    if query.page > pages:
        query = replace(query, page=pages)
    fetched = tx.conn.execute(
        sa.select(
            a.c.id,
            a.c.type,
            a.c.status,
            a.c.active,
            a.c.output,
            a.c.timestamp_completed,
            a.c.created_at,
            a.c.on_behalf_of,
            a.c.meta["display_url"].as_string().label("display_url"),
        )
        .where(*where)
        .order_by(*_order(query))
        .limit(query.per_page)
        .offset((query.page - 1) * query.per_page)
    ).all()
    groups = _groups(tx, [r.id for r in fetched]) if fetched else {}
    rows = []
    for r in fetched:
        shown, count = groups.get(r.id, ([], 0))
        rows.append(
            AnalysisRow(
                id=r.id,
                type=r.type,
                status=r.status,
                active=bool(r.active),
                output=r.output,
                completed=stored_utc(r.timestamp_completed),
                created=stored_utc(r.created_at),
                author=r.on_behalf_of,
                display_url=r.display_url,
                groups=shown,
                group_total=count,
            )
        )
    return AnalysisPage(rows, total, query, types)


@dataclass
class ProjectAnalyses:
    project: str  # the project's name, as stored
    listing: AnalysisPage


def project_analyses(session: Session, project: str, query: AnalysisQuery) -> ProjectAnalyses:
    """A page of the analyses list of a project the caller may read."""
    row = session.project(project, READ)
    return ProjectAnalyses(row["name"], analyses_page(session.tx, row["id"], query))
