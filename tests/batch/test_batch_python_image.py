"""`build_python_image` (hailtop.batch.docker's) builds with podman on genolog's Debian base, and a job
runs in the image it built."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import genolog.batch as hb
from genolog.batch.docker import build_python_image
from genolog.containers import find_engine
from tests.containers.images import BuiltImages

pytestmark = pytest.mark.slow


@pytest.fixture
def image_env(built_images: BuiltImages, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The session's images (the base) and podman settings; yields a fresh image name, removed after."""
    monkeypatch.setenv("GENOLOG_DATA_DIR", str(built_images.data_dir))
    monkeypatch.delenv("CONTAINERS_CONF", raising=False)
    name = f"localhost/genolog-test/python-{uuid.uuid4().hex[:8]}:1"
    yield name
    find_engine("podman").run("image", "rm", "--force", name)


def test_a_job_runs_in_the_image_it_built(image_env: str, tmp_path: Path) -> None:
    assert build_python_image(image_env, requirements=["six"]) == image_env
    engine = find_engine("podman")
    assert engine.image_id(image_env) is not None
    backend = hb.LocalBackend(tmp_dir=str(tmp_path / "scratch"), container_runtime="podman")
    b = hb.Batch(name="in-image", backend=backend)
    j = b.new_job("python").image(image_env)
    j.command(
        f"python3 -c 'import sys, six, dill, cloudpickle; print(sys.executable, six.__name__)' > {j.ofile}"
    )
    b.write_output(j.ofile, str(tmp_path / "out.txt"))
    result = b.run(disable_progress_bar=True)
    assert result is not None and result.jobs[0].ran_in_container
    # the image's venv, with the requirement and what Python jobs need
    assert (tmp_path / "out.txt").read_text() == "/opt/python/bin/python3 six\n"
    # the host has no such venv: the job really ran in the image
    assert not Path("/opt/python/bin/python3").exists()


def test_a_python_version_the_base_lacks_is_refused(image_env: str) -> None:
    engine = find_engine("podman")
    answer = engine.run(
        "run",
        "--rm",
        "localhost/genolog/base:latest",
        "python3",
        "-c",
        "import sys; print(sys.version_info[1])",
    )
    other = f"3.{int(answer.stdout) + 1}"
    with pytest.raises(hb.BatchException, match=rf"has Python 3\.\d+, not {other}"):
        build_python_image(image_env, python_version=other)
    assert engine.image_id(image_env) is None


def test_a_bad_requirement_is_a_clear_error(image_env: str) -> None:
    with pytest.raises(hb.BatchException, match="build_python_image: pip download failed"):
        build_python_image(image_env, requirements=["six==not a version"])  # refused before any download
    assert find_engine("podman").image_id(image_env) is None
