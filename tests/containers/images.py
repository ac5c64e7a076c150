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

from genolog.containers import find_engine, image_tag
from genolog.containers.build import BASE_NAME, remove_replaced
from tests.published import unavailable


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
        unavailable(f"building images needs {', '.join(missing)} (Debian packages; .ci/run installs them)")
    data_dir = tmp_path_factory.mktemp("images-data")
    env = {**os.environ, "GENOLOG_DATA_DIR": str(data_dir)}
    env.pop("GENOLOG_CONTAINER_RUNTIME", None)
    env.pop("CONTAINERS_CONF", None)
    engine = find_engine(data_dir=data_dir)
    replaced = [engine.image_id(f"{BASE_NAME}:latest"), engine.image_id(image_tag("fastqe"))]
    base = genolog("images", "base", env=env)
    assert base.returncode == 0, base.stdout + base.stderr
    built = genolog("images", "build", "fastqe", env=env)
    assert built.returncode == 0, built.stdout + built.stderr
    listing = genolog("images", "list", "--json", env=env)
    assert listing.returncode == 0, listing.stderr
    rows = json.loads(listing.stdout)
    old_base, old_fastqe = replaced
    # `genolog images build` removed the FastQE image it replaced ...
    assert old_fastqe is None or engine.image_id(old_fastqe) is None, (
        "the replaced FastQE image is still there"
    )
    # ... so the last run's base, which that image was built on, can go too (CI machines stay lean)
    remove_replaced(engine, old_base, engine.image_id(f"{BASE_NAME}:latest"))
    fastqe = next(row for row in rows if row["name"] == "fastqe")
    yield BuiltImages(data_dir, env, str(fastqe["image"]), rows)
