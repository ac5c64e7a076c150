"""Crash safety: SIGKILL the server in the middle of a large bulk write, restart it, and find no partial request.

The server runs as its own process (``genolog serve``) on a scratch database. Each round sends one large
bulk write (1,000 samples, each with a sequencing group and an assay) that is acknowledged, then a second
(3,000) that is killed in flight at a seeded random moment, once its transaction is open: ``PUT /sample/{project}/upsert-many`` in even rounds,
the streaming NDJSON ``POST /ingest/{project}`` (samples, and participants with a sample) in odd ones. After every restart, every acknowledged request's
samples must all be there, each with its group and assay, and the killed request's must be all there or
none of them. Rounds accumulate on the same database, so a restart must also keep every earlier round. Participants are checked likewise.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import sqlalchemy as sa

from genolog.metadata.db import normalise_url
from tests.metadata.live import free_port, wait_until_healthy
from tests.metadata.support import sample_with_group

ROUNDS = 4  # even rounds send PUT .../upsert-many (JSON), odd ones POST /ingest/... (NDJSON)
SAMPLES_PER_REQUEST = 1000
KILLED_REQUEST_SAMPLES = 3 * SAMPLES_PER_REQUEST
SEED = 7031
PROJECT = "crash"
USER = "crash-tester"


@dataclass
class Request:
    """One bulk write: its samples' (and participants') external ids, and whether it was acknowledged.

    ``upsert-many`` sends samples, each with a sequencing group and an assay; ``ingest`` sends the same
    as NDJSON records, every other sample inside a participant record of its own."""

    name: str
    route: str  # "upsert-many" or "ingest"
    external_ids: list[str]
    acknowledged: bool = False
    outcome: str | None = None  # for a killed request: "all" or "none", as found after the restart

    @property
    def participant_ids(self) -> list[str]:
        return [f"P-{e}" for e in self.external_ids[::2]] if self.route == "ingest" else []

    def _samples(self) -> list[dict[str, Any]]:
        bodies = [sample_with_group(e) for e in self.external_ids]
        for body in bodies:
            body["meta"] = {"request": self.name}
        return bodies

    def send(self, client: httpx.Client) -> httpx.Response:
        if self.route == "upsert-many":
            return client.put(f"/sample/{PROJECT}/upsert-many", json=self._samples())
        records = [
            {"participant": {"external_ids": {"": f"P-{s['external_ids']['']}"}, "samples": [s]}}
            if i % 2 == 0
            else {"sample": s}
            for i, s in enumerate(self._samples())
        ]
        body = b"".join(orjson.dumps(r) + b"\n" for r in records)
        return client.post(
            f"/ingest/{PROJECT}", content=body, headers={"Content-Type": "application/x-ndjson"}
        )


@dataclass
class Server:
    command: list[str]
    env: dict[str, str]
    base: str
    log: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = field(default=0)

    @contextmanager
    def running(self) -> Iterator[httpx.Client]:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(self.command, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.starts += 1
        process = self.process
        try:
            wait_until_healthy(self.base, alive=lambda: process.poll() is None, timeout=60)
            with httpx.Client(base_url=f"{self.base}/api/v1", timeout=120) as client:
                yield client
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def kill(self) -> None:
        assert self.process is not None and self.process.poll() is None, "the server died by itself"
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=20)


def _server(tmp_path: Path, db_url: str) -> Server:
    port = free_port()
    command = [sys.executable, "-m", "genolog.cli", "serve", "--dev-user", USER, "--port", str(port)]
    command += ["--data-dir", str(tmp_path / "data"), "--db", db_url]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENOLOG_")}
    return Server(command, env, f"http://127.0.0.1:{port}", tmp_path / "server.log")


def _writing(db_url: str) -> bool:
    """Whether the server has a write transaction open right now (it holds SQLite's write lock, or its
    PostgreSQL transaction has written something), so that a kill now lands in the middle of a write."""
    if db_url.startswith("sqlite"):
        probe = sqlite3.connect(sa.make_url(db_url).database or "", timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            assert "locked" in str(e), e
            return True
        finally:
            if probe.in_transaction:
                probe.execute("ROLLBACK")
            probe.close()
        return False
    engine = sa.create_engine(normalise_url(db_url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return bool(
                conn.execute(
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
                    )
                ).scalar_one()
            )
    finally:
        engine.dispose()


def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()


def _check(client: httpx.Client, requests: list[Request]) -> None:
    """Acknowledged requests are whole; any other is whole or absent; nothing else is stored."""
    internal_to_external = _ok(client.get(f"/sample/{PROJECT}/id-map/internal/all"))
    by_external = {e: i for i, e in internal_to_external.items()}
    assert len(by_external) == len(internal_to_external), "an external id is stored twice"
    groups = _ok(client.get(f"/sequencing-group/project/{PROJECT}"))
    assays = Counter(
        a["sample_id"] for a in _ok(client.post("/assay/criteria", json={"projects": [PROJECT]}))
    )
    participants = {
        eid
        for p in _ok(client.post(f"/participant/{PROJECT}", json={}))
        for eid in p["external_ids"].values()
    }
    expected = expected_participants = 0
    for request in requests:
        stored_participants = [p for p in request.participant_ids if p in participants]
        assert len(stored_participants) == (
            len(request.participant_ids) if present_all(request, by_external) else 0
        ), (
            f"request {request.name}: {len(stored_participants)} of {len(request.participant_ids)} participants"
        )
        expected_participants += len(stored_participants)
        present = [e for e in request.external_ids if e in by_external]
        if request.acknowledged:
            assert len(present) == len(request.external_ids), (
                f"acknowledged request {request.name} lost {len(request.external_ids) - len(present)} samples"
            )
        else:
            assert len(present) in (0, len(request.external_ids)), (
                f"killed request {request.name} was partly stored: {len(present)} of {len(request.external_ids)}"
            )
            request.outcome = "all" if present else "none"
        for external_id in present:
            sample_id = by_external[external_id]
            assert sum(len(ids) for ids in groups.get(sample_id, {}).values()) == 1, external_id
            assert assays[sample_id] == 1, external_id
        expected += len(present)
    assert len(by_external) == expected, "samples from no request were stored"
    assert sum(assays.values()) == expected
    assert len(participants) == expected_participants, "participants from no request were stored"


def present_all(request: Request, by_external: dict[str, str]) -> bool:
    return bool(request.external_ids) and request.external_ids[0] in by_external


def _send(client: httpx.Client, request: Request, done: dict[str, Any]) -> None:
    try:
        response = request.send(client)
    except httpx.HTTPError as e:  # the server was killed under it
        done["error"] = e
        return
    done["status"] = response.status_code
    done["text"] = response.text
    request.acknowledged = response.status_code == 200


@pytest.mark.slow
def test_a_killed_server_keeps_acknowledged_bulk_writes_and_no_partial_one(
    tmp_path: Path, db_url: str
) -> None:
    rng = random.Random(SEED)
    server = _server(tmp_path, db_url)
    requests: list[Request] = []
    ids = iter(range(10**9))

    def new_request(name: str, route: str, samples: int = SAMPLES_PER_REQUEST) -> Request:
        tag = rng.randrange(16**6)
        return Request(name, route, [f"{name}-{tag:06x}-{next(ids)}" for _ in range(samples)])

    killed_mid_request = killed_mid_write = 0
    for round_ in range(ROUNDS):
        with server.running() as client:
            if round_ == 0:
                _ok(client.put("/project/", params={"name": PROJECT, "dataset": PROJECT}))
                roster = [{"member": USER, "roles": ["reader", "writer"]}]
                _ok(client.patch(f"/project/{PROJECT}/members", json=roster))
            _check(client, requests)
            route = "upsert-many" if round_ % 2 == 0 else "ingest"
            acknowledged = new_request(f"r{round_}a", route)
            started = time.monotonic()
            _ok(acknowledged.send(client))
            duration = time.monotonic() - started
            acknowledged.acknowledged = True
            requests.append(acknowledged)

            # three times the acknowledged one: a warm server answers the second request faster than the
            # first, and a kill timed from the first's duration must still land inside the second
            in_flight = new_request(f"r{round_}b", route, KILLED_REQUEST_SAMPLES)
            requests.append(in_flight)
            done: dict[str, Any] = {}
            sender = threading.Thread(target=_send, args=(client, in_flight, done))
            sender.start()
            time.sleep(rng.uniform(0.1, 0.9) * duration)
            # then aim at the transaction: a kill at the random moment alone often landed while the request
            # was still being read, before the transaction (waits at most as long as the request takes)
            deadline = time.monotonic() + 3 * duration
            while sender.is_alive() and not _writing(db_url) and time.monotonic() < deadline:
                time.sleep(0.002)
            killed_mid_write += _writing(db_url)
            server.kill()
            sender.join(timeout=60)
            assert not sender.is_alive()
            if "status" in done:  # it finished before the kill: then it must have succeeded
                assert done["status"] == 200, done["text"]
            else:
                killed_mid_request += 1

    with server.running() as client:
        _check(client, requests)

    # the kills are timed from the acknowledged request's duration, so they land inside the next one, and
    # mostly inside its transaction; a request can still finish first on an idle machine
    assert killed_mid_request >= 1 and killed_mid_write >= 1, (killed_mid_request, killed_mid_write)
    outcomes = Counter(r.outcome for r in requests if not r.acknowledged)
    print(
        f"{ROUNDS} kills: {killed_mid_request} inside a request, {killed_mid_write} inside its transaction; "
        f"killed requests found stored: {dict(outcomes)}; server starts: {server.starts}"
    )
