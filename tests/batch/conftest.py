from __future__ import annotations

import os
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


@pytest.fixture(scope="session")
def slurm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A real single-node Slurm cluster for the session (``tests/batch/slurm_cluster.py``); yields a
    scratch folder its jobs share. Skipped without Slurm's packages, except in CI, which installs them."""
    from tests.batch import slurm_cluster
    from tests.metadata.live import free_port
    from tests.published import IN_CI

    missing = slurm_cluster.missing()
    if missing:
        message = f"Slurm is not installed (missing {', '.join(missing)}): .ci/run installs it"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
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
