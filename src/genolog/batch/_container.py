"""Running a job's command inside its image with podman or docker, when one is configured.

Podman runs with genolog's ``containers.conf`` (`genolog.containers.containers_conf`).
"""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Iterable, Sequence

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
    return run_command(
        runtime,
        image=image,
        command=[shell, "-c", script],
        name=name,
        workdir=workdir,
        writable_mounts=[scratch],
        read_only_mounts=read_only_mounts,
        cpu=cpu,
        memory_bytes=memory_bytes,
        network=network,
        extra_flags=shlex.split(extra_flags),
    )


def run_command(
    runtime: str,
    *,
    image: str,
    command: Sequence[str],
    name: str,
    workdir: str,
    writable_mounts: Iterable[str] = (),
    read_only_mounts: Iterable[str] = (),
    cpu: str | None = None,
    memory_bytes: int = 0,
    network: str = "none",
    env_names: Iterable[str] = (),
    extra_flags: Sequence[str] = (),
) -> list[str]:
    """The argv of ``<runtime> run --rm`` of ``command`` in ``image``: every mount at its host path
    (read-only ones inside a writable one are left to it), the named variables passed by name (their values
    come from the runtime's own environment, so they never appear on a command line), cpu and memory
    limits, and the image's entrypoint cleared."""
    argv = ["run", "--rm", "--name", name, "--entrypoint=", f"--network={network}", *extra_flags]
    writable = sorted(set(writable_mounts))
    for mount in writable:
        argv += ["-v", f"{mount}:{mount}"]
    for mount in sorted(set(read_only_mounts)):
        if not any((mount + "/").startswith(w + "/") for w in writable):
            argv += ["-v", f"{mount}:{mount}:ro"]
    for env_name in env_names:
        argv += ["-e", env_name]
    argv += ["-w", workdir]
    if cpu:
        argv.append(f"--cpus={cpu}")
    if memory_bytes:
        argv += ["-m", str(memory_bytes)]
    argv += [image, *command]
    return engine_for(runtime).argv(*argv)


def missing_images(runtime: str, images: Iterable[str]) -> list[str]:
    """The images the runtime does not have locally (nothing is pulled: no registry is assumed)."""
    engine = engine_for(runtime)
    return [image for image in sorted(set(images)) if engine.image_id(image) is None]
