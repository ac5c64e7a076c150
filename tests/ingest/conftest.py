from __future__ import annotations

import pytest

from genolog import client
from tests.ingest.support import FakeClient, FakeIngestError


@pytest.fixture
def fake_client(monkeypatch: pytest.MonkeyPatch) -> FakeClient:
    fake = FakeClient()
    monkeypatch.setattr(client, "ingest", fake.ingest, raising=False)
    monkeypatch.setattr(client, "IngestError", FakeIngestError, raising=False)
    return fake
