"""The ``built_images`` fixture (registered in tests/conftest.py, for every test folder): genolog's images,
really built once for the session: the debootstrapped base and the FastQE image,
with podman configured by genolog (its containers.conf), recorded in a data dir of the session's own."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.published import IN_CI


@dataclass
class BuiltImages:
    data_dir: Path
    env: dict[str, str]  # GENOLOG_DATA_DIR set: genolog's containers.conf and images.toml live there
    fastqe: str  # the FastQE image's tag
    listing: list[dict[str, str | None]]  # `genolog images list --json`


def genolog(*args: str, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "genolog.cli", *args], env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="session")
def built_images(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltImages]:
    missing = [tool for tool in ("podman", "runc", "debootstrap") if shutil.which(tool) is None]
    if missing:
        message = f"building images needs {', '.join(missing)} (Debian packages; .ci/run installs them)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    data_dir = tmp_path_factory.mktemp("images-data")
    env = {**os.environ, "GENOLOG_DATA_DIR": str(data_dir)}
    env.pop("GENOLOG_CONTAINER_RUNTIME", None)
    env.pop("CONTAINERS_CONF", None)
    base = genolog("images", "base", env=env)
    assert base.returncode == 0, base.stdout + base.stderr
    built = genolog("images", "build", "fastqe", env=env)
    assert built.returncode == 0, built.stdout + built.stderr
    listing = genolog("images", "list", "--json", env=env)
    assert listing.returncode == 0, listing.stderr
    rows = json.loads(listing.stdout)
    fastqe = next(row for row in rows if row["name"] == "fastqe")
    yield BuiltImages(data_dir, env, str(fastqe["image"]), rows)
