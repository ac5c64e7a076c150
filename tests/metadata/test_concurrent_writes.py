"""Many pipeline jobs registering their outputs at once, over real HTTP against a live server.

Each of 50 clients creates an analysis for its own sequencing group (status queued), moves it to
in-progress, then completes it with an output path, all at the same time as the others. Every request
must succeed (no 5xx, no "database is locked"), and afterwards every analysis must be there once, with
its final status and output, and its history must hold its own three writes, attributed to its job.
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from genolog.metadata.api.service import Service
from tests.metadata.live import live_server
from tests.metadata.support import Api, sample_with_group

CLIENTS = 50
SEED = 20261201


def _job(
    base: str, headers: dict[str, str], project: str, sg: str, index: int, start: threading.Barrier
) -> dict[str, Any]:
    """One pipeline job: register an analysis, then report progress and completion. Returns what it saw."""
    output = f"gs://cpg-{project}-main/cram/{sg}-{index}.cram"
    problems: list[str] = []
    job_headers = {**headers, "sm-ar-guid": f"job-{index}"}
    with httpx.Client(base_url=f"{base}/api/v1", headers=job_headers, timeout=120) as client:

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


def test_fifty_jobs_register_and_complete_analyses_at_once(svc: Service) -> None:
    api = Api(svc)
    headers = api.user("admin", "admin")
    rng = random.Random(SEED)
    with live_server(svc) as base:
        with httpx.Client(base_url=f"{base}/api/v1", headers=headers, timeout=60) as setup:
            project = f"conc{rng.randrange(10**6)}"
            assert (
                setup.put(
                    "/project/", params={"name": project, "dataset": project, "create_test_project": True}
                ).status_code
                == 200
            )
            roster = [{"member": "admin", "roles": ["reader", "writer"]}]
            assert setup.patch(f"/project/{project}/members", json=roster).status_code == 200
            samples_in = [sample_with_group(f"EXT{rng.randrange(10**9)}-{i}") for i in range(CLIENTS)]
            response = setup.put(f"/sample/{project}/upsert-many", json=samples_in)
            assert response.status_code == 200, response.text
            sgs = [s["sequencing_groups"][0]["id"] for s in response.json()]
            assert len(set(sgs)) == CLIENTS

        start = threading.Barrier(CLIENTS)
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            futures = [
                pool.submit(_job, base, headers, project, sg, i, start) for i, sg in enumerate(sgs)
            ]
            results = [f.result(timeout=300) for f in futures]
        elapsed = time.monotonic() - started

        problems = [p for r in results for p in r["problems"]]
        assert not problems, f"{len(problems)} failed requests, e.g. {problems[:3]}"
        assert elapsed < 120, f"50 jobs took {elapsed:.1f}s"

        with httpx.Client(base_url=f"{base}/api/v1", headers=headers, timeout=60) as check:
            stored = check.post("/analysis/query", json={"projects": [project]})
            assert stored.status_code == 200, stored.text
            analyses = stored.json()
            histories = {
                r["id"]: check.get(f"/analysis/{r['id']}/history").json() for r in results if "id" in r
            }

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
