"""A project's analysis-runner runs (newest first, filtered by status and user, paged, with how many
analyses each created or changed), one run's record, and the tail of its driver's log.

The runner (`genolog.runner.run`) writes the driver's log beside the run's config, in the dataset's tmp
storage: ``<tmp>/analysis-runner/<ar-guid>.log``, and records that path as ``meta.log_path``; `genolog
analysis-runner logs` reads it from there. The server shows a log only when that recorded path (or, for a
record without one, the one its config path implies) is exactly where a local run on this server's data
dir puts it: ``<data_dir>/<dataset>-<test|main>-tmp/analysis-runner/<ar-guid>.log``. Nothing from the
request names a file, and no other path in the database is ever opened.
"""

from __future__ import annotations

import datetime
import math
import os
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.analysis_runner_fields import RUN_STATUSES
from genolog.metadata.context import Tx
from genolog.metadata.errors import BadRequest, NotFound
from genolog.paths import is_cloud_path
from genolog.runner.runconfig import RUNNER_FOLDER
from genolog.web.analysis_list import touched_by_runs
from genolog.web.paging import Paged, page_and_size
from genolog.web.storage import resolve_inside

DEFAULT_PER_PAGE = 25
#: How much of a log's end the run page shows.
LOG_TAIL_BYTES = 200_000
#: An ar-guid that can be a file name: no separators, no dot first (the runner's are uuids).
_SAFE_GUID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*")


@dataclass(frozen=True)
class RunQuery:
    status: str = ""
    user: str = ""
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> RunQuery:
        status = params.get("status", "").strip()
        if status and status not in RUN_STATUSES:
            raise BadRequest(f"Unknown run status {status!r}: use one of {', '.join(RUN_STATUSES)}")
        page, per_page = page_and_size(params, DEFAULT_PER_PAGE)
        return cls(status, params.get("user", "").strip(), page, per_page)

    def params(self, **changes: Any) -> str:
        q = replace(self, **({"page": 1} | changes))
        pairs = [("status", q.status), ("user", q.user)]
        pairs += [("page", str(q.page)), ("per", str(q.per_page))]
        defaults = {"status": "", "user": "", "page": "1", "per": str(DEFAULT_PER_PAGE)}
        return urllib.parse.urlencode([(k, v) for k, v in pairs if v != defaults[k]])


@dataclass
class RunsPage(Paged):
    rows: list[dict[str, Any]]  # the analysis_runner row, plus "analyses": how many it created or changed
    total: int
    query: RunQuery
    users: list[str]


def analysis_counts(tx: Tx, project_id: int, guids: list[str]) -> dict[str, int]:
    """How many of the project's analyses (active or not) each run created or changed: one statement."""
    touched = touched_by_runs(t.audit_log.c.ar_guid.in_(guids)).subquery()
    a = t.analysis
    return {
        guid: int(n)
        for guid, n in tx.conn.execute(
            sa.select(touched.c.ar_guid, sa.func.count())
            .join(a, a.c.id == touched.c.analysis_id)
            .where(a.c.project_id == project_id)
            .group_by(touched.c.ar_guid)
        )
    }


def runs_page(tx: Tx, project_id: int, query: RunQuery) -> RunsPage:
    """Four statements: the users (for the choice), the count, the page's runs, their analysis counts."""
    ar = t.analysis_runner
    users = list(
        tx.conn.execute(
            sa.select(ar.c.submitting_user)
            .where(ar.c.project_id == project_id)
            .distinct()
            .order_by(ar.c.submitting_user)
        ).scalars()
    )
    where = [ar.c.project_id == project_id]
    if query.status:
        where.append(ar.c.status == query.status)
    if query.user:
        where.append(ar.c.submitting_user == query.user)
    total = int(tx.conn.execute(sa.select(sa.func.count()).select_from(ar).where(*where)).scalar_one())
    pages = max(1, math.ceil(total / query.per_page))
    if query.page > pages:
        query = replace(query, page=pages)
    rows = [
        dict(r)
        for r in tx.conn.execute(
            sa.select(ar)
            .where(*where)
            .order_by(ar.c.timestamp.desc(), ar.c.ar_guid)
            .limit(query.per_page)
            .offset((query.page - 1) * query.per_page)
        ).mappings()
    ]
    counts = analysis_counts(tx, project_id, [r["ar_guid"] for r in rows]) if rows else {}
    for r in rows:
        r["analyses"] = counts.get(r["ar_guid"], 0)
    return RunsPage(rows, total, query, users)


def run_record(tx: Tx, project_id: int, project: str, ar_guid: str) -> dict[str, Any]:
    ar = t.analysis_runner
    row = (
        tx.conn.execute(sa.select(ar).where(ar.c.ar_guid == ar_guid, ar.c.project_id == project_id))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"No analysis-runner run {ar_guid!r} in project {project!r}")
    return dict(row)


@dataclass
class RunLog:
    """The end of a run's driver log, or why it is not shown."""

    recorded: str | None  # the path the run recorded (or its config implies)
    text: str | None = None
    size: int = 0
    truncated: bool = False
    problem: str | None = None


def log_folder(data_dir: Path, project: str, access_level: str) -> Path:
    """Where a local run recorded on ``project`` keeps its config and log under ``data_dir``: the
    dataset's tmp storage as `genolog.paths.local_storage_config` lays it out (test runs are recorded on
    ``<dataset>-test`` and use the test namespace), then the runner's folder."""
    test = access_level == "test"
    dataset = project.removesuffix("-test") if test else project
    namespace = "test" if test else "main"
    return Path(os.path.abspath(data_dir)) / f"{dataset}-{namespace}-tmp" / RUNNER_FOLDER


def recorded_log_path(record: Mapping[str, Any]) -> str | None:
    """The log path the runner recorded (``meta.log_path``), else the one beside its config."""
    meta = record.get("meta") or {}
    path = meta.get("log_path") if isinstance(meta, Mapping) else None
    if isinstance(path, str) and path:
        return path
    config = str(record.get("config_path") or "")
    suffix = f"{record['ar_guid']}.toml"
    if config.endswith(suffix):
        return config.removesuffix(suffix) + f"{record['ar_guid']}.log"
    return None


def read_log(data_dir: Path, project: str, record: Mapping[str, Any], limit: int = LOG_TAIL_BYTES) -> RunLog:
    """The last ``limit`` bytes of the run's log, when it is a local file where this server's runs keep
    their logs; otherwise the reason it is not shown."""
    guid = str(record["ar_guid"])
    recorded = recorded_log_path(record)
    if recorded is None:
        return RunLog(None, problem="The run recorded no log file.")
    if is_cloud_path(recorded):
        return RunLog(
            recorded,
            problem=f"The log is in remote storage ({recorded}), which this server does not read: "
            f"use `genolog analysis-runner logs {guid}` where that storage is readable.",
        )
    local = recorded.removeprefix("file://")
    folder = log_folder(data_dir, project, str(record.get("access_level") or ""))
    name = f"{guid}.log"
    # compared as real paths, so a data dir spelled through a symbolic link still matches; the file
    # opened is always ``folder/name``, and only when it really is inside ``folder``
    if not _SAFE_GUID.fullmatch(guid) or os.path.realpath(local) != os.path.realpath(folder / name):
        return RunLog(
            recorded,
            problem=f"The log was recorded at {recorded}, outside the run logs of this server's data "
            f"({folder}): it is not read from here.",
        )
    target = resolve_inside(folder, name)
    if target is None:
        return RunLog(recorded, problem=f"The log file {recorded} is not on this server (or is gone).")
    try:
        with open(target, "rb") as f:
            size = f.seek(0, os.SEEK_END)
            start = max(0, size - limit)
            f.seek(start)
            data = f.read(limit)
    except OSError as e:
        return RunLog(recorded, problem=f"The log file {recorded} cannot be read ({e.strerror}).")
    if start:  # begin at a whole line
        newline = data.find(b"\n")
        if 0 <= newline < len(data) - 1:
            data = data[newline + 1 :]
    return RunLog(recorded, data.decode("utf-8", errors="replace"), size, bool(start))


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s"
    return str(datetime.timedelta(seconds=round(seconds)))
