"""The ``base_image`` and ``built_images`` fixtures (registered in tests/conftest.py, for every test folder):
genolog's images, really built once for the session: the debootstrapped base and the FastQE image on it,
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

from genolog.containers import Engine, find_engine, image_tag
from genolog.containers.build import BASE_NAME, remove_replaced
from tests.published import unavailable


@dataclass
class BaseImage:
    data_dir: Path
    env: dict[str, str]  # GENOLOG_DATA_DIR set: genolog's containers.conf and images.toml live there
    engine: Engine
    replaced: str | None  # the base image this session's replaced (removed once its images are rebuilt)


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
def base_image(tmp_path_factory: pytest.TempPathFactory) -> BaseImage:
    """`genolog images base`, once for the session."""
    missing = [tool for tool in ("podman", "runc", "debootstrap") if shutil.which(tool) is None]
    if missing:
        unavailable(f"building images needs {', '.join(missing)} (Debian packages; .ci/run installs them)")
    data_dir = tmp_path_factory.mktemp("images-data")
    env = {**os.environ, "GENOLOG_DATA_DIR": str(data_dir)}
    env.pop("GENOLOG_CONTAINER_RUNTIME", None)
    env.pop("CONTAINERS_CONF", None)
    engine = find_engine(data_dir=data_dir)
    replaced = engine.image_id(f"{BASE_NAME}:latest")
    base = genolog("images", "base", env=env)
    assert base.returncode == 0, base.stdout + base.stderr
    return BaseImage(data_dir, env, engine, replaced)


def build_on_base(base_image: BaseImage, name: str) -> str:
    """`genolog images build NAME` on the session's base; returns the image's tag. The image it replaced
    is gone, and so then is the last run's base, once no image built on it is left (CI machines stay lean)."""
    replaced = base_image.engine.image_id(image_tag(name))
    built = genolog("images", "build", name, env=base_image.env)
    assert built.returncode == 0, built.stdout + built.stderr
    assert replaced is None or base_image.engine.image_id(replaced) is None, (
        f"the replaced {name} image is still there"
    )
    remove_replaced(base_image.engine, base_image.replaced, base_image.engine.image_id(f"{BASE_NAME}:latest"))
    return image_tag(name)


@pytest.fixture(scope="session")
def built_images(base_image: BaseImage) -> Iterator[BuiltImages]:
    build_on_base(base_image, "fastqe")
    listing = genolog("images", "list", "--json", env=base_image.env)
    assert listing.returncode == 0, listing.stderr
    rows = json.loads(listing.stdout)
    fastqe = next(row for row in rows if row["name"] == "fastqe")
    yield BuiltImages(base_image.data_dir, base_image.env, str(fastqe["image"]), rows)
