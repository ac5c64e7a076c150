"""`build_python_image`, as `hailtop.batch.docker`'s: a Python image for jobs, built on genolog's Debian base.

hailtop builds on its ``python-dill`` image and pushes to a registry; genolog builds with its engine
(podman, else docker) on the debootstrapped base (`genolog images base`) with no network during the
build (the requirements are downloaded as wheels first), and keeps the image in the engine's local
storage, where the local and Slurm backends' container runtime finds it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from genolog.batch._resource import BatchException
from genolog.containers import ContainerError, find_engine
from genolog.containers.build import BASE_NAME, base_python_version, build_context, download_wheels

_DOCKERFILE = """\
# written by genolog's build_python_image
ARG BASE={base}
FROM ${{BASE}}
COPY wheels/ /tmp/wheels/
RUN python3 -m venv /opt/python \\
 && /opt/python/bin/pip install --no-index --no-cache-dir --find-links /tmp/wheels -r /tmp/wheels/requirements.txt \\
 && rm -rf /tmp/wheels
ENV PATH=/opt/python/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LABEL org.genolog.image=python
"""
# What hailtop's image has for its Python jobs and BatchPoolExecutor: dill, and cloudpickle for genolog's.
_ALWAYS = ("dill", "cloudpickle")


def build_python_image(
    fullname: str,
    requirements: list[str] | None = None,
    python_version: str | None = None,
    slim: bool = True,
    _tmp_dir: str = "/tmp",
    *,
    show_docker_output: bool = False,
    base_image: str | None = None,
    engine: str | None = None,
) -> str:
    """Build an image named `fullname` with Python and the pip `requirements`; returns `fullname`.

    `python_version` (``3.11``), when given, must be the base image's Python: a Debian base has
    one. `slim` is hailtop's choice of its base's flavour; genolog's base is always minimal.
    `base_image` (genolog's) defaults to ``localhost/genolog/base:latest``; `engine` to
    ``$GENOLOG_CONTAINER_RUNTIME``, else podman, else docker. `show_docker_output` prints the build.
    """
    if not fullname or any(c.isspace() for c in fullname):
        raise BatchException(f"build_python_image: {fullname!r} is not an image name")
    base = base_image or f"{BASE_NAME}:latest"
    try:
        builder = find_engine(engine)
        if builder.image_id(base) is None:
            raise BatchException(
                f"build_python_image: the base image {base} is missing: build it with `genolog images base`"
            )
        python = base_python_version(builder, base)
        if python_version is not None and python_version.strip() != python:
            raise BatchException(
                f"build_python_image: the base image {base} has Python {python}, not {python_version}; "
                "leave python_version out, or give a base_image with that Python"
            )

        def progress(line: str) -> None:
            if show_docker_output:
                print(line, flush=True)

        with tempfile.TemporaryDirectory(prefix="genolog-python-image-", dir=_tmp_dir) as tmp:
            context = Path(tmp)
            (context / "Dockerfile").write_text(_DOCKERFILE.format(base=base))
            wheels = context / "wheels"
            wheels.mkdir()
            wanted = [*_ALWAYS, *(r.strip() for r in requirements or [] if r.strip())]
            (wheels / "requirements.txt").write_text("\n".join(wanted) + "\n")
            download_wheels(wheels, python, progress)
            build_context(builder, context, base, fullname, progress)
    except ContainerError as e:
        raise BatchException(f"build_python_image: {e}") from None
    return fullname
