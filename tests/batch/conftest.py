from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from genolog.batch import LocalBackend
from tests.published import ROOT, published_venv


@pytest.fixture(autouse=True)
def no_batch_singleton(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from genolog.batch import helpers

    monkeypatch.delenv("GENOLOG_CONTAINER_RUNTIME", raising=False)
    monkeypatch.delenv("HAIL_BATCH_BACKEND", raising=False)
    helpers.reset_batch()
    yield
    helpers.reset_batch()


@pytest.fixture
def backend(tmp_path: Path) -> LocalBackend:
    """A local backend with a 4-cpu budget (so parallelism tests do not depend on the machine)."""
    return LocalBackend(tmp_dir=str(tmp_path / "scratch"), cpus=4)


@pytest.fixture(scope="session")
def hail_venv() -> Path:
    """A venv with ``genolog[hail]`` (hail pins rich<13, which genolog's dev tools outgrew), built once."""
    # keyed on pyproject.toml, so a change to genolog's dependencies or the extra rebuilds it
    key = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:10]
    return published_venv(f"hail-{key}", "-e", f"{ROOT}[hail]")
