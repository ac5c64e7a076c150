"""Fixtures for the metadata service: a service on a fresh database and an API client with users."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from genolog.metadata.db import Database
from genolog.metadata.service import Service
from genolog.metadata.settings import ServerSettings
from tests.metadata.client_calls import served  # noqa: F401  (a fixture)
from tests.metadata.support import Api, Seeded, dump, migrate, restore, sample_with_group


@pytest.fixture
def svc(db_url: str) -> Iterator[Service]:
    service = Service.create(ServerSettings(db=db_url), Database(db_url))
    yield service
    service.close()


@pytest.fixture
def back_at_head(svc: Service) -> Iterator[None]:
    """After a migration test, whatever it did: its database stepped back up to the newest revision, so a
    failure midway does not leave the other tests' database at an older one."""
    yield
    migrate(svc, "head")


@pytest.fixture
def dev_service(db_url: str) -> Iterator[Service]:
    """A service whose callers are the development user ``dev`` (as `genolog serve --dev-user dev`)."""
    service = Service.create(ServerSettings(db=db_url, dev_user="dev"), Database(db_url))
    yield service
    service.close()


@pytest.fixture
def api(svc: Service) -> Api:
    return Api(svc)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """Two projects with a participant, a trio pedigree, samples with sequencing groups, and an analysis."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("bad-input") / "genolog.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url, enums = request.getfixturevalue("postgres_template")
        db = Database(url)
        restore(db, {"enum_value": enums})  # other modules' tests leave their data behind
        db.dispose()
    svc = Service.create(ServerSettings(db=url), Database(url))
    api = Api(svc)
    with TestClient(api.client.app, raise_server_exceptions=False) as client:
        api.client = client
        api.project("proj")
        api.project("other")
        trio = "FAM1\tDAD\t0\t0\t1\t1\nFAM1\tMUM\t0\t0\t2\t1\nFAM1\tKID\tDAD\tMUM\t1\t2\n"
        api.ok(
            "POST",
            "/family/proj/pedigree",
            params={"create_missing_participants": True},
            files={"file": ("trio.ped", trio)},
        )
        participant = api.ok(
            "PUT",
            "/participant/proj/upsert-many",
            json=[{"external_ids": {"": "P1"}, "samples": [sample_with_group("S1")]}],
        )[0]
        other = api.ok("PUT", "/sample/other/upsert-many", json=[sample_with_group("O1")])[0]
        sample = participant["samples"][0]
        sg = sample["sequencing_groups"][0]["id"]
        analysis = api.ok(
            "PUT",
            "/analysis/proj/",
            json={"type": "cram", "status": "completed", "sequencing_group_ids": [sg]},
        )
        ids = {
            "participant": str(participant["id"]),
            "sample": sample["id"],
            "sg": sg,
            "assay": str(sample["sequencing_groups"][0]["assays"][0]["id"]),
            "analysis": str(analysis),
            "other_sg": other["sequencing_groups"][0]["id"],
        }
        with svc.db.read() as conn:
            seeded = Seeded(api, ids, dump(conn))
        yield seeded
    svc.db.dispose()


@pytest.fixture
def world(seeded: Seeded) -> Iterator[Seeded]:
    """The seeded data; after the test, every table must be exactly as it was."""
    yield seeded
    with seeded.api.svc.db.read() as conn:
        after = dump(conn)
    if after != seeded.snapshot:
        restore(seeded.api.svc.db, seeded.snapshot)
        changed = [name for name, rows in after.items() if rows != seeded.snapshot[name]]
        pytest.fail(f"a rejected request changed the database: tables {changed}")
