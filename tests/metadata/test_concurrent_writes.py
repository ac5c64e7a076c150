"""Many pipeline jobs registering their outputs at once, over real HTTP against a live server.

Each of 50 clients creates an analysis for its own sequencing group (status queued), moves it to
in-progress, then completes it with an output path, all at the same time as the others. Every request
must succeed (no 5xx, no "database is locked"), and afterwards every analysis must be there once, with
its final status and output, and its history must hold its own three writes, attributed to its job.
The second test runs the same jobs while another writer holds the database for a few seconds.
"""

from __future__ import annotations

import random
import sqlite3
import ssl
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import sqlalchemy as sa

from genolog.metadata.db import Database, normalise_url
from genolog.metadata.service import Service
from genolog.metadata.settings import ServerSettings
from tests.metadata.live import live_server
from tests.metadata.support import Api, sample_with_group

CLIENTS = 50
SEED = 20261201
# one TLS context for all the clients (plain HTTP never uses it): each httpx client would otherwise load
# the CA bundle, and 50 of them at once keep the jobs from starting together for seconds
TLS = ssl.create_default_context()
BLOCKED_FOR = 3.0  # seconds another writer holds the database in the second test


def _job(
    base: str, headers: dict[str, str], project: str, sg: str, index: int, start: threading.Barrier
) -> dict[str, Any]:
    """One pipeline job: register an analysis, then report progress and completion. Returns what it saw."""
    output = f"gs://cpg-{project}-main/cram/{sg}-{index}.cram"
    problems: list[str] = []
    job_headers = {**headers, "sm-ar-guid": f"job-{index}"}
    with httpx.Client(base_url=f"{base}/api/v1", headers=job_headers, timeout=120, verify=TLS) as client:

        def send(method: str, path: str, body: dict[str, Any]) -> httpx.Response:
            response = client.request(method, path, json=body)
            if response.status_code != 200:
                problems.append(f"{method} {path}: {response.status_code} {response.text}")
            return response

        start.wait()
        created = send(
            "PUT",
            f"/analysis/{project}/",
            {"type": "cram", "status": "queued", "sequencing_group_ids": [sg], "meta": {"job": index}},
        )
        if created.status_code != 200:
            return {"index": index, "problems": problems}
        analysis_id = created.json()
        send("PATCH", f"/analysis/{analysis_id}/", {"status": "in-progress"})
        send("PATCH", f"/analysis/{analysis_id}/", {"status": "completed", "output": output})
    return {"index": index, "id": analysis_id, "sg": sg, "output": output, "problems": problems}


def _setup(base: str, headers: dict[str, str], rng: random.Random) -> tuple[str, list[str]]:
    """A project with one sample (and sequencing group) per client, made through the API."""
    with httpx.Client(base_url=f"{base}/api/v1", headers=headers, timeout=60) as setup:
        project = f"conc{rng.randrange(10**6)}"
        params = {"name": project, "dataset": project, "create_test_project": True}
        assert setup.put("/project/", params=params).status_code == 200
        roster = [{"member": "admin", "roles": ["reader", "writer"]}]
        assert setup.patch(f"/project/{project}/members", json=roster).status_code == 200
        samples_in = [sample_with_group(f"EXT{rng.randrange(10**9)}-{i}") for i in range(CLIENTS)]
        response = setup.put(f"/sample/{project}/upsert-many", json=samples_in)
        assert response.status_code == 200, response.text
        sgs = [s["sequencing_groups"][0]["id"] for s in response.json()]
        assert len(set(sgs)) == CLIENTS
    return project, sgs


def _run_jobs(
    base: str,
    headers: dict[str, str],
    project: str,
    sgs: list[str],
    ready: threading.Event | None = None,
) -> list[dict[str, Any]]:
    """Run every job at once (each has its HTTP client before any starts); ``ready`` is set as they go."""
    start = threading.Barrier(CLIENTS, action=ready.set if ready else None)
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        futures = [pool.submit(_job, base, headers, project, sg, i, start) for i, sg in enumerate(sgs)]
        return [f.result(timeout=300) for f in futures]


def _assert_all_stored(
    base: str, headers: dict[str, str], project: str, results: list[dict[str, Any]]
) -> None:
    problems = [p for r in results for p in r["problems"]]
    assert not problems, f"{len(problems)} failed requests, e.g. {problems[:3]}"
    with httpx.Client(base_url=f"{base}/api/v1", headers=headers, timeout=60) as check:
        stored = check.post("/analysis/query", json={"projects": [project]})
        assert stored.status_code == 200, stored.text
        analyses = stored.json()
        histories = {r["id"]: check.get(f"/analysis/{r['id']}/history").json() for r in results}

    by_id = {a["id"]: a for a in analyses}
    assert len(analyses) == len(by_id) == CLIENTS, "every job's analysis exists, once"
    assert {r["id"] for r in results} == set(by_id)
    for r in results:
        row = by_id[r["id"]]
        assert row["status"] == "completed"
        assert row["output"] == r["output"]
        assert row["sequencing_group_ids"] == [r["sg"]]
        assert row["meta"] == {"job": r["index"]}
        # the three writes of this job, in order, each recorded under this job's own audit entry
        changes = histories[r["id"]]
        assert [c["operation"] for c in changes] == ["create", "update", "update"]
        assert [c["new"]["status"] for c in changes] == ["queued", "in-progress", "completed"]
        assert {c["ar_guid"] for c in changes} == {f"job-{r['index']}"}
        assert len({c["audit_log_id"] for c in changes}) == 3


def test_fifty_jobs_register_and_complete_analyses_at_once(svc: Service) -> None:
    headers = Api(svc).user("admin", "admin")
    with live_server(svc) as base:
        project, sgs = _setup(base, headers, random.Random(SEED))
        started = time.monotonic()
        results = _run_jobs(base, headers, project, sgs)
        elapsed = time.monotonic() - started
        _assert_all_stored(base, headers, project, results)
    assert elapsed < 120, f"{CLIENTS} jobs took {elapsed:.1f}s"


@contextmanager
def _writes_blocked(db_url: str) -> Iterator[None]:
    """Hold up every writer, as a long bulk write would: SQLite's write lock, or on PostgreSQL a lock on
    ``audit_log`` (every write adds a row there) that still lets reads through."""
    if db_url.startswith("sqlite"):
        blocker = sqlite3.connect(sa.make_url(db_url).database or "", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            blocker.execute("COMMIT")
            blocker.close()
        return
    engine = sa.create_engine(normalise_url(db_url), poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("LOCK TABLE audit_log IN EXCLUSIVE MODE")
            yield
    finally:
        engine.dispose()


def test_jobs_wait_out_a_long_write_instead_of_failing(db_url: str) -> None:
    """While another writer holds the database, the jobs' writes queue up and then all succeed.

    Waiting writers each hold a pooled connection. Were the pool smaller than the server's thread pool
    (40 threads), later requests would wait for a connection and fail after the pool's timeout (30 s
    by default, 1 s here so that the test stays short) with a 500, though the database would soon be free.
    """
    svc = Service.create(ServerSettings(db=db_url), Database(db_url, pool_timeout=1))
    try:
        headers = Api(svc).user("admin", "admin")
        with live_server(svc) as base:
            project, sgs = _setup(base, headers, random.Random(SEED + 1))
            with ThreadPoolExecutor(max_workers=1) as jobs:
                with _writes_blocked(db_url):
                    ready = threading.Event()
                    running = jobs.submit(_run_jobs, base, headers, project, sgs, ready)
                    assert ready.wait(timeout=120), "the jobs did not start"
                    started = time.monotonic()
                    time.sleep(BLOCKED_FOR)
                    assert not running.done(), "the jobs' writes went through a held lock"
                results = running.result(timeout=300)
            elapsed = time.monotonic() - started
            _assert_all_stored(base, headers, project, results)
        assert BLOCKED_FOR <= elapsed < 120
    finally:
        svc.db.dispose()


def test_no_free_connection_is_a_503_not_a_500(db_url: str) -> None:
    """Should every pooled connection stay busy past the pool's timeout, the caller is told to retry."""
    db = Database(db_url, pool_size=1, max_overflow=0, pool_timeout=0.1)
    api = Api(Service.create(ServerSettings(db=db_url), db))
    headers = api.user("admin", "admin")
    try:
        with db.engine.connect():  # the only connection
            response = api.call("GET", "/project/all", user=None, headers=headers)
        assert response.status_code == 503, response.text
        assert response.json() == {
            "name": "DatabaseUnavailable",
            "description": "The database is busy or unavailable; retry later",
        }
        assert api.call("GET", "/project/all", user=None, headers=headers).status_code == 200
    finally:
        db.dispose()
