"""`genolog serve --workers 2` in real processes, on SQLite and PostgreSQL: both workers answer, what one
writes the other reads at once (no worker keeps a stale copy of projects, members, tokens or a cohort's
QC), ``/metrics`` sums both workers, the JSON access log has a line per request, and many writers at
once through both workers all succeed (SQLite's writers queue across processes on its write lock)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from genolog.metadata.service import Service
from tests.metadata.live import free_port, wait_until_healthy
from tests.metadata.support import Api, sample_with_group
from tests.metadata.test_concurrent_writes import SEED, _assert_all_stored, _run_jobs, _setup
from tests.web.test_cohort_qc import summary

WORKERS = 2
# reads after a write, at least, and until both workers have answered some of them
READS = 8
MOST_READS = 200


@dataclass
class Served:
    """A running ``genolog serve --workers 2 --log-format json``."""

    base: str
    stdout: Path  # the JSON access log
    stderr: Path  # the banner, and uvicorn's own lines as JSON
    requests: dict[str, int] = field(default_factory=dict)  # route template -> requests this test sent
    request_ids: list[str] = field(default_factory=list)  # of every request this test sent

    def access_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.read_text().splitlines()]

    def worker_pids(self) -> set[int]:
        started = set()
        for line in self.stderr.read_text().splitlines():
            if line.startswith("{"):
                message = json.loads(line)["message"]
                if message.startswith("Started server process ["):
                    started.add(int(message.split("[")[1].rstrip("]")))
        return started

    def send(
        self, method: str, path: str, route: str, headers: dict[str, str], **kwargs: Any
    ) -> tuple[str, httpx.Response]:
        """One request on a new connection (so that either worker may take it), with a request id of our
        own; the id and the answer."""
        request_id = uuid.uuid4().hex
        response = httpx.request(
            method,
            f"{self.base}{path}",
            headers={**headers, "X-Request-ID": request_id},
            timeout=60,
            **kwargs,
        )
        assert response.headers["x-request-id"] == request_id
        self.requests[route] = self.requests.get(route, 0) + 1
        self.request_ids.append(request_id)
        return request_id, response

    def read_on_both(
        self, path: str, route: str, headers: dict[str, str], check: Callable[[httpx.Response], None]
    ) -> None:
        """Read ``path`` on new connections until both workers have answered (at least ``READS`` times);
        every answer must pass ``check``."""
        ids = []
        for attempt in range(MOST_READS):
            request_id, response = self.send("GET", path, route, headers)
            check(response)
            ids.append(request_id)
            if attempt + 1 >= READS and len(self.pids_of(ids)) == WORKERS:
                return
        raise AssertionError(f"{MOST_READS} requests did not reach both workers: {self.pids_of(ids)}")

    def pids_of(self, request_ids: list[str]) -> set[int]:
        wanted = set(request_ids)
        return {line["pid"] for line in self.access_lines() if line["request_id"] in wanted}


@contextmanager
def serve_workers(db_url: str, tmp_path: Path, *extra: str) -> Iterator[Served]:
    """``genolog serve --workers 2 --log-format json`` on ``db_url``; stopped with SIGINT, after which no
    worker may be left and its run folder (settings, metrics files) must be gone."""
    port = free_port()
    scratch = tmp_path / "tmpdir"  # the server's temporary folder: its run folder goes here
    scratch.mkdir()
    stdout, stderr = tmp_path / "stdout.log", tmp_path / "stderr.log"
    command = [sys.executable, "-m", "genolog.cli", "serve", "--db", db_url, "--data-dir", str(tmp_path)]
    command += ["--port", str(port), "--workers", str(WORKERS), "--log-format", "json", *extra]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENOLOG_", "PROMETHEUS_"))}
    with stdout.open("w") as out, stderr.open("w") as err:
        process = subprocess.Popen(command, env={**env, "TMPDIR": str(scratch)}, stdout=out, stderr=err)
    served = Served(f"http://127.0.0.1:{port}", stdout, stderr)
    workers: set[int] = set()
    try:
        wait_until_healthy(served.base, alive=lambda: process.poll() is None, timeout=120)
        [run_dir] = list(scratch.iterdir())
        assert run_dir.stat().st_mode & 0o777 == 0o700  # the settings (a password, tokens) are private
        deadline = time.monotonic() + 120
        while len(workers := served.worker_pids()) < WORKERS and time.monotonic() < deadline:
            time.sleep(0.1)  # the first worker may answer before the second has started
        assert len(workers) == WORKERS and process.pid not in workers
        yield served
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0, stderr.read_text()
    assert not list(scratch.iterdir()), "the run folder is removed"
    for pid in served.worker_pids():
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
    problems = stderr.read_text()
    assert "Traceback" not in problems and "locked" not in problems, problems


def test_one_process_logs_json_and_serves_metrics(tmp_path: Path) -> None:
    """Without --workers: the JSON access log and /metrics of the one process (no multiprocess folder)."""
    port = free_port()
    command = [sys.executable, "-m", "genolog.cli", "serve", "--data-dir", str(tmp_path), "--port", str(port)]
    command += ["--log-format", "json", "--dev-user", "dev"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENOLOG_", "PROMETHEUS_"))}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, alive=lambda: process.poll() is None, timeout=120)
        answer = httpx.get(f"{base}/api/v1/project/", headers={"sm-ar-guid": "ar-1", "X-Request-ID": "r-1"})
        assert answer.status_code == 200 and answer.headers["x-request-id"] == "r-1"
        metrics = httpx.get(f"{base}/metrics").text
        assert (
            metric_values(metrics, "genolog_http_requests_total")[
                '{method="GET",route="/api/v1/project/",status="2xx"}'
            ]
            == 1
        )
        assert metric_values(metrics, "genolog_db_pool_size")[""] == 10
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    lines = [json.loads(line) for line in stdout.splitlines()]  # stdout: the JSON lines alone
    [line] = [line for line in lines if line["request_id"] == "r-1"]
    assert line["user"] == "dev" and line["ar_guid"] == "ar-1" and line["pid"] == process.pid
    assert line["route"] == "/api/v1/project/" and line["path"] == "/api/v1/project/"
    assert "genolog metadata service on" in stderr  # the banner


def metric_values(text: str, name: str) -> dict[str, float]:
    """The samples of metric ``name`` in a Prometheus text answer, by their label text (``{...}``)."""
    found = {}
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            labels, _, value = line[len(name) :].rpartition(" ")
            found[labels] = float(value)
    return found


def test_two_workers_serve_one_database_coherently(svc: Service, db_url: str, tmp_path: Path) -> None:
    api = Api(svc)
    admin = {**api.user("admin", "admin"), "sm-ar-guid": "run-42"}
    alice = api.user("alice")
    with serve_workers(db_url, tmp_path) as served:

        def projects_are(expected: list[str]) -> Callable[[httpx.Response], None]:
            def check(response: httpx.Response) -> None:
                assert response.status_code == 200, response.text
                assert response.json() == expected

            return check

        # a project made through one worker is listed by both; alice, not a member, sees none
        _, made = served.send(
            "PUT",
            "/api/v1/project/",
            "/api/v1/project/",
            admin,
            params={"name": "co", "dataset": "co", "create_test_project": False},
        )
        assert made.status_code == 200, made.text
        served.read_on_both("/api/v1/project/all", "/api/v1/project/all", admin, lambda r: None)
        served.read_on_both("/api/v1/project/", "/api/v1/project/", alice, projects_are([]))

        # membership granted, then taken away: every later request of alice's, on either worker, sees it
        def set_members(roster: list[dict[str, Any]]) -> None:
            route = "/api/v1/project/{project}/members"
            _, changed = served.send("PATCH", "/api/v1/project/co/members", route, admin, json=roster)
            assert changed.status_code == 200, changed.text

        set_members(
            [{"member": "admin", "roles": ["reader", "writer"]}, {"member": "alice", "roles": ["reader"]}]
        )
        served.read_on_both("/api/v1/project/", "/api/v1/project/", alice, projects_are(["co"]))
        set_members([{"member": "admin", "roles": ["reader", "writer"]}])
        served.read_on_both("/api/v1/project/", "/api/v1/project/", alice, projects_are([]))

        # a cohort's QC, read (and kept) by both workers, then changed through one of them
        upserted = served.send(
            "PUT",
            "/api/v1/sample/co/upsert-many",
            "/api/v1/sample/{project}/upsert-many",
            admin,
            json=[sample_with_group("S1")],
        )[1]
        assert upserted.status_code == 200, upserted.text
        sg = upserted.json()[0]["sequencing_groups"][0]["id"]
        body = {
            "type": "web",
            "status": "completed",
            "sequencing_group_ids": [sg],
            "meta": {"qc": summary(33.0)},
        }
        analysis = served.send(
            "PUT", "/api/v1/analysis/co/", "/api/v1/analysis/{project}/", admin, json=body
        )[1]
        assert analysis.status_code == 200, analysis.text

        def mean_quality_is(value: str) -> Callable[[httpx.Response], None]:
            def check(response: httpx.Response) -> None:
                assert response.status_code == 200, response.text
                header, row = (line.split("\t") for line in response.text.splitlines())
                assert row[header.index("mean_quality")] == value

            return check

        qc_tsv = "/projects/{project}/qc.tsv"
        served.read_on_both("/projects/co/qc.tsv", qc_tsv, admin, mean_quality_is("33.0"))
        route = "/api/v1/analysis/{analysis_id}/"
        update = {"meta": {"qc": summary(21.5)}}
        patched = served.send("PATCH", f"/api/v1/analysis/{analysis.json()}/", route, admin, json=update)[1]
        assert patched.status_code == 200, patched.text
        served.read_on_both("/projects/co/qc.tsv", qc_tsv, admin, mean_quality_is("21.5"))

        # a bulk ingest through one worker: its rows counted in /metrics
        records = [{"sample": sample_with_group(f"I{i}")} for i in range(3)]
        ndjson = "".join(json.dumps(r) + "\n" for r in records)
        ingested = served.send(
            "POST",
            "/api/v1/ingest/co",
            "/api/v1/ingest/{project}",
            {**admin, "Content-Type": "application/x-ndjson"},
            content=ndjson,
        )[1]
        assert ingested.status_code == 200, ingested.text

        # alice's token revoked by `genolog token revoke` (another process): refused by both workers
        listed = subprocess.run(
            [sys.executable, "-m", "genolog.cli", "token", "list", "--json", "--db", db_url],
            capture_output=True,
            text=True,
            check=True,
        )
        [alice_token] = [t["id"] for t in json.loads(listed.stdout) if t["user"] == "alice"]
        subprocess.run(
            [sys.executable, "-m", "genolog.cli", "token", "revoke", str(alice_token), "--db", db_url],
            capture_output=True,
            check=True,
        )

        def refused(response: httpx.Response) -> None:
            assert response.status_code == 401, response.text

        served.read_on_both("/api/v1/project/", "/api/v1/project/", alice, refused)

        # /metrics: both workers' requests, summed, under their route templates; the pools; the rows
        metrics = httpx.get(f"{served.base}/metrics").text
        counted = metric_values(metrics, "genolog_http_requests_total")
        by_route: dict[str, float] = {}
        for labels, value in counted.items():
            template = labels.split('route="')[1].split('"')[0]
            by_route[template] = by_route.get(template, 0) + value
        for template, sent in served.requests.items():
            assert by_route.get(template) == sent, (template, by_route)
        assert counted['{method="GET",route="/api/v1/project/",status="4xx"}'] >= READS  # alice refused
        assert not [label for label in counted if "/co" in label or "alice" in label]  # no names
        latency = metric_values(metrics, "genolog_http_request_duration_seconds_count")
        assert latency['{method="GET",route="/projects/{project}/qc.tsv"}'] == served.requests[qc_tsv]
        assert metric_values(metrics, "genolog_db_pool_size")[""] > 0
        assert "genolog_db_pool_checked_out" in metrics and "genolog_db_pool_idle" in metrics
        rows = metric_values(metrics, "genolog_ingested_rows_total")
        assert rows['{entity="sample",outcome="created"}'] == 4  # one upserted, three ingested
        assert rows['{entity="sequencing_group",outcome="created"}'] == 4

        # the access log: a JSON line per request, each with its fields
        lines = served.access_lines()
        logged = [line["request_id"] for line in lines]
        assert len(logged) == len(set(logged)) and set(served.request_ids) <= set(logged)
        pids = set()
        for line in lines:
            assert set(line) >= {"time", "request_id", "method", "route", "status", "duration_ms", "user"}
            assert line["duration_ms"] >= 0 and line["time"].endswith("+00:00")
            pids.add(line["pid"])
        assert pids == served.worker_pids()
        patch_line = next(line for line in lines if line["method"] == "PATCH" and "analysis" in line["route"])
        assert patch_line["user"] == "admin" and patch_line["ar_guid"] == "run-42"
        assert patch_line["route"] == "/api/v1/analysis/{analysis_id}/" and patch_line["status"] == 200
        alice_lines = [line for line in lines if line["user"] == "alice"]
        assert alice_lines and all(line["ar_guid"] is None for line in alice_lines)
        revoked = [line for line in lines if line["status"] == 401]
        assert revoked and all(line["user"] is None for line in revoked)  # never authenticated


def test_fifty_writers_at_once_through_two_workers_all_succeed(
    svc: Service, db_url: str, tmp_path: Path
) -> None:
    """Each of 50 jobs registers, updates and completes an analysis at once, spread over both workers:
    no request fails (on SQLite the writers of both processes queue on its write lock: WAL, BEGIN
    IMMEDIATE, a 60-second busy timeout), and every write is stored once."""
    headers = Api(svc).user("admin", "admin")
    with serve_workers(db_url, tmp_path) as served:
        # the kernel hands each new connection to either worker; rounds until both took writes at once
        for round_ in range(5):
            seen = len(served.access_lines())
            project, sgs = _setup(served.base, headers, random.Random(SEED + 7 + round_))
            results = _run_jobs(served.base, headers, project, sgs)
            _assert_all_stored(served.base, headers, project, results)
            writers = {line["pid"] for line in served.access_lines()[seen:] if line["method"] == "PATCH"}
            if writers == served.worker_pids():
                break
        assert writers == served.worker_pids(), "in five rounds one worker took every job's writes"

        # a worker killed outright is replaced; /metrics keeps what it counted, not its pool
        metrics = httpx.get(f"{served.base}/metrics").text
        pool_size = metric_values(metrics, "genolog_db_pool_size")[""]
        counted = sum(metric_values(metrics, "genolog_http_requests_total").values())
        killed = min(served.worker_pids())
        os.kill(killed, signal.SIGKILL)
        deadline = time.monotonic() + 120
        while len(served.worker_pids()) < WORKERS + 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(served.worker_pids()) == WORKERS + 1, "the killed worker was not replaced"
        wait_until_healthy(served.base)
        metrics = httpx.get(f"{served.base}/metrics").text
        assert metric_values(metrics, "genolog_db_pool_size")[""] == pool_size  # two live pools again
        assert sum(metric_values(metrics, "genolog_http_requests_total").values()) > counted
