from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from genolog.batch import LocalBackend


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
