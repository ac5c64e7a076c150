"""Test helpers for the metadata service: an API client acting as users, and request-body builders."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import httpx
import sqlalchemy as sa
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy.engine import Connection

from genolog.metadata import tables
from genolog.metadata.app import create_app
from genolog.metadata.db import Database, alembic_config
from genolog.metadata.service import Service
from genolog.metadata.store import identity


class Api:
    """A test client that acts as named users, each with a real API token."""

    def __init__(self, svc: Service) -> None:
        self.svc = svc
        self.client = TestClient(create_app(svc), raise_server_exceptions=False)
        self._tokens: dict[str, str] = {}

    def user(self, name: str, *site_roles: str) -> dict[str, str]:
        """Authorization headers for ``name``, creating the user's token (and site roles) on first use."""
        if name not in self._tokens:
            with self.svc.db.write() as conn:
                _, self._tokens[name] = identity.create_token(conn, name, "test")
                for role in site_roles:
                    identity.grant_site_role(conn, name, role)
        return {"Authorization": f"Bearer {self._tokens[name]}"}

    def call(
        self, method: str, path: str, user: str | None = "admin", base: str = "/api/v1", **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if user is not None:
            headers.update(self.user(user, "admin") if user == "admin" else self.user(user))
        return self.client.request(method, f"{base}{path}", headers=headers, **kwargs)

    def ok(self, method: str, path: str, user: str | None = "admin", **kwargs: Any) -> Any:
        response = self.call(method, path, user, **kwargs)
        assert response.status_code == 200, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    def project(self, name: str = "proj", members: dict[str, list[str]] | None = None) -> str:
        """Create a project (and its -test twin) with the given members; admin is a writer of both."""
        self.ok("PUT", "/project/", params={"name": name, "dataset": name, "create_test_project": True})
        roster = [{"member": "admin", "roles": ["reader", "writer"]}]
        roster += [{"member": m, "roles": r} for m, r in (members or {}).items()]
        for project in (name, f"{name}-test"):
            self.ok("PATCH", f"/project/{project}/members", json=roster)
        return name


def assert_rejected(response: httpx.Response, status: int, *fragments: str) -> dict[str, Any]:
    """A JSON ``{name, description}`` error with this status, whose description names the problem."""
    assert response.status_code < 500, f"{response.status_code} {response.text}"
    assert response.status_code == status, f"{response.status_code} {response.text}"
    body = response.json()
    assert set(body) == {"name", "description"}, body
    for fragment in fragments:
        assert fragment in body["description"], f"{fragment!r} not in {body['description']!r}"
    return body


def is_naive_utc(text: str) -> bool:
    """A time as Metamist answers one: ISO 8601 without a zone (UTC) and to the second."""
    moment = datetime.datetime.fromisoformat(text)
    return moment.tzinfo is None and moment.microsecond == 0 and moment.isoformat() == text


def sequencing_assay(*reads: str, **meta: Any) -> dict[str, Any]:
    """An assay upsert body for sequencing reads, with the required sequencing meta."""
    return {
        "type": "sequencing",
        "meta": {
            "reads_type": "fastq",
            "reads": [{"location": r, "basename": r.rsplit("/", 1)[-1], "class": "File"} for r in reads],
            "sequencing_type": "genome",
            "sequencing_technology": "short-read",
            "sequencing_platform": "illumina",
            **meta,
        },
    }


def sample_with_group(external_id: str, *reads: str) -> dict[str, Any]:
    return {
        "external_ids": {"": external_id},
        "type": "blood",
        "sequencing_groups": [
            {
                "type": "genome",
                "technology": "short-read",
                "platform": "illumina",
                "assays": [
                    sequencing_assay(
                        *(reads or (f"gs://b/{external_id}_1.fq.gz", f"gs://b/{external_id}_2.fq.gz"))
                    )
                ],
            }
        ],
    }


# --- whole-database snapshots: proving a refused request wrote nothing, and putting seeded data back ---

Dump = dict[str, list[dict[str, Any]]]


def dump(conn: Connection) -> Dump:
    """Every row of every table the database has, with the columns it has (at an older revision, not all
    of ``tables``), in primary-key order."""
    inspector = sa.inspect(conn)
    present = set(inspector.get_table_names())
    found: Dump = {}
    for table in tables.metadata.sorted_tables:
        if table.name in present:
            names = {c["name"] for c in inspector.get_columns(table.name)}
            statement = sa.select(*(c for c in table.columns if c.name in names)).order_by(*table.primary_key)
            found[table.name] = [dict(r) for r in conn.execute(statement).mappings()]
    return found


def restore(db: Database, snapshot: Dump) -> None:
    """Put every table back as in ``snapshot`` (and, on PostgreSQL, the id sequences with them)."""
    with db.write() as conn:
        for table in reversed(tables.metadata.sorted_tables):
            conn.execute(table.delete())
        for table in tables.metadata.sorted_tables:
            if snapshot.get(table.name):
                conn.execute(table.insert(), snapshot[table.name])
        if conn.dialect.name == "postgresql":
            for table in tables.metadata.sorted_tables:
                if list(table.primary_key.columns.keys()) == ["id"]:
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                    )


def migrate(svc: Service, revision: str, *, down: bool = False) -> None:
    """Step the service's database up (or `down`) to an Alembic revision."""
    config = alembic_config()
    with svc.db.engine.begin() as conn:
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, revision)


@dataclass
class Seeded:
    """A module's seeded database (``seeded`` in conftest.py): its client, ids and every row."""

    api: Api
    ids: dict[str, str]
    snapshot: Dump = field(default_factory=dict)
