"""Where the driver runs: in its ``--image`` through the configured container runtime, else on the host.

The runtime is the batch's (`genolog.batch._container.configured_runtime`: ``$GENOLOG_CONTAINER_RUNTIME``,
else ``[local_backend] container_runtime``); podman runs with genolog's ``containers.conf``. In a container
the driver sees, each at its host path: its checkout (read-write: a script may write beside itself), the
dataset's local storage folders of the run's config (read-write: its outputs go there) and the run's config
file (read-only). It gets only the runner's variables and the user's ``-e`` ones, passed by name so that
the token is never on a command line, and the host's network, so that it reaches a metadata server on
127.0.0.1 as the caller does. ``--cpu`` and ``--memory`` become the container's limits.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genolog.batch._container import configured_runtime, missing_images, run_command
from genolog.batch._resource import BatchException
from genolog.batch._units import job_memory_bytes, parse_cpu, parse_memory
from genolog.config import CONFIG_PATH_ENV_VARS
from genolog.containers import engine_for
from genolog.paths import is_cloud_path
from genolog.runner.errors import RunnerError
from genolog.runner.spec import RunSpec

#: The runner's variables a containerised driver receives (with the user's ``-e`` ones).
RUNNER_ENV = (*CONFIG_PATH_ENV_VARS, "GENOLOG_URL", "GENOLOG_TOKEN", "GENOLOG_AR_GUID", "PYTHONUNBUFFERED")


@dataclass(frozen=True)
class Limits:
    """The driver's resources: cores (None: no limit), memory and storage in bytes (0: no limit)."""

    cpu: float | None
    memory_bytes: int
    storage_bytes: int


@dataclass(frozen=True)
class Placement:
    """How the driver is started: ``argv`` in ``workdir``, in a container when ``runtime`` is set."""

    argv: list[str]
    workdir: Path
    runtime: str | None  # the runtime's executable, when the driver runs in a container
    image: str | None  # the image it runs in (None: on the host)
    limits: Limits
    notice: str | None = None  # a line for the caller: why the image, or the disk limit, is not used
    storage_enforced: bool = False  # the container's disk is limited to ``limits.storage_bytes``

    @property
    def in_container(self) -> bool:
        return self.runtime is not None

    def meta(self) -> dict[str, Any]:
        """What the run's record keeps of it."""
        meta: dict[str, Any] = {"in_container": self.in_container}
        if self.runtime:
            meta["container_runtime"] = os.path.basename(self.runtime)
            if self.limits.storage_bytes:
                meta["storage_enforced"] = self.storage_enforced
        return meta


def limits_of(spec: RunSpec) -> Limits:
    """``--cpu``, ``--memory`` and ``--storage`` in Hail's syntax (``2``, ``250m``; ``4Gi``, ``standard``,
    ``highmem``; ``10Gi``), checked; a memory class scales with the cores (one core when not given)."""
    try:
        cpu = parse_cpu(spec.cpu) if spec.cpu else None
        memory = job_memory_bytes(spec.memory, cpu or 1.0)
        storage = parse_memory(spec.storage) if spec.storage else 0
    except BatchException as e:
        raise RunnerError(f"The driver's resources are not valid: {e}.") from None
    return Limits(cpu, memory, storage)


def container_name(ar_guid: str) -> str:
    return f"genolog-driver-{ar_guid}"


def _local_paths(section: Any) -> Iterator[str]:
    if isinstance(section, Mapping):
        for value in section.values():
            yield from _local_paths(value)
    elif isinstance(section, str) and os.path.isabs(section) and not is_cloud_path(section):
        yield section


def storage_folders(config: Mapping[str, Any], dataset: str) -> list[str]:
    """The dataset's local storage folders in the run's config (``[storage.<dataset>]``, its ``.test``
    table included; cloud buckets and web URLs are not folders)."""
    storage = config.get("storage") or {}
    return sorted(set(_local_paths(storage.get(dataset) or storage.get("default") or {})))


def checkout_root(workdir: Path) -> Path:
    """The top of the git checkout the driver runs in (scripts may reach above their folder)."""
    for folder in (workdir, *workdir.parents):
        if (folder / ".git").exists():
            return folder
    return workdir


def disk_limit_flags(runtime: str, storage_bytes: int) -> tuple[list[str], str | None]:
    """``--storage-opt size=N`` when the engine can enforce it (overlay storage on XFS), else no flag and a
    notice: elsewhere podman and docker refuse to start a container with the option."""
    engine = engine_for(runtime)
    if engine.kind == "podman":
        answer = engine.run("info", "--format", '{{index .Store.GraphStatus "Backing Filesystem"}}')
    else:
        answer = engine.run("info", "--format", "{{range .DriverStatus}}{{index . 1}} {{end}}")
    if answer.returncode == 0 and "xfs" in answer.stdout.lower():
        return ["--storage-opt", f"size={storage_bytes}"], None
    backing = answer.stdout.strip() or "unknown"
    return [], (
        f"analysis-runner: --storage is recorded but not enforced: {engine.kind}'s storage here "
        f"({backing}) cannot limit a container's disk (it needs overlay on XFS)."
    )


def place(
    spec: RunSpec,
    ar_guid: str,
    command: list[str],
    workdir: Path,
    config: Mapping[str, Any],
    config_path: str,
    runtime_choice: str | None = None,
) -> Placement:
    """The driver's placement: in ``spec.image`` when an image was given and a runtime is configured,
    else on the host (with a notice when an image was given). Raises `RunnerError` when the runtime
    lacks the image (nothing is pulled) or a resource is not valid."""
    limits = limits_of(spec)
    if spec.image is None:
        return Placement(command, workdir, None, None, limits)
    runtime, reason = configured_runtime(runtime_choice)
    if runtime is None:
        host = f"analysis-runner: {reason}; the driver runs on this host, not in {spec.image}."
        return Placement(command, workdir, None, None, limits, host)
    if missing_images(runtime, [spec.image]):
        raise RunnerError(
            f"{os.path.basename(runtime)} has no image {spec.image}: build it (`genolog images build NAME` "
            "for genolog's) or pull it first."
        )
    disk_flags, notice = (
        disk_limit_flags(runtime, limits.storage_bytes) if limits.storage_bytes else ([], None)
    )
    folders = storage_folders(config, spec.dataset)
    for folder in folders:
        Path(folder).mkdir(parents=True, exist_ok=True)  # a missing folder cannot be mounted
    read_only = [] if is_cloud_path(config_path) else [config_path]
    argv = run_command(
        runtime,
        image=spec.image,
        command=command,
        name=container_name(ar_guid),
        workdir=str(workdir),
        writable_mounts=[str(checkout_root(workdir)), *folders],
        read_only_mounts=read_only,
        cpu=f"{limits.cpu:g}" if limits.cpu else None,
        memory_bytes=limits.memory_bytes,
        network="host",
        env_names=[*RUNNER_ENV, *spec.env],
        # no swap beyond the memory limit: the driver is stopped at --memory, as on Hail Batch
        extra_flags=[*disk_flags, *([f"--memory-swap={limits.memory_bytes}"] if limits.memory_bytes else [])],
    )
    return Placement(argv, workdir, runtime, spec.image, limits, notice, storage_enforced=bool(disk_flags))
