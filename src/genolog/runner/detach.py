"""``--detach``: the driver submitted as a job on the configured backend; the command returns at once.

The backend is the one the caller's batches use, ``[hail] backend`` (`genolog.batch.helpers`): in the run's
``--config`` files when they set it, else in the caller's config, else ``local``.

- ``local``: a background process in its own session (Ctrl-C and the terminal closing do not reach it);
- ``slurm``: one ``sbatch`` job, with the ``[slurm]`` settings the batch's Slurm backend uses (partition,
  account, sbatch_options) and ``--cpu``/``--memory``/``--storage`` as its request;
- ``batch`` (the Hail Batch service): one service job that clones the repository at the recorded commit
  and runs the driver in its image (`genolog.runner.detach_hail`, which says what such a run needs).

The job is ``python -m genolog.runner._detached``, which runs the driver, appends its output to the run's
log and records the outcome. The token reaches it in its environment only (the background process's, or
the Slurm job's, which ``sbatch`` exports from the submitting command; Slurm keeps it in its own state,
readable by the Slurm user), never in a file or on a command line.
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genolog.config import ConfigError, config_retrieve
from genolog.paths import is_cloud_path
from genolog.runner.container import Placement
from genolog.runner.errors import RunnerError

#: ``[hail] backend`` values and the name a run records (``environment`` and meta ``backend``).
BACKENDS = {"local": "local", "slurm": "slurm", "batch": "hail", "service": "hail"}


@dataclass(frozen=True)
class Submission:
    backend: str  # local, slurm or hail
    job_id: str  # the local process id, the Slurm job id or the Hail batch id
    output: str  # where the job's own messages go (the run's log when it is local; the batch's page)

    def meta(self) -> dict[str, Any]:
        """What the run's record keeps: the backend and the job's id (a local process's with its host,
        a Hail batch's with its page)."""
        if self.backend == "local":
            return {"backend": "local", "pid": self.job_id, "host": socket.gethostname()}
        if self.backend == "hail":
            return {"backend": "hail", "batch_id": self.job_id, "batch_url": self.output}
        return {"backend": self.backend, "job_id": self.job_id}


def backend_name(user_config: Mapping[str, Any]) -> str:
    """The backend a detached run goes to, ``local``, ``slurm`` or ``hail`` (see the module's doc); a
    `RunnerError` for an unknown name, before anything is recorded."""
    chosen = (user_config.get("hail") or {}).get("backend")
    if chosen is None:
        try:
            chosen = config_retrieve(["hail", "backend"], default="local")
        except ConfigError as e:
            raise RunnerError(str(e).rstrip(".") + ".") from None
    name = BACKENDS.get(str(chosen))
    if name is None:
        raise RunnerError(
            f"[hail] backend is {chosen!r}; a detached run goes to 'local', 'slurm' or 'batch' (Hail Batch)."
        )
    return name


def job_argv(ar_guid: str, log_path: str, placement: Placement, scratch: Path) -> list[str]:
    """The job's command: the runner's wrapper around the driver's own command; the wrapper removes the
    run's scratch folder (its checkout) once the driver has ended."""
    return [
        sys.executable,
        "-m",
        "genolog.runner._detached",
        "--ar-guid",
        ar_guid,
        "--log",
        log_path,
        "--workdir",
        str(placement.workdir),
        "--scratch",
        str(scratch),
        "--",
        *placement.argv,
    ]


def job_output(ar_guid: str, log_path: str) -> str:
    """Where the job's own output goes: the run's log (the driver's output is appended to it too), or a
    local file when the log is in the cloud (it is uploaded only when the driver ends)."""
    if is_cloud_path(log_path):
        return os.path.join(tempfile.gettempdir(), f"genolog-analysis-runner-{ar_guid}.out")
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    return log_path


def submit_local(argv: list[str], env: Mapping[str, str], output: str) -> str:
    """Start the job in the background, in a session of its own, its output appended to ``output``;
    returns its process id. It is spawned rather than kept as a `subprocess.Popen`: nothing here waits
    for it (the job changes to the driver's folder itself)."""
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, output, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    try:
        pid = os.posix_spawn(argv[0], argv, dict(env), file_actions=actions, setsid=True)
    except OSError as e:
        raise RunnerError(f"Cannot start the detached driver ({e.strerror}).") from None
    return str(pid)


def sbatch_argv(ar_guid: str, output: str, placement: Placement) -> list[str]:
    """``sbatch`` and its options for the job (the script comes on standard input)."""
    from genolog.batch._resource import BatchException
    from genolog.batch._slurm import SlurmBackend, resource_options

    try:
        cluster = SlurmBackend()
    except BatchException as e:
        raise RunnerError(f"Cannot submit to Slurm: {e}.") from None
    limits = placement.limits
    options = [
        f"--job-name=analysis-runner-{ar_guid}",
        f"--output={output}",
        "--open-mode=append",
        f"--chdir={placement.workdir}",
        *resource_options(limits.cpu or 1.0, limits.memory_bytes, limits.storage_bytes),
    ]
    return ["sbatch", "--parsable", *options, *cluster.site_options()]


def submit_slurm(argv: list[str], env: Mapping[str, str], sbatch: list[str]) -> str:
    """Submit the job with ``sbatch``; returns its Slurm job id."""
    script = f"#!/bin/sh\nexec {shlex.join(argv)}\n"
    try:
        answer = subprocess.run(
            sbatch, input=script, env=dict(env), capture_output=True, text=True, check=False, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise RunnerError(f"Cannot submit to Slurm ({e}).") from None
    if answer.returncode != 0:
        reason = answer.stderr.strip() or answer.stdout.strip() or f"exit code {answer.returncode}"
        raise RunnerError(f"sbatch refused the driver: {reason}.")
    return answer.stdout.strip().split(";")[0]


def submit(
    backend: str, ar_guid: str, log_path: str, placement: Placement, env: Mapping[str, str], scratch: Path
) -> Submission:
    """Submit the driver as a job on ``backend`` (`backend_name`'s); returns at once. The job owns the
    run's ``scratch`` folder from then on."""
    argv = job_argv(ar_guid, log_path, placement, scratch)
    output = job_output(ar_guid, log_path)
    if backend == "slurm":
        job_id = submit_slurm(argv, env, sbatch_argv(ar_guid, output, placement))
    else:
        job_id = submit_local(argv, env, output)
    return Submission(backend, job_id, output)


def this_process() -> dict[str, Any]:
    """The meta of a run whose driver this process runs (a foreground run)."""
    return {"pid": str(os.getpid()), "host": socket.gethostname()}


def job_alive(meta: Mapping[str, Any]) -> bool | None:
    """Whether the process or job running a run's driver still runs: True, False, or None when this
    machine cannot tell (another host's process, a Slurm cluster that no longer knows the job)."""
    backend = meta.get("backend")
    if backend == "local" and meta.get("pid") and meta.get("host") == socket.gethostname():
        try:
            cmdline = Path(f"/proc/{int(meta['pid'])}/cmdline").read_bytes()
        except (OSError, ValueError):
            return False
        return b"genolog" in cmdline  # the runner or the detached job, not a process that took the id since
    if backend == "slurm" and meta.get("job_id"):
        from genolog.batch._slurm import is_live, job_states

        job_id = str(meta["job_id"])
        try:
            states = job_states([job_id], has_sacct=shutil.which("sacct") is not None, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None
        state = states.get(job_id, ("", ""))[0]
        return is_live(state) if state else None
    return None
