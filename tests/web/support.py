"""Fixtures' data for the web interface tests: a project with participants, samples, reads and analyses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi.testclient import TestClient

from genolog.metadata.app import create_app
from tests.metadata.support import Api, sample_with_group

RUN = {
    "ar_guid": "run-0001",
    "access_level": "test",
    "repository": "https://example.org/qc.git",
    "commit": "0123abcd",
    "script": "python3 qc.py",
    "description": "QC of everything",
    "driver_image": "genolog/driver:1",
    "config_path": "/tmp/run-0001.toml",
    "environment": "local",
    "batch_url": "file:///tmp/run",
    "submitting_user": "admin",
    "output_path": "proj/qc",
}


@dataclass
class Site:
    api: Api
    samples: list[str]  # S1, S2, S3 ... internal ids
    groups: list[str]
    analysis: int


def build_site(api: Api, n: int = 3) -> Site:
    """``proj`` (reader: ``reader``) with n participants P1.. each with one sample S1.. and a genome group;
    an analysis of S1's group made by an analysis-runner run; ``other`` with one sample."""
    api.project(members={"reader": ["reader"]})
    api.project("other")
    body: list[dict[str, Any]] = []
    for i in range(1, n + 1):
        sample = sample_with_group(f"S{i}")
        sample["meta"] = {"batch": i % 2 + 1, "site": "north" if i % 2 else "south"}
        reads = sample["sequencing_groups"][0]["assays"][0]["meta"]["reads"]
        for j, read in enumerate(reads):
            read.update(size=1_500_000 + j, checksum=f"md5:{i:02d}{j:030d}")
        body.append(
            {
                "external_ids": {"": f"P{i}"},
                "reported_sex": 1 + i % 2,
                "meta": {"cohort": f"c{i}"},
                "samples": [sample],
            }
        )
    created = api.ok("PUT", "/participant/proj/upsert-many", json=body)
    samples = [p["samples"][0]["id"] for p in created]
    groups = [p["samples"][0]["sequencing_groups"][0]["id"] for p in created]
    api.ok("PUT", "/analysis-runner/proj/", params=RUN, json={})
    analysis = api.ok(
        "PUT",
        "/analysis/proj/",
        headers={"sm-ar-guid": RUN["ar_guid"]},
        json={
            "type": "web",
            "status": "completed",
            "sequencing_group_ids": [groups[0]],
            "output": "gs://web/S1.html",
            "meta": {"display_url": "http://127.0.0.1:8000/web/proj/qc/S1.html"},
        },
    )
    api.ok("PUT", "/sample/other/upsert-many", json=[sample_with_group("O1")])
    return Site(api, samples, groups, analysis)


def browser(api: Api, base_url: str = "http://testserver") -> TestClient:
    """A client with its own cookie jar, like a browser (no Authorization header)."""
    return TestClient(create_app(api.svc), raise_server_exceptions=False, base_url=base_url)


def token_of(api: Api, user: str) -> str:
    return api.user(user)["Authorization"].removeprefix("Bearer ")


_CSRF_FIELD = re.compile(r'<input type="hidden" name="csrf_token" value="([0-9a-f]{64})">')


def form_token(client: TestClient, page: str = "/signin") -> str:
    """The CSRF token a page's forms carry for this client's session (any page gives the same one)."""
    found = _CSRF_FIELD.search(client.get(page).text)
    assert found, f"no csrf_token field on {page}"
    return found.group(1)


def post_form(
    client: TestClient, path: str, data: dict[str, Any] | None = None, **kwargs: Any
) -> httpx.Response:
    """POST a form as a browser does: with the token from a page rendered for this session first."""
    return client.post(path, data={**(data or {}), "csrf_token": form_token(client)}, **kwargs)


def signed_in(api: Api, user: str) -> TestClient:
    client = browser(api)
    response = post_form(client, "/signin", {"token": token_of(api, user)}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return client
