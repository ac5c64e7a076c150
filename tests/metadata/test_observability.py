"""Who may read ``/metrics``, what its labels may say, request ids, and rows counted only once committed
(in one process; ``test_workers.py`` runs several)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from genolog.metadata.app import create_app
from genolog.metadata.db import Database
from genolog.metadata.service import Service
from genolog.metadata.settings import ServerSettings
from tests.metadata.support import Api, assert_rejected, sample_with_group

TOKEN = "scrape-me-0123456789"


@pytest.fixture
def metrics_svc(db_url: str) -> Iterator[Service]:
    service = Service.create(ServerSettings(db=db_url, metrics_token=TOKEN), Database(db_url))
    yield service
    service.db.dispose()


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_are_for_loopback_callers_and_the_metrics_token(metrics_svc: Service) -> None:
    app = create_app(metrics_svc)
    remote = TestClient(app, client=("203.0.113.9", 40000))
    refused = remote.get("/metrics")
    assert_rejected(refused, 403, "/metrics is open to loopback callers only", "metrics_token")
    assert_rejected(remote.get("/metrics", headers={"Authorization": "Bearer wrong"}), 401, "metrics_token")
    assert_rejected(remote.get("/metrics", headers={"Authorization": "Basic x"}), 401, "Bearer")
    allowed = remote.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert allowed.status_code == 200
    assert allowed.headers["content-type"].startswith("text/plain; version=")
    assert "# TYPE genolog_http_requests_total counter" in allowed.text
    for loopback in ("127.0.0.1", "::1"):
        assert TestClient(app, client=(loopback, 40000)).get("/metrics").status_code == 200
    assert "/metrics" not in TestClient(app).get("/openapi.json").json()["paths"]


def test_without_a_metrics_token_only_loopback_reads_metrics(svc: Service) -> None:
    app = create_app(svc)
    refused = TestClient(app, client=("203.0.113.9", 40000)).get("/metrics")
    assert_rejected(refused, 403, "from elsewhere, set metrics_token")


def test_requests_are_counted_by_route_template_never_by_path(api: Api) -> None:
    api.project("secretproj")
    route = {"method": "GET", "route": "/api/v1/sample/{id_}", "status": "4xx"}
    before = value("genolog_http_requests_total", **route)
    unmatched = {"method": "other", "route": "<unmatched>", "status": "4xx"}
    unmatched_before = value("genolog_http_requests_total", **unmatched)
    for name in ("XPG-nothing", "secret-sample"):
        assert api.call("GET", f"/sample/{name}").status_code == 400
    assert api.client.request("BREW", "/no/such/path/secret").status_code in (404, 405)
    assert value("genolog_http_requests_total", **route) == before + 2
    assert value("genolog_http_requests_total", **unmatched) == unmatched_before + 1
    assert value("genolog_http_request_duration_seconds_count", method="GET", route=route["route"]) >= 2
    text = TestClient(api.client.app, client=("127.0.0.1", 1)).get("/metrics").text
    assert "secret" not in text and "XPG-nothing" not in text


def test_a_request_id_is_kept_when_sane_and_made_otherwise(api: Api) -> None:
    kept = api.call("GET", "/project/all", headers={"X-Request-ID": "trace-1.2:3/ab=="})
    assert kept.headers["x-request-id"] == "trace-1.2:3/ab=="
    made = set()
    for bad in ("has space", "x" * 129, "-leading-dash", "new\nline", ""):
        answer = api.call("GET", "/project/all", headers={"X-Request-ID": bad})
        assert answer.headers["x-request-id"] != bad and len(answer.headers["x-request-id"]) == 32
        made.add(answer.headers["x-request-id"])
    made.add(api.call("GET", "/project/all").headers["x-request-id"])
    assert len(made) == 6  # a new one each time
    # refused requests carry one too, and the time taken, as Metamist's answers do
    refused = api.call("GET", "/project/all", user=None)
    assert "x-request-id" in refused.headers
    assert re.fullmatch(r"\d+\.\dms", refused.headers["x-process-time"])
    assert re.fullmatch(r"\d+\.\dms", kept.headers["x-process-time"])


def test_ingested_rows_are_counted_once_committed(api: Api) -> None:
    api.project()
    created = {"entity": "sample", "outcome": "created"}
    before = value("genolog_ingested_rows_total", **created)

    def ingest(names: list[str], **params: str) -> int:
        body = "".join(json.dumps({"sample": sample_with_group(n)}) + "\n" for n in names)
        headers = {"Content-Type": "application/x-ndjson"}
        return api.call("POST", "/ingest/proj", content=body, headers=headers, params=params).status_code

    assert ingest(["A", "B"], dry_run="true") == 200  # rolled back: nothing counted
    assert value("genolog_ingested_rows_total", **created) == before
    # the sample is written, then the analysis naming one that does not exist fails the request
    missing = {"sample": "NOPE", "type": "genome", "technology": "short-read", "platform": "illumina"}
    bad = [{"sample": sample_with_group("C")}, {"analysis": {"type": "qc", "sequencing_group": missing}}]
    refused = api.call(
        "POST",
        "/ingest/proj",
        content="".join(json.dumps(r) + "\n" for r in bad),
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert_rejected(refused, 400, "record 2: no sample 'NOPE' in this project")
    assert value("genolog_ingested_rows_total", **created) == before
    assert ingest(["A", "B"]) == 200
    assert value("genolog_ingested_rows_total", **created) == before + 2
    assert ingest(["A", "B"]) == 200  # again: nothing changes
    assert value("genolog_ingested_rows_total", **created) == before + 2
    assert value("genolog_ingested_rows_total", entity="sample", outcome="unchanged") >= 2
