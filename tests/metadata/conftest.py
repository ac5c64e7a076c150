"""Fixtures for the metadata service: a service on a fresh database and an API client with users."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from genolog.metadata.api.service import Service
from genolog.metadata.db import Database
from genolog.metadata.settings import ServerSettings
from tests.metadata.support import Api


@pytest.fixture
def svc(db_url: str) -> Iterator[Service]:
    service = Service.create(ServerSettings(db=db_url), Database(db_url))
    yield service
    service.db.dispose()


@pytest.fixture
def api(svc: Service) -> Api:
    return Api(svc)
