from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from genolog import client
from genolog.metadata.db import Database
from genolog.metadata.service import Service
from genolog.metadata.settings import ServerSettings
from tests.ingest.support import FakeClient
from tests.metadata.live import live_server
from tests.metadata.support import Api


@pytest.fixture
def fake_client(monkeypatch: pytest.MonkeyPatch) -> FakeClient:
    fake = FakeClient()
    monkeypatch.setattr(client, "ingest", fake.ingest)
    return fake


@pytest.fixture
def live_api(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """A real server on a free port, on a fresh SQLite database; GENOLOG_URL/TOKEN point the client at it
    as the admin user (who writes the project ``proj``)."""
    path = tmp_path / "live.sqlite"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    svc = Service.create(ServerSettings(db=url), Database(url))
    api = Api(svc)
    api.project("proj")
    token = api.user("admin", "admin")["Authorization"].removeprefix("Bearer ")
    with live_server(svc) as server_url:
        monkeypatch.setenv("GENOLOG_URL", server_url)
        monkeypatch.setenv("GENOLOG_TOKEN", token)
        yield api
    svc.db.dispose()
