"""Request bodies (issue 19, item 5): refused before they are read when the caller cannot be
authenticated, bounded by ``max_request_bytes`` (413), and the streamed ingest bounded per record."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.api.body_limit import CHECK_CREDENTIALS_ABOVE
from genolog.metadata.db import Database
from genolog.metadata.service import Service
from genolog.metadata.settings import ServerSettings
from genolog.metadata.store import identity
from tests.metadata.live import free_port, live_server, wait_until_healthy
from tests.metadata.support import Api, assert_rejected
from tests.metadata.test_ingest import sample_record
from tests.web.support import form_token, signed_in

MiB = 1024 * 1024
HUGE = 200 * MiB
UPSERT = "/api/v1/participant/proj/upsert-many"


@pytest.fixture
def limited(db_url: str) -> Iterator[Api]:
    """A service taking bodies up to 2 MiB and ingest records up to 64 KiB, with project ``proj``."""
    settings = ServerSettings(db=db_url, max_request_bytes=2 * MiB, max_ingest_record_bytes=64 * 1024)
    svc = Service.create(settings, Database(db_url))
    api = Api(svc)
    api.project("proj")
    yield api
    svc.db.dispose()


def json_list(size: int) -> Iterator[bytes]:
    """A JSON array of participants ``size`` bytes long or a little more, a MiB at a time."""
    item = b'{"external_ids": {"": "P"}, "meta": {"x": "' + b"y" * 200 + b'"}},'
    chunk = item * (MiB // len(item))
    yield b"["
    sent = 1
    while sent < size:
        yield chunk
        sent += len(chunk)
    yield b'{"external_ids": {"": "last"}}]'


def request_head(url: str, method: str, path: str, headers: dict[str, str]) -> bytes:
    host = urllib.parse.urlsplit(url).netloc
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def answer_to_headers_alone(url: str, method: str, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """Send only the request's head (announcing a body that never comes): an answer proves the server
    decided without reading the body."""
    parts = urllib.parse.urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request_head(url, method, path, headers))
        received = b""
        while b"\r\n\r\n" not in received or len(received.split(b"\r\n\r\n", 1)[1]) < _length(received):
            more = sock.recv(65536)
            if not more:
                break
            received += more
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def _length(received: bytes) -> int:
    head = received.split(b"\r\n\r\n", 1)[0].decode().lower()
    for line in head.split("\r\n"):
        if line.startswith("content-length:"):
            return int(line.split(":")[1])
    return 0


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer glt_not-a-token"},
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
    ],
    ids=["no-credentials", "unknown-token", "not-bearer"],
)
@pytest.mark.parametrize("length", ["declared", "chunked"])
def test_an_unauthenticated_body_is_refused_before_it_is_read(
    svc: Service, headers: dict[str, str], length: str
) -> None:
    body = {"Content-Length": str(HUGE)} if length == "declared" else {"Transfer-Encoding": "chunked"}
    with live_server(svc) as url:
        for path in (UPSERT, "/graphql"):
            status, answer = answer_to_headers_alone(
                url,
                "POST" if path == "/graphql" else "PUT",
                path,
                {**headers, **body, "Content-Type": "application/json"},
            )
            assert status == 401, (path, answer)
            error = orjson.loads(answer)
            assert error["name"] == "Unauthenticated" and error["description"], error


def test_a_small_unauthenticated_body_gets_the_usual_401(api: Api) -> None:
    for headers in ({}, {"Authorization": "Bearer glt_not-a-token"}):
        response = api.client.post("/graphql", json={"query": "{ myProjects { name } }"}, headers=headers)
        assert_rejected(response, 401)


def test_a_large_body_from_a_valid_caller_is_read(limited: Api) -> None:
    """Over the size at which credentials are checked first, under the limit: accepted, as before."""
    query = orjson.dumps({"query": "{ myProjects { name } }"}) + b" " * (CHECK_CREDENTIALS_ABOVE + 10)
    response = limited.client.post(
        "/graphql", content=query, headers={**limited.user("admin"), "Content-Type": "application/json"}
    )
    assert response.status_code == 200 and response.json()["data"]["myProjects"], response.text
    # the pages' session cookie counts for the pages: a big form from a signed-in browser is read
    browser = signed_in(limited, "admin")
    padding = {f"pad{i}": "x" * (CHECK_CREDENTIALS_ABOVE // 2) for i in range(3)}  # a field is <= 1 MiB
    out = browser.post(
        "/signout", data={"csrf_token": form_token(browser, "/"), **padding}, follow_redirects=False
    )
    assert out.status_code == 303, out.text
    # ... and is refused unread without one
    refused = browser.post("/signout", data={"csrf_token": "x", **padding}, follow_redirects=False)
    assert_rejected(refused, 401, "Authentication required")


def test_a_body_over_the_limit_is_refused_with_413(limited: Api) -> None:
    admin = {**limited.user("admin"), "Content-Type": "application/json"}
    declared = limited.client.put(UPSERT, content=b"".join(json_list(3 * MiB)), headers=admin)
    error = assert_rejected(declared, 413, "over this server's limit of 2 MiB", "max_request_bytes")
    assert error["name"] == "PayloadTooLarge"
    streamed = limited.client.put(UPSERT, content=json_list(3 * MiB), headers=admin)  # chunked: counted
    assert_rejected(streamed, 413, "over this server's limit of 2 MiB")
    with limited.svc.db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.participant)).scalar() == 0
    # under the limit, the same request is taken
    small = [{"external_ids": {"": f"P{i}"}} for i in range(3)]
    assert len(limited.ok("PUT", "/participant/proj/upsert-many", json=small)) == 3


def ndjson(records: list[dict[str, object]]) -> bytes:
    return b"".join(orjson.dumps(record) + b"\n" for record in records)


def test_the_streamed_ingest_is_bounded_per_record_not_in_total(limited: Api) -> None:
    admin = limited.user("admin")
    records = [sample_record(i, note="n" * 4000) for i in range(700)]  # ~3.5 MiB: over the 2 MiB total
    body = ndjson(records)
    assert len(body) > 2 * MiB
    report = limited.client.post("/api/v1/ingest/proj", content=body, headers=admin)
    assert report.status_code == 200, report.text
    assert report.json()["records"] == 700
    # one record over 64 KiB: refused, naming it, and nothing of the request written
    oversized = [sample_record(1000 + i) for i in range(3)] + [sample_record(2000, note="n" * 70_000)]
    for chunks in (
        ndjson(oversized),
        iter([ndjson(oversized[:3]), ndjson(oversized[3:])[:40_000], b"n" * 40_000]),
    ):
        refused = limited.client.post("/api/v1/ingest/proj", content=chunks, headers=admin)
        assert_rejected(refused, 413, "record 4: over this server's limit of 65,536 bytes for one record")
    with limited.svc.db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.sample)).scalar() == 700


# -- memory of a served process --------------------------------------------------------------------------


def memory(pid: int) -> dict[str, int]:
    """The process' resident and peak resident memory, in bytes (Linux)."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return {k: int(fields[k].split()[0]) * 1024 for k in ("VmRSS", "VmHWM")}


@contextmanager
def served(db_url: str, data: Path, **env: str) -> Iterator[tuple[str, int]]:
    """``genolog serve`` on ``db_url`` (no development user); yields its URL and process id."""
    port = free_port()
    command = [sys.executable, "-m", "genolog.cli", "serve", "--db", db_url, "--data-dir", str(data)]
    proc = subprocess.Popen(
        [*command, "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, alive=lambda: proc.poll() is None)
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def send_whole_body(url: str, head: bytes, body: Iterator[bytes], chunked: bool) -> int:
    """Send a request with all of its body (as far as the server lets it in); the answer's status."""
    parts = urllib.parse.urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=60) as sock:
        answer: list[bytes] = []

        def read() -> None:
            try:
                answer.append(sock.recv(65536))
            except OSError:
                answer.append(b"")

        reader = threading.Thread(target=read)
        reader.start()
        try:
            sock.sendall(head)
            for chunk in body:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except OSError:  # the server answered and closed the connection without reading the rest
            pass
        reader.join(timeout=60)
    return int(answer[0].split()[1])


def test_a_huge_body_costs_the_server_under_50_mb(db_url: str, tmp_path: Path) -> None:
    """200 MB bodies, unauthenticated or over the limit: refused, the server growing by under 50 MB at
    its peak (before, an unauthenticated 195 MB JSON body was parsed before the 401: +1.4 GB)."""
    db = Database(db_url)
    db.migrate()
    with db.write() as conn:
        _, token = identity.create_token(conn, "admin", "test")
        identity.grant_site_role(conn, "admin", "admin")
    db.dispose()
    with served(db_url, tmp_path / "data", GENOLOG_MAX_REQUEST_BYTES=str(8 * MiB)) as (url, pid):
        for _ in range(20):  # warm up: the first requests load modules and fill caches
            wait_until_healthy(url)
        before = memory(pid)
        cases = [
            ({}, False, 401),
            ({}, True, 401),
            ({"Authorization": "Bearer glt_not-a-token"}, False, 401),
            ({"Authorization": "Bearer glt_not-a-token"}, True, 401),
            ({"Authorization": f"Bearer {token}"}, False, 413),
            ({"Authorization": f"Bearer {token}"}, True, 413),  # read up to the limit, then refused
        ]
        for headers, chunked, expected in cases:
            framing = {"Transfer-Encoding": "chunked"} if chunked else {"Content-Length": str(_size(HUGE))}
            head = request_head(
                url, "PUT", UPSERT, {**headers, **framing, "Content-Type": "application/json"}
            )
            assert send_whole_body(url, head, json_list(HUGE), chunked) == expected, (headers, chunked)
        after = memory(pid)
    grown = {k: (after[k] - before[k]) / MiB for k in before}
    assert grown["VmHWM"] < 50 and grown["VmRSS"] < 50, grown


def _size(size: int) -> int:
    return sum(len(chunk) for chunk in json_list(size))
