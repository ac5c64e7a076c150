"""genolog answers as Metamist answers, through the published metamist client against a live server.

Each test runs one scenario of ``scripts/metamist_answers.py`` (the client in its own venv) on SQLite and
PostgreSQL. The expected answers are what Metamist's server (7.13.4, run locally with the 7.14 client)
answered to the same scenario; where genolog keeps a deliberate difference, the test says so.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from genolog.metadata.db import Database
from genolog.metadata.service import Service
from genolog.metadata.settings import ServerSettings
from tests.metadata.live import live_server
from tests.metadata.test_metamist_client import metamist_python  # noqa: F401 (fixture)

SCRIPT = Path(__file__).parent / "scripts" / "metamist_answers.py"
PROJECT = "answers"


@pytest.fixture
def dev_service(db_url: str) -> Iterator[Service]:
    service = Service.create(ServerSettings(db=db_url, dev_user="dev"), Database(db_url))
    yield service
    service.db.dispose()


@pytest.fixture
def scenario(dev_service: Service, metamist_python: Path) -> Iterator[Any]:  # noqa: F811
    """Runs a scenario of the client script against a live server on this test's database."""
    with live_server(dev_service) as url:

        def run(name: str) -> Any:
            env = {k: v for k, v in os.environ.items() if k not in ("CPG_CONFIG_PATH", "VIRTUAL_ENV")}
            env.update(SM_ENVIRONMENT="local", SM_URL=url)
            result = subprocess.run(
                [str(metamist_python), str(SCRIPT), name, PROJECT],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert result.returncode == 0, result.stderr[-4000:]
            return json.loads(result.stdout)

        yield run


def test_update_project_merges_the_given_meta(scenario: Any) -> None:
    """REST ``update_project`` and GraphQL ``updateProject`` take ``{"meta": {...}}`` and merge that meta."""
    out = scenario("project_meta")
    assert out["meta"] == {"is_seqr": True, "a": {"b": 1, "d": 3}}
    assert out["graphql"] == {"is_seqr": True, "a": {"b": 1, "d": 3}, "z": 1}
    assert out["seqr"] == [PROJECT]
