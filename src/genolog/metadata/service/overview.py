"""The home and project pages' overview: counts per project and recent activity from the audit log.

``home`` and ``project_overview`` check the caller's rights; ``counts`` and ``recent_activity`` read
projects already checked. Each is a fixed number of grouped SQL statements for any number of projects.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from genolog.metadata import tables as t
from genolog.metadata.permissions import MEMBER_ADMIN, READ
from genolog.metadata.service.grid import GridPage, GridQuery, grid_page
from genolog.metadata.service.session import Session
from genolog.metadata.store import tallies


@dataclass
class ProjectCounts:
    participants: int = 0
    samples: int = 0
    sequencing_groups: dict[str, int] = field(default_factory=dict)  # by type
    analyses: dict[str, int] = field(default_factory=dict)  # active ones, by status

    @property
    def sequencing_group_total(self) -> int:
        return sum(self.sequencing_groups.values())

    @property
    def analysis_total(self) -> int:
        return sum(self.analyses.values())


def counts(conn: Connection, project_ids: Sequence[int]) -> dict[int, ProjectCounts]:
    """Two statements: participants, active samples and sequencing groups by type from the projects'
    tallies (``store.tallies``), active analyses by status counted."""
    found = tallies.read(conn, project_ids, ("participants", "samples", "sequencing_groups"))
    result = {
        pid: ProjectCounts(
            participants=found[pid]["participants"].get("", 0),
            samples=found[pid]["samples"].get("", 0),
            sequencing_groups=found[pid]["sequencing_groups"],
        )
        for pid in project_ids
    }
    if project_ids:
        _count_analyses(conn, project_ids, result)
    return result


def _count_analyses(conn: Connection, project_ids: Sequence[int], result: dict[int, ProjectCounts]) -> None:
    a, n = t.analysis, sa.func.count()
    for pid, status, count in conn.execute(
        sa.select(a.c.project_id, a.c.status, n)
        .where(a.c.project_id.in_(project_ids), a.c.active.is_(True))
        .group_by(a.c.project_id, a.c.status)
        .order_by(a.c.status)
    ):
        result[pid].analyses[status] = int(count)


@dataclass
class Activity:
    """One request that changed something: who, when, and how many of what it changed where."""

    audit_log_id: int
    timestamp: datetime.datetime
    author: str
    on_behalf_of: str | None
    ar_guid: str | None
    path: str | None
    project: str
    changes: list[tuple[str, str, int]] = field(default_factory=list)  # (operation, entity, count)


def recent_activity(conn: Connection, projects: dict[int, str], limit: int = 15) -> list[Activity]:
    """The latest ``limit`` audit-log entries that changed something in ``projects`` (id -> name), newest
    first: two statements.

    The counts come from ``project_activity`` (what each request changed in each project, counted when it
    was written), by the index on project and entry: a project's rows are not counted again."""
    if not projects:
        return []
    a, pa = t.audit_log, t.project_activity
    ids = list(projects)
    latest = (
        sa.select(pa.c.audit_log_id)
        .where(pa.c.project_id.in_(ids))
        .group_by(pa.c.audit_log_id)
        .order_by(pa.c.audit_log_id.desc())
        .limit(limit)
    )
    counted = conn.execute(
        sa.select(pa.c.audit_log_id, pa.c.project_id, pa.c.entity, pa.c.operation, sa.func.sum(pa.c.count))
        .where(pa.c.audit_log_id.in_(latest), pa.c.project_id.in_(ids))
        .group_by(pa.c.audit_log_id, pa.c.project_id, pa.c.entity, pa.c.operation)
        .order_by(pa.c.audit_log_id.desc(), pa.c.project_id, pa.c.entity, pa.c.operation)
    ).all()
    entries = {
        r["id"]: r
        for r in conn.execute(
            sa.select(
                a.c.id,
                a.c.timestamp,
                a.c.author,
                a.c.on_behalf_of,
                a.c.ar_guid,
                a.c.meta["path"].as_string().label("path"),
            ).where(a.c.id.in_({row[0] for row in counted}))
        ).mappings()
    }
    found: dict[tuple[int, int], Activity] = {}
    for audit_log_id, project_id, entity, operation, n in counted:
        entry = found.get((audit_log_id, project_id))
        if entry is None:
            r = entries[audit_log_id]
            entry = found[(audit_log_id, project_id)] = Activity(
                audit_log_id=audit_log_id,
                timestamp=as_utc(r["timestamp"]),
                author=r["author"],
                on_behalf_of=r["on_behalf_of"],
                ar_guid=r["ar_guid"],
                path=r["path"],
                project=projects[project_id],
            )
        entry.changes.append((operation, entity, int(n)))
    return list(found.values())


def as_utc(value: datetime.datetime) -> datetime.datetime:
    return value.replace(tzinfo=datetime.UTC) if value.tzinfo is None else value.astimezone(datetime.UTC)


@dataclass
class Home:
    """The home page: the readable projects (by name) with their counts, and their recent activity."""

    projects: list[tuple[str, ProjectCounts]]
    activity: list[Activity]


def home(session: Session) -> Home:
    """Every project the caller may read, with its counts, and their latest activity."""
    readable = dict(sorted(session.readable_projects().items(), key=lambda item: item[1]))
    found = counts(session.tx.conn, list(readable))
    activity = recent_activity(session.tx.conn, readable)
    return Home([(name, found[pid]) for pid, name in readable.items()], activity)


@dataclass
class ProjectOverview:
    """The project page: the project, its counts, a page of its sample grid and its recent activity."""

    name: str
    dataset: str
    counts: ProjectCounts
    grid: GridPage
    activity: list[Activity]
    manage_members: bool  # the caller is a member admin of the project


def project_overview(session: Session, project: str, query: GridQuery) -> ProjectOverview:
    row = session.project(project, READ)
    project_id = row["id"]
    found = counts(session.tx.conn, [project_id])[project_id]
    page = grid_page(session, project_id, query, active_samples=found.samples)
    activity = recent_activity(session.tx.conn, {project_id: row["name"]}, limit=10)
    return ProjectOverview(
        name=row["name"],
        dataset=row["dataset"],
        counts=found,
        grid=page,
        activity=activity,
        manage_members=bool(session.caller.roles_on(project_id) & MEMBER_ADMIN),
    )
