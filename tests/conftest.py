"""Shared fixtures: a real database per test, on SQLite and (when reachable) PostgreSQL."""

from __future__ import annotations

import gc
import os
import shutil
import socket
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from cloudpathlib.cloudpath import implementation_registry
from cloudpathlib.local import LocalGSClient, LocalS3Client, local_gs_implementation, local_s3_implementation

from genolog import config
from genolog.metadata.db import Database, normalise_url
from tests.containers.images import base_image, built_images  # noqa: F401  (session fixtures for every folder)
from tests.published import hail_venv, metamist_python  # noqa: F401  (session fixtures for every folder)
from tests.storage.moto_s3 import S3Server, moto_s3

# one chromium under one playwright for the whole session: a second sync_playwright() cannot start while
# the first one's event loop runs, so every browser test (web pages, the QC report) shares these
from tests.web.browser import browser, chromium  # noqa: F401

# rich draws no progress bars on a TERM=dumb (or unknown) terminal, so the tests that render them to a
# Console forced to be a terminal would see nothing: they run as on a capable terminal whatever started them
if os.environ.get("TERM") in {"dumb", "unknown"}:
    os.environ["TERM"] = "xterm-256color"

POSTGRES_URL = os.environ.get("GENOLOG_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRE_POSTGRES = os.environ.get("GENOLOG_REQUIRE_POSTGRES") == "1"


@pytest.fixture(autouse=True, scope="module")
def collect_garbage_after_module() -> Iterator[None]:
    """Collect a module's garbage as it ends, so that an unclosed socket or file left in a reference
    cycle fails the module that leaked it (the warnings filter makes its ResourceWarning an error), not
    the end of the session, where pytest can name no test."""
    yield
    gc.collect()


@pytest.fixture(autouse=True)
def isolated_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Every test starts with no config paths and its own data folder, and leaves none behind.

    ``set_config_paths`` writes the config-path variables straight into os.environ, so they are
    restored by hand rather than through monkeypatch."""
    saved = {var: os.environ.pop(var, None) for var in config.CONFIG_PATH_ENV_VARS}
    monkeypatch.setenv("GENOLOG_DATA_DIR", str(tmp_path / "data"))
    config._reset_for_tests()
    yield
    for var, value in saved.items():
        if value is None:
            os.environ.pop(var, None)
        else:
            os.environ[var] = value
    config._reset_for_tests()


def _postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    parts = urllib.parse.urlsplit(POSTGRES_URL)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout=3).close()
    except OSError as e:
        return f"PostgreSQL is not reachable at {parts.hostname}:{parts.port or 5432} ({e})"
    return None


def require_postgres() -> None:
    """Skip the test when PostgreSQL does not answer; fail it when CI requires PostgreSQL."""
    problem = _postgres_reachable()
    if problem:
        if REQUIRE_POSTGRES:
            pytest.fail(f"{problem}; CI requires it (GENOLOG_REQUIRE_POSTGRES=1)")
        pytest.skip(f"{problem}: skipping PostgreSQL tests (set GENOLOG_TEST_POSTGRES_URL to run them)")


@contextmanager
def scratch_postgres_database(prefix: str = "genolog_test") -> Iterator[str]:
    """A new, empty database on the test PostgreSQL server (its URL), dropped afterwards even while
    something is still connected to it."""
    admin = sa.create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield str(
            sa.make_url(normalise_url(POSTGRES_URL)).set(database=name).render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A migrated PostgreSQL database for this test session, and its seeded enum rows."""
    require_postgres()
    with scratch_postgres_database() as url:
        db = Database(url)
        db.migrate()
        with db.read() as conn:
            enums = [dict(r) for r in conn.execute(sa.text("SELECT kind, name FROM enum_value")).mappings()]
        db.dispose()
        yield url, enums


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "genolog.sqlite"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.dispose()
    return path


def _reset_postgres(url: str, enums: list[dict[str, str]]) -> None:
    db = Database(url)
    with db.write() as conn:
        tables = [
            r[0] for r in conn.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
        ]
        tables = [t for t in tables if t != "alembic_version"]
        conn.exec_driver_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        conn.execute(sa.text("INSERT INTO enum_value (kind, name) VALUES (:kind, :name)"), enums)
    db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database for one test: a copied SQLite file, or a truncated PostgreSQL database."""
    if request.param == "sqlite":
        path = tmp_path / "genolog.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url, enums = request.getfixturevalue("postgres_template")
    _reset_postgres(url, enums)
    return str(url)


@pytest.fixture
def toml_file(tmp_path: Path) -> Callable[[str, str], str]:
    """Write a TOML file under tmp_path and return its path."""

    def write(name: str, text: str) -> str:
        path = tmp_path / name
        path.write_text(text)
        return str(path)

    return write


@pytest.fixture
def fake_buckets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Route gs:// and s3:// to temporary local storage (no network, no credentials)."""
    monkeypatch.setitem(implementation_registry, "gs", local_gs_implementation)
    monkeypatch.setitem(implementation_registry, "s3", local_s3_implementation)
    yield
    LocalGSClient.reset_default_storage_dir()
    LocalS3Client.reset_default_storage_dir()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """moto's S3-compatible server on a loopback port for the test session (``tests/storage/moto_s3.py``)."""
    with moto_s3(tmp_path_factory.mktemp("moto-s3")) as server:
        yield server


@pytest.fixture
def s3(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """The usual AWS environment (endpoint, access key, region) points at moto's server for one test;
    any other AWS variable, and the developer's own ``~/.aws`` files, are out of the way."""
    for var in [v for v in os.environ if v.startswith("AWS_")]:
        monkeypatch.delenv(var)
    for var, value in s3_server.environment().items():
        monkeypatch.setenv(var, value)
    return s3_server


@pytest.fixture(scope="session")
def slurm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A real single-node Slurm cluster for the session (``tests/batch/slurm_cluster.py``); yields a
    scratch folder its jobs share. Skipped without Slurm's packages, except in CI, which installs them."""
    from tests.batch import slurm_cluster
    from tests.metadata.live import free_port
    from tests.published import unavailable

    missing = slurm_cluster.missing()
    if missing:
        unavailable(f"Slurm is not installed (missing {', '.join(missing)}): .ci/run installs it")
    root = tmp_path_factory.mktemp("slurm")
    saved = os.environ.get("SLURM_CONF")
    with slurm_cluster.cluster(root / "cluster", free_port(), free_port()) as env:
        os.environ["SLURM_CONF"] = env["SLURM_CONF"]
        try:
            yield root
        finally:
            if saved is None:
                os.environ.pop("SLURM_CONF", None)
            else:
                os.environ["SLURM_CONF"] = saved
