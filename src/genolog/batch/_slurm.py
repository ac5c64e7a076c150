"""`SlurmBackend`: the same job graphs on a Slurm cluster, one `sbatch` submission per job.

Jobs are submitted in graph order with their parents as ``afterok`` dependencies (``afterany`` for an
``always_run`` job) and ``--kill-on-invalid-dep=yes``, so Slurm itself cancels the descendants of a
failed job, exactly as the local backend does. Scratch and the run record live in a folder every node
sees (``[slurm] scratch``); each job script writes its outcome (status, exit code, attempts, seconds)
to a small file there, which is where exact exit codes come from. ``squeue`` (with ``--states=all``,
which covers jobs that ended within Slurm's ``MinJobAge``) and, for older ones, ``sacct`` (accounting,
else the job completion log) give the rest: cancellations, Slurm time limits, lost nodes.

Timeouts are enforced inside the job with coreutils' ``timeout`` (Slurm checks its own limits only
every 30 s or so); the Slurm time limit, a minute longer, is a backstop. Python jobs run with the
submitting interpreter (``sbatch`` exports the submitting environment), outputs are copied by the job
before it reports success, and Ctrl-C or ``cancel_after_n_failures`` cancel the submitted jobs with
``scancel``.
"""

from __future__ import annotations

import json
import math
import os
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genolog.batch._batch import Batch
from genolog.batch._job import BashJob, Job, PythonJob
from genolog.batch._local import LocalBackend, _Run
from genolog.batch._progress import RunDisplay
from genolog.batch._report import JobRunResult, JobStatus
from genolog.batch._resource import BatchException, ResourceGroup
from genolog.batch._units import job_memory_bytes, parse_cpu, parse_memory
from genolog.config import config_retrieve

SLURM_COMMANDS = ("sbatch", "squeue", "scancel")
_LIVE_STATES = {"PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "RESIZING", "REQUEUED"}
_GRACE = 10.0  # seconds to wait for an ended job's outcome file (a shared file system may lag)


class SlurmBackend(LocalBackend):
    """Run batches on a Slurm cluster.

    Settings, from the arguments or else the ``[slurm]`` config section: `scratch` (a folder every
    node sees, for the runs' scratch and records; default ``/tmp``, enough for a single node),
    `partition`, `account`, `sbatch_options` (more ``sbatch`` options: a list, or one string split
    like a shell), `poll_interval` (seconds between status checks; default 0.5) and, as for the local
    backend, `runs_dir` and `container_runtime` (podman or docker on the nodes).
    """

    def __init__(
        self,
        scratch: str | os.PathLike[str] | None = None,
        *,
        partition: str | None = None,
        account: str | None = None,
        sbatch_options: str | list[str] | None = None,
        poll_interval: float | None = None,
        runs_dir: str | os.PathLike[str] | None = None,
        container_runtime: str | None = None,
        gsa_key_file: str | None = None,
        extra_docker_run_flags: str | None = None,
    ) -> None:
        def setting(key: str, given: Any) -> Any:
            return given if given is not None else config_retrieve(["slurm", key], default=None)

        missing = [c for c in SLURM_COMMANDS if shutil.which(c) is None]
        if missing:
            raise BatchException(
                f"the Slurm backend needs {', '.join(missing)} on PATH (install Slurm's client commands)"
            )
        tmp_dir = str(setting("scratch", scratch) or "/tmp/")
        runs = setting("runs_dir", runs_dir) or os.path.join(os.path.expanduser(tmp_dir), "genolog-runs")
        super().__init__(
            tmp_dir,
            gsa_key_file,
            extra_docker_run_flags,
            runs_dir=runs,
            container_runtime=setting("container_runtime", container_runtime),
        )
        self.partition: str | None = setting("partition", partition)
        self.account: str | None = setting("account", account)
        options = setting("sbatch_options", sbatch_options) or []
        self.sbatch_options: list[str] = shlex.split(options) if isinstance(options, str) else list(options)
        self.poll_interval = float(setting("poll_interval", poll_interval) or 0.5)
        self.has_sacct = shutil.which("sacct") is not None
        self.last_submission_seconds: float | None = None  # how long the last run took to submit its jobs

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "kind": "slurm", "partition": self.partition, "account": self.account}

    def _new_run(self, batch: Batch, jobs: list[Job], verbose: bool) -> _Run:
        return _SlurmRun(self, batch, jobs, verbose=verbose)

    def site_options(self) -> list[str]:
        """The ``sbatch`` options every job of this cluster gets: partition, account, `sbatch_options`."""
        options = [f"--partition={self.partition}"] if self.partition else []
        if self.account:
            options.append(f"--account={self.account}")
        return options + self.sbatch_options


def resource_options(cpu: float, memory_bytes: int, storage_bytes: int) -> list[str]:
    """``sbatch`` options for a job's cores (rounded up), memory and local disk in bytes (0: not asked)."""
    options = [f"--cpus-per-task={max(1, math.ceil(cpu - 1e-9))}"]
    if memory_bytes:
        options.append(f"--mem={max(1, math.ceil(memory_bytes / 2**20))}M")
    if storage_bytes:
        options.append(f"--tmp={max(1, math.ceil(storage_bytes / 2**20))}M")
    return options


@dataclass
class _Submitted:
    slurm_id: str
    log: Path
    outcome: Path
    ended_at: float | None = None  # when Slurm first reported it ended without an outcome file


class _SlurmRun(_Run):
    backend: SlurmBackend

    def execute(self, show_progress: bool) -> list[JobRunResult]:
        if not self.jobs:
            return []
        self.choose_runtime()
        python_jobs = [j for j in self.jobs if isinstance(j, PythonJob)]
        if python_jobs:
            self._prepare_pickling(python_jobs)
            (self.scratch / "sys_path.json").write_text(json.dumps(sys.path))
        display = RunDisplay(len(self.jobs), self.batch.name or "batch", enabled=show_progress)
        self.submitted: dict[int, _Submitted] = {}
        self.results: dict[int, JobRunResult] = {}
        self.stopped: set[int] = set()  # cancelled by cancel_after_n_failures
        try:
            started = time.perf_counter()
            for i, job in enumerate(self.jobs):
                self.submitted[i] = self._submit(i, job)
            self.backend.last_submission_seconds = time.perf_counter() - started
            if self.stopping:  # stopped while submitting
                self.stop()
            self._watch(display)
        except BaseException:
            self._cancel([s.slurm_id for i, s in self.submitted.items() if i not in self.results])
            raise
        finally:
            display.close()
        return [self.results[i] for i in range(len(self.jobs))]

    def stop(self) -> None:
        """Cancel the run's jobs in Slurm from another thread (BatchPoolExecutor's cancel)."""
        self.stopping = True
        submitted, results = getattr(self, "submitted", {}), getattr(self, "results", {})
        self._cancel([s.slurm_id for i, s in list(submitted.items()) if i not in results])

    # -- submission ------------------------------------------------------------------------------
    def _submit(self, i: int, job: Job) -> _Submitted:
        job_id = self.first_id + i
        stem = self.run_dir / "jobs" / f"{job_id}-{job._dirname}"
        log, outcome, script_path = (
            stem.with_suffix(".log"),
            stem.with_suffix(".outcome"),
            stem.with_suffix(".sbatch"),
        )
        (self.scratch / job._dirname).mkdir(exist_ok=True)
        try:
            folders = self._localise_inputs(job)
        except OSError as e:
            raise BatchException(f"job {job_id} ({job.name}): cannot localise its inputs: {e}") from e
        if isinstance(job, PythonJob):
            payload = self._python_payload(job)
            exports = {**job._env, "BATCH_TMPDIR": str(self.scratch)}
            command = [sys.executable, "-m", "genolog.batch._slurmjob", "python", str(payload)]
            command.append(str(self.scratch / "sys_path.json"))
            prelude = [f"cd {shlex.quote(str(self.scratch))}"]
            prelude += [f"export {k}={shlex.quote(v)}" for k, v in exports.items()]
        else:
            assert isinstance(job, BashJob)
            script = self._bash_script(job)
            self.scripts[job_id] = script
            stem.with_suffix(".sh").write_text(script)  # kept beside the log, for debugging
            command = self._bash_argv(job, script, folders)
            prelude = []
        outputs = [
            (str(self._path(r)), dest)
            for r in job._valid
            if not isinstance(r, ResourceGroup)
            for dest in getattr(r, "_output_paths", None) or ()
        ]
        spec = None
        if outputs:
            spec = stem.with_suffix(".outputs.json")
            spec.write_text(json.dumps(outputs))
        script_path.write_text(job_script(job, command, prelude, outcome, spec))
        argv = ["sbatch", "--parsable", *self._options(job, log)]
        parents = [self.submitted[self.index[p]].slurm_id for p in job._dependencies if p in self.index]
        if parents:
            kind = "afterany" if job._always_run else "afterok"
            argv += [f"--dependency={kind}:{':'.join(parents)}", "--kill-on-invalid-dep=yes"]
        argv.append(str(script_path))
        answer = subprocess.run(argv, capture_output=True, text=True, check=False)
        if answer.returncode != 0:
            reason = answer.stderr.strip() or answer.stdout.strip() or f"exit code {answer.returncode}"
            raise BatchException(f"sbatch refused job {job_id} ({job.name or 'unnamed'}): {reason}")
        return _Submitted(answer.stdout.strip().split(";")[0], log, outcome)

    def _options(self, job: Job, log: Path) -> list[str]:
        cpu = parse_cpu(job._cpu) if job._cpu else 1.0
        options = [
            f"--job-name={(job.name or f'genolog-{job._dirname}')[:100]}",
            f"--output={log}",
            "--open-mode=append",
            f"--chdir={self.scratch}",
        ]
        storage = parse_memory(job._storage) if job._storage else 0
        options += resource_options(cpu, job_memory_bytes(job._memory, cpu), storage)
        if job._timeout is not None:
            options.append(f"--time={math.ceil(job._timeout / 60) + 1}")  # a backstop: see job_script
        return options + self.backend.site_options()

    # -- watching --------------------------------------------------------------------------------
    def _watch(self, display: RunDisplay) -> None:
        limit = self.batch._cancel_after_n_failures
        failures = 0
        while len(self.results) < len(self.jobs):
            waiting = [i for i in range(len(self.jobs)) if i not in self.results]
            states = self._states([self.submitted[i].slurm_id for i in waiting])
            for i in waiting:
                result = self._outcome(i, states.get(self.submitted[i].slurm_id))
                if result is None:
                    continue
                self.results[i] = result
                display.job_done(result)
                if result.status in ("failed", "timed_out"):
                    failures += 1
                    if limit is not None and failures == limit:
                        self._stop_after_failures(states)
            if len(self.results) < len(self.jobs):
                time.sleep(self.backend.poll_interval)

    def _stop_after_failures(self, states: dict[str, tuple[str, str]]) -> None:
        """`cancel_after_n_failures`: cancel every job not yet started, except `always_run` ones."""
        for i, submitted in self.submitted.items():
            state = states.get(submitted.slurm_id, ("", ""))[0]
            if i not in self.results and state == "PENDING" and not self.jobs[i]._always_run:
                self.stopped.add(i)
        self._cancel([self.submitted[i].slurm_id for i in self.stopped])

    def _states(self, slurm_ids: list[str]) -> dict[str, tuple[str, str]]:
        return job_states(slurm_ids, self.backend.has_sacct)

    def _outcome(self, i: int, state: tuple[str, str] | None) -> JobRunResult | None:
        """The job's result once it has ended; None while it is pending or running."""
        job, submitted = self.jobs[i], self.submitted[i]
        if submitted.outcome.exists():
            return self._from_outcome_file(i)
        slurm_state, reason = state or ("", "")
        if slurm_state == "PENDING" and reason == "DependencyNeverSatisfied":
            self._cancel([submitted.slurm_id])  # a cluster that keeps such jobs pending forever
            return self._result(i, "cancelled", None, 0.0, 0, "a parent failed or was cancelled")
        if slurm_state in _LIVE_STATES:
            return None
        if slurm_state == "CANCELLED":
            parents_bad = any(
                not self.results[self.index[p]].succeeded
                for p in job._dependencies
                if p in self.index and self.index[p] in self.results
            )
            if i in self.stopped:
                message = "too many failures in the batch"
            elif parents_bad:
                message = "a parent failed or was cancelled"
            else:
                message = f"cancelled in Slurm (job {submitted.slurm_id})"
            return self._result(i, "cancelled", None, 0.0, 0, message)
        if slurm_state == "TIMEOUT":
            return self._result(i, "timed_out", None, 0.0, 1, "killed at Slurm's time limit")
        # Ended (or forgotten) without an outcome file yet: give a shared file system a moment.
        now = time.monotonic()
        if submitted.ended_at is None:
            submitted.ended_at = now
        if now - submitted.ended_at < _GRACE:
            return None
        what = slurm_state or "unknown to Slurm"
        return self._result(
            i, "failed", None, 0.0, 1, f"Slurm job {submitted.slurm_id} ended {what} without an outcome"
        )

    def _from_outcome_file(self, i: int) -> JobRunResult:
        fields = self.submitted[i].outcome.read_text().split()
        status, code, attempts = fields[0], int(fields[1]), int(fields[2])
        seconds = max(0.0, float(fields[4]) - float(fields[3]))
        if status == "succeeded":
            return self._result(i, "succeeded", 0, seconds, attempts)
        if status == "timed_out":
            message = f"killed after the {self.jobs[i]._timeout:g} s timeout"
            return self._result(i, "timed_out", None, seconds, attempts, message)
        if status == "outputs_failed":
            return self._result(
                i, "failed", 0, seconds, attempts, "could not write its outputs (see its log)"
            )
        return self._result(i, "failed", code, seconds, attempts)

    def _result(
        self, i: int, status: JobStatus, code: int | None, seconds: float, attempts: int, message: str = ""
    ) -> JobRunResult:
        job = self.jobs[i]
        in_container = bool(job._image and self.runtime and isinstance(job, BashJob))
        log = self.submitted[i].log
        return JobRunResult(
            self.first_id + i,
            job.name,
            status,
            code,
            seconds,
            attempts,
            log,
            job._image,
            in_container,
            message,
        )

    @staticmethod
    def _cancel(slurm_ids: list[str]) -> None:
        for start in range(0, len(slurm_ids), 500):
            chunk = slurm_ids[start : start + 500]
            subprocess.run(["scancel", *chunk], capture_output=True, check=False)


def job_script(job: Job, command: list[str], prelude: list[str], outcome: Path, outputs: Path | None) -> str:
    """The batch script of one job: its attempts (each under ``timeout`` when the job has one), the copy
    of its outputs, and its outcome file (``status exit-code attempts seconds``), written last and
    atomically, so the watcher never reads half of it."""
    attempts = job._n_max_attempts or 1
    run = shlex.join(command)
    if job._timeout is not None:
        run = f"timeout --kill-after=5 {job._timeout:g} {run}"
    lines = [
        "#!/bin/bash",
        f"# genolog job {job.name or job._dirname}",
        *prelude,
        "status=failed; code=1; n=0; t0=$EPOCHREALTIME",
        f"while [ $n -lt {attempts} ]; do",
        "  n=$((n + 1))",
        f'  [ $n -gt 1 ] && echo "genolog: attempt $n of {attempts}"',
        "  started=$SECONDS",
        f"  {run}",
        "  code=$?",
        "  if [ $code -eq 0 ]; then status=succeeded; break; fi",
        "  status=failed",
    ]
    if job._timeout is not None:
        limit = math.floor(job._timeout)
        lines += [
            f"  if {{ [ $code -eq 124 ] || [ $code -eq 137 ]; }} && [ $((SECONDS - started)) -ge {limit} ]; then",
            f'    status=timed_out; echo "genolog: killed after the {job._timeout:g} s timeout"',
            "  fi",
        ]
    lines.append("done")
    if outputs is not None:
        copy = shlex.join([sys.executable, "-m", "genolog.batch._slurmjob", "copy-out", str(outputs)])
        lines.append(f"if [ $status = succeeded ] && ! {copy}; then status=outputs_failed; fi")
    target = shlex.quote(str(outcome))
    lines += [
        f'echo "$status $code $n $t0 $EPOCHREALTIME" > {target}.tmp && mv {target}.tmp {target}',
        "[ $status = succeeded ] && exit 0",
        "[ $code -eq 0 ] && exit 1",
        "exit $code",
    ]
    return "\n".join(lines) + "\n"


def job_states(
    slurm_ids: list[str], has_sacct: bool, timeout: float | None = None
) -> dict[str, tuple[str, str]]:
    """Slurm id -> (state, reason) for the jobs Slurm still remembers: `squeue`'s, then `ended_states`
    for those it has forgotten when the cluster has ``sacct``. ``timeout`` bounds each ``squeue`` call."""
    states: dict[str, tuple[str, str]] = {}
    for start in range(0, len(slurm_ids), 500):  # keep the command line short
        chunk = slurm_ids[start : start + 500]
        answer = subprocess.run(
            ["squeue", "--noheader", "--states=all", f"--jobs={','.join(chunk)}", "--format=%i|%T|%r"],
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
        for line in answer.stdout.splitlines():
            slurm_id, state, reason = [*line.split("|"), "", ""][:3]
            states[slurm_id.strip()] = (state.strip(), reason.strip())
    forgotten = [s for s in slurm_ids if s not in states]
    if forgotten and has_sacct:
        states.update((slurm_id, (state, "")) for slurm_id, state in ended_states(forgotten).items())
    return states


def is_live(state: str) -> bool:
    """Whether a job in this Slurm state may still run (pending, running, suspended, requeued, ...)."""
    return state in _LIVE_STATES


def ended_states(slurm_ids: list[str]) -> dict[str, str]:
    """Slurm id -> final state (COMPLETED, FAILED, CANCELLED, TIMEOUT, ...) of jobs `squeue` no longer
    shows: from accounting (slurmdbd) when the cluster keeps it, else from the job completion log
    (``sacct -c``, a cluster with ``JobCompType=jobcomp/filetxt``). Jobs neither knows are left out."""
    states: dict[str, str] = {}
    query = ["--noheader", "--parsable2", "-X", f"--jobs={','.join(slurm_ids)}", "--format=JobID,State"]
    for source in (["sacct"], ["sacct", "-c"]):  # accounting first: without slurmdbd it exits 1
        answer = subprocess.run([*source, *query], capture_output=True, text=True, check=False)
        if answer.returncode == 0:
            for line in answer.stdout.splitlines():
                slurm_id, _, state = line.partition("|")
                if slurm_id in slurm_ids and state:
                    states[slurm_id] = state.split()[0]  # "CANCELLED by 0" -> CANCELLED
            return states
    return states
