"""The container engine genolog builds and runs images with: podman, or docker when its daemon answers.

Podman needs two settings on machines like these (REFERENCE 7.2): the ``runc`` runtime (crun fails
under hybrid cgroups) and default ulimits no higher than the hard limits (it otherwise asks for more,
which needs CAP_SYS_RESOURCE). genolog writes them to its own ``containers.conf`` in the data dir and
passes it (``CONTAINERS_CONF``) to every podman command it runs, leaving the user's podman alone.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from genolog.config import default_data_dir

ENGINE_ENV_VAR = "GENOLOG_CONTAINER_RUNTIME"


class ContainerError(Exception):
    """No usable engine, or a build or import that failed (the message says which and why)."""


def containers_conf(data_dir: Path | None = None) -> Path:
    """genolog's podman settings (written when missing or stale): runc when installed, and ulimits
    at this machine's hard limits."""
    # nproc is capped at the reference's 32768: runc is refused higher values here even under the
    # hard limit (the kernel's own cap on a user's processes applies inside the container too)
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    nproc = 32768 if nproc == resource.RLIM_INFINITY else min(nproc, 32768)
    limits = [f'"nproc={nproc}:{nproc}"']
    if nofile != resource.RLIM_INFINITY:
        limits.insert(0, f'"nofile={nofile}:{nofile}"')
    text = "# written by genolog: podman settings for its builds and jobs\n[containers]\n"
    text += f"default_ulimits = [{', '.join(limits)}]\n"
    if shutil.which("runc"):
        text += '[engine]\nruntime = "runc"\n'
    path = (data_dir or default_data_dir()) / "containers.conf"
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return path


@dataclass(frozen=True)
class Engine:
    """A container engine: its executable, its kind, and the environment its commands need."""

    path: str
    kind: str  # "podman" or "docker"
    env: tuple[tuple[str, str], ...] = ()

    def argv(self, *args: str) -> list[str]:
        """A command line for this engine (``env CONTAINERS_CONF=... podman ARGS`` for podman)."""
        prefix = ["env", *(f"{k}={v}" for k, v in self.env)] if self.env else []
        return [*prefix, self.path, *args]

    def run(self, *args: str, input: bytes | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(*args),
            input=input.decode() if input is not None else None,
            capture_output=True,
            text=True,
            check=False,
        )

    def image_id(self, image: str) -> str | None:
        """The id of a local image, or None when the engine has no such image."""
        answer = self.run("image", "inspect", "--format", "{{.Id}}", image)
        return answer.stdout.strip() or None if answer.returncode == 0 else None


def engine_for(executable: str, data_dir: Path | None = None) -> Engine:
    """The engine behind an executable path (podman gets genolog's containers.conf, unless the user
    chose their own with ``CONTAINERS_CONF``)."""
    kind = "podman" if "podman" in Path(executable).name else "docker"
    env: tuple[tuple[str, str], ...] = ()
    if kind == "podman" and not os.environ.get("CONTAINERS_CONF"):
        env = (("CONTAINERS_CONF", str(containers_conf(data_dir))),)
    return Engine(executable, kind, env)


def find_engine(choice: str | None = None, data_dir: Path | None = None) -> Engine:
    """The engine to build with: ``choice``, else ``$GENOLOG_CONTAINER_RUNTIME``, else podman, else docker
    when its daemon answers."""
    wanted = choice or os.environ.get(ENGINE_ENV_VAR)
    if wanted:
        path = shutil.which(wanted)
        if path is None:
            raise ContainerError(f"container engine {wanted!r} not found on PATH")
        return engine_for(path, data_dir)
    if podman := shutil.which("podman"):
        return engine_for(podman, data_dir)
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "info"], capture_output=True, check=False).returncode == 0:
        return engine_for(docker, data_dir)
    raise ContainerError(
        "no container engine: install podman (Debian: apt-get install podman runc), "
        "or docker with a running daemon"
    )
