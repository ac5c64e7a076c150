"""Calls through the published metamist client, as named users with their own tokens, against a live genolog
server (``scripts/metamist_client_calls.py`` runs them in the client's own venv)."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from genolog.metadata import tables
from genolog.metadata.db import Database
from genolog.metadata.service import Service
from genolog.metadata.settings import ServerSettings
from tests.metadata.live import live_server
from tests.metadata.support import Api, dump

SCRIPT = Path(__file__).parent / "scripts" / "metamist_client_calls.py"


@dataclass
class Served:
    """A live server (``url``) on a fresh database, and an in-process client of it for seeding (``api``)."""

    api: Api
    url: str
    python: Path

    def calls(self, *plan: dict[str, Any]) -> list[dict[str, Any]]:
        """Make the calls through the published client (see the script's docstring for a call's form)."""
        users = {call["as"] for call in plan}
        tokens = {u: self.api.user(u)["Authorization"].removeprefix("Bearer ") for u in users}
        env = {k: v for k, v in os.environ.items() if k not in ("CPG_CONFIG_PATH", "VIRTUAL_ENV")}
        env.update(SM_ENVIRONMENT="genolog", SM_URL=self.url, GENOLOG_TOKENS=json.dumps(tokens))
        result = subprocess.run(
            [str(self.python), str(SCRIPT)],
            input=json.dumps(list(plan)),
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-4000:]
        answers: list[dict[str, Any]] = json.loads(result.stdout)
        return answers

    def call(self, user: str, api: str, method: str, **kwargs: Any) -> dict[str, Any]:
        return self.calls(op(user, api, method, **kwargs))[0]

    def rows(self) -> dict[str, list[dict[str, Any]]]:
        """Every row of every table but the audit log and tokens (to show a refused write changed nothing)."""
        with self.api.svc.db.read() as conn:
            return {name: rows for name, rows in dump(conn).items() if name not in ("audit_log", "api_token")}

    def set_created(self, sample_ids: dict[str, str]) -> None:
        """Backdate samples' creation, ``{sample id: ISO time with its offset}``: tests need known days."""
        codec = self.api.svc.codecs.sample
        with self.api.svc.db.write() as conn:
            for text_id, moment in sample_ids.items():
                conn.execute(
                    tables.sample.update()
                    .where(tables.sample.c.id == codec.parse(text_id))
                    .values(created_at=datetime.fromisoformat(moment).astimezone(UTC))
                )


def op(user: str, api: str, method: str, raw: bool = False, **kwargs: Any) -> dict[str, Any]:
    """One call of a plan."""
    return {"as": user, "api": api, "method": method, "kwargs": kwargs, "raw": raw}


def model(name: str, value: Any = None, **args: Any) -> dict[str, Any]:
    """A client model in a call's arguments: an enum's ``value``, or a model's fields."""
    return {"$model": name, "value": value} if value is not None else {"$model": name, "args": args}


def upload(name: str, text: str) -> dict[str, Any]:
    return {"$file": {"name": name, "text": text}}


def body_of(answer: dict[str, Any]) -> bytes:
    """The undecoded body of a ``raw`` call."""
    assert answer["status"] == 200, answer
    return base64.b64decode(answer["data"])


def parquet(answer: dict[str, Any]) -> Any:
    """The Parquet table a ``raw`` export call answered."""
    assert answer["headers"]["content-type"] == "application/vnd.apache.parquet", answer["headers"]
    return pq.read_table(io.BytesIO(body_of(answer)))


def refused(answer: dict[str, Any], status: int, *fragments: str) -> None:
    """A refusal with this status, whose description names the problem."""
    assert answer["status"] == status, answer
    description = answer["body"]["description"]
    for fragment in fragments:
        assert fragment in description, description


@pytest.fixture
def served(db_url: str, metamist_python: Path) -> Iterator[Served]:
    svc = Service.create(ServerSettings(db=db_url), Database(db_url))
    with live_server(svc) as url:
        yield Served(Api(svc), url, metamist_python)
    svc.db.dispose()
