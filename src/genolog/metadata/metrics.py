"""The metadata service's Prometheus metrics: what they are, and how every worker process of ``serve``
contributes to one ``/metrics`` answer.

Labels hold only bounded, non-identifying values (a route's template, a status class, an entity kind),
never a project, a user or a raw path. With ``serve --workers N`` each worker writes its values to files
under ``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's multiprocess mode, chosen when the library is
imported, so ``serve`` sets the variable before it spawns them) and ``/metrics`` sums them all.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy.engine import Connection, Engine

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

REQUESTS = Counter(
    "genolog_http_requests",
    "HTTP requests answered, by method, route template and status class",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "genolog_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by method and route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
# "livesum": the sum over the worker processes still running
POOL_CHECKED_OUT = Gauge(
    "genolog_db_pool_checked_out",
    "Database connections in use by requests",
    multiprocess_mode="livesum",
)
POOL_IDLE = Gauge(
    "genolog_db_pool_idle", "Open database connections waiting in the pool", multiprocess_mode="livesum"
)
POOL_SIZE = Gauge(
    "genolog_db_pool_size",
    "Connections each pool keeps open (more, up to its overflow, are opened while busy)",
    multiprocess_mode="livesum",
)
ROWS_INGESTED = Counter(
    "genolog_ingested_rows",
    "Entities written by upserts and bulk ingest (committed), by kind and outcome",
    ["entity", "outcome"],
)

_PENDING = "genolog.metrics.pending_rows"  # a connection's counts, until its transaction commits


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def render() -> bytes:
    """The text exposition of every metric: this process' own, or in multiprocess mode all workers'."""
    if multiprocess_dir() is None:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return generate_latest(registry)


def start_worker_metrics() -> None:
    """In a worker process of ``serve``: forget the live gauges of workers that died without saying so
    (uvicorn replaces a dead worker with a new one, which runs this), and mark this one dead at its own
    exit. Counters of dead workers stay: they still count what those workers did."""
    folder = multiprocess_dir()
    if folder is None:
        return
    for path in Path(folder).glob("gauge_live*_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        if not _running(pid):
            multiprocess.mark_process_dead(pid, folder)
    atexit.register(multiprocess.mark_process_dead, os.getpid(), folder)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def watch(engine: Engine) -> None:
    """Keep the pool gauges current as connections are taken and given back, and count the rows of
    upserts once their transaction commits."""
    pool = engine.pool

    def pool_changed(*_: Any) -> None:
        size = getattr(pool, "size", None)
        checked_in = getattr(pool, "checkedin", None)
        checked_out = getattr(pool, "checkedout", None)
        if callable(size) and callable(checked_in) and callable(checked_out):  # a QueuePool
            POOL_SIZE.set(size())
            POOL_IDLE.set(checked_in())
            POOL_CHECKED_OUT.set(checked_out())

    for event in ("connect", "checkout", "checkin", "close"):
        sa.event.listen(pool, event, pool_changed)
    pool_changed()

    @sa.event.listens_for(engine, "commit")
    def _committed(conn: Connection) -> None:
        pending = conn.info.pop(_PENDING, None)
        if pending:
            for (entity, outcome), count in pending.items():
                ROWS_INGESTED.labels(entity, outcome).inc(count)

    @sa.event.listens_for(engine, "rollback")
    def _rolled_back(conn: Connection) -> None:
        conn.info.pop(_PENDING, None)


def rows_written(conn: Connection, counts: Mapping[str, Mapping[str, int]]) -> None:
    """Count an upsert's entities (``{kind: {outcome: n}}``), as written when its transaction commits."""
    pending: dict[tuple[str, str], int] = conn.info.setdefault(_PENDING, {})
    for entity, outcomes in counts.items():
        for outcome, count in outcomes.items():
            if count:
                pending[entity, outcome] = pending.get((entity, outcome), 0) + count
