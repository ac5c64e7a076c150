"""Running a job's command inside its image with podman or docker, when one is configured.

Podman runs with genolog's ``containers.conf`` (`genolog.containers.containers_conf`).
"""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Iterable

from genolog.config import config_retrieve
from genolog.containers import engine_for

RUNTIME_ENV_VAR = "GENOLOG_CONTAINER_RUNTIME"


def configured_runtime(explicit: str | None) -> tuple[str | None, str]:
    """The container runtime executable to use, or None with the reason.

    Chosen by, in order: the `container_runtime` argument of `LocalBackend`, ``$GENOLOG_CONTAINER_RUNTIME``,
    and ``[local_backend] container_runtime`` in the config. ``none`` (or nothing) means run on the host.
    """
    choice = (
        explicit
        or os.environ.get(RUNTIME_ENV_VAR)
        or config_retrieve(["local_backend", "container_runtime"], default=None)
    )
    if not choice or str(choice).lower() == "none":
        return None, f"no container runtime configured (set {RUNTIME_ENV_VAR}=podman or docker)"
    path = shutil.which(str(choice))
    if path is None:
        return None, f"container runtime {choice!r} is configured but not found on PATH"
    return path, ""


def container_command(
    runtime: str,
    *,
    image: str,
    shell: str,
    script: str,
    scratch: str,
    workdir: str,
    read_only_mounts: Iterable[str],
    cpu: str | None,
    memory_bytes: int,
    name: str,
    extra_flags: str,
    network: str = "none",
) -> list[str]:
    """The argv of ``<runtime> run`` for one job: scratch mounted at the same path, inputs read-only,
    no network unless asked for (``[local_backend] container_network``), cpu and memory limits."""
    argv = ["run", "--rm", "--name", name, "--entrypoint=", f"--network={network}", *shlex.split(extra_flags)]
    argv += ["-v", f"{scratch}:{scratch}"]
    for mount in sorted(set(read_only_mounts)):
        if not (mount + "/").startswith(scratch + "/"):
            argv += ["-v", f"{mount}:{mount}:ro"]
    argv += ["-w", workdir]
    if cpu:
        argv.append(f"--cpus={cpu}")
    if memory_bytes:
        argv += ["-m", str(memory_bytes)]
    argv += [image, shell, "-c", script]
    return engine_for(runtime).argv(*argv)


def missing_images(runtime: str, images: Iterable[str]) -> list[str]:
    """The images the runtime does not have locally (nothing is pulled: no registry is assumed)."""
    engine = engine_for(runtime)
    return [image for image in sorted(set(images)) if engine.image_id(image) is None]
