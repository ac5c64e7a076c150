"""`LocalBackend`: runs a batch on this machine, ready jobs in parallel.

Compared with hailtop's LocalBackend it keeps the observable semantics (scratch layout, failure
propagation, `always_run`, the `CalledProcessError`) but runs independent jobs at the same time
within a cpu/memory budget, copies outputs in-process, runs Python jobs in forked children of the
submitting interpreter, supports timeouts, retries and `cancel_after_n_failures`, and records each
job's status, exit code, duration and log in a run directory.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import secrets
import shlex
import sys
import threading
import time
from pathlib import Path
from typing import Any

from genolog.batch._backend import Backend
from genolog.batch._batch import Batch
from genolog.batch._container import configured_runtime, container_command, missing_images
from genolog.batch._host import (
    available_cpus,
    available_memory,
    defining_module,
    is_installed,
    kill_running_processes,
    remove_in_background,
    run_process,
)
from genolog.batch._job import BashJob, Job, PythonJob
from genolog.batch._progress import RunDisplay, console
from genolog.batch._pyrunner import PythonWorkerPool
from genolog.batch._report import BatchRunResult, JobFailedError, JobRunResult, JobStatus
from genolog.batch._resource import (
    BatchException,
    InputResourceFile,
    PythonResult,
    Resource,
    ResourceFile,
    ResourceGroup,
)
from genolog.batch._scheduler import Task, schedule
from genolog.batch._shims import shim_folder
from genolog.batch._transfer import TransferError, copy_input_to_output, copy_out, localise
from genolog.batch._units import job_memory_bytes, parse_cpu
from genolog.config import config_retrieve
from genolog.containers import engine_for

DEFAULT_SHELL = "/bin/bash"
_MAX_INLINE_SCRIPT = 100_000  # characters
_UNSUPPORTED_RUN_KEYWORDS = ("wait", "open", "callback", "token")


class LocalBackend(Backend):
    """Run batches on this machine.

    The first three arguments are hailtop's. The rest are genolog's and default from the
    ``[local_backend]`` config section: `runs_dir` (where run records and logs are kept; default
    ``<tmp_dir>/genolog-runs``), `cpus` and `memory` (the budget the jobs' requests are fitted into;
    default: this machine), `max_parallel_jobs`, and `container_runtime` (`podman` or `docker`: run
    jobs with an image in a container; default ``$GENOLOG_CONTAINER_RUNTIME``, else on the host).
    """

    def __init__(
        self,
        tmp_dir: str = "/tmp/",
        gsa_key_file: str | None = None,
        extra_docker_run_flags: str | None = None,
        *,
        runs_dir: str | os.PathLike[str] | None = None,
        cpus: float | None = None,
        memory: str | int | None = None,
        max_parallel_jobs: int | None = None,
        container_runtime: str | None = None,
    ) -> None:
        from genolog.batch._units import parse_memory

        def setting(key: str, given: Any) -> Any:
            return given if given is not None else config_retrieve(["local_backend", key], default=None)

        self._tmp_dir = os.path.abspath(os.path.expanduser(tmp_dir))
        self._gsa_key_file = gsa_key_file or os.environ.get("HAIL_BATCH_GSA_KEY_FILE")
        self._extra_docker_run_flags = extra_docker_run_flags or os.environ.get(
            "HAIL_BATCH_EXTRA_DOCKER_RUN_FLAGS", ""
        )
        runs = setting("runs_dir", runs_dir)
        self._runs_dir = Path(os.path.expanduser(str(runs))) if runs else Path(self._tmp_dir) / "genolog-runs"
        cpus = setting("cpus", cpus)
        self._cpus = parse_cpu(cpus) if cpus is not None else available_cpus()
        memory = setting("memory", memory)
        self._memory = parse_memory(memory) if memory is not None else available_memory()
        self._max_parallel_jobs = setting("max_parallel_jobs", max_parallel_jobs)
        if self._max_parallel_jobs is not None and int(self._max_parallel_jobs) < 1:
            raise BatchException(f"max_parallel_jobs must be at least 1, not {self._max_parallel_jobs}")
        self._container_runtime = container_runtime

    def _run(
        self, batch: Batch, dry_run: bool, verbose: bool, delete_scratch_on_exit: bool, **backend_kwargs: Any
    ) -> BatchRunResult:
        bad = {k: v for k, v in backend_kwargs.items() if k != "disable_progress_bar"}
        if bad:
            raise ValueError(f"LocalBackend does not support any of these keywords: {bad}")
        jobs = batch._unsubmitted_jobs()
        run = self._new_run(batch, jobs, verbose)
        batch._stop = run.stop
        try:
            run.copy_inputs_to_outputs()
            if dry_run:
                run.print_scripts()
                results: list[JobRunResult] = []
            else:
                results = run.execute(show_progress=not backend_kwargs.get("disable_progress_bar", False))
        finally:
            batch._stop = None
            run.close(delete_scratch=delete_scratch_on_exit)
        for job in jobs:
            job._submitted = True
        batch._recorded_jobs += len(results)  # a dry run records no jobs
        result = BatchRunResult(batch.name, run.run_dir, time.perf_counter() - run.started, results)
        result.write(self._describe(), batch.attributes)
        failed = [r for r in results if r.status in ("failed", "timed_out")]
        if failed:
            first = failed[0]
            cmd = run.scripts.get(first.job_id, f"<python job {first.name or first.job_id}>")
            raise JobFailedError(first, cmd, result)
        counts = ", ".join(f"{n} {s}" for s, n in result.counts().items())
        summary = f"{counts or 'no jobs'} in {result.duration:.2f} s; record: {run.run_dir}"
        if batch._print_summary:
            console.print(f"Batch completed successfully! {summary}", markup=False, soft_wrap=True)
        return result

    def _describe(self) -> dict[str, Any]:
        """What the run record keeps of this backend, for `Batch.from_batch_id` to make it again."""
        return {"kind": "local", "tmp_dir": self._tmp_dir, "runs_dir": str(self._runs_dir)}

    def _new_run(self, batch: Batch, jobs: list[Job], verbose: bool) -> _Run:
        """One run of `batch` (the Slurm backend runs the same preparation, submitting instead)."""
        return _Run(self, batch, jobs, verbose=verbose)


class _Run:
    """One `run()` of one batch: scratch directory, run record, and the job executions."""

    def __init__(self, backend: LocalBackend, batch: Batch, jobs: list[Job], *, verbose: bool) -> None:
        self.backend = backend
        self.batch = batch
        self.jobs = jobs
        self.verbose = verbose
        self.started = time.perf_counter()
        self.index = {job: i for i, job in enumerate(jobs)}
        token = secrets.token_hex(3)
        self.scratch = Path(backend._tmp_dir) / "batch" / token
        self.scratch.mkdir(parents=True, exist_ok=True)
        if batch._run_dir is None:  # the batch's first run makes its record; later runs append to it
            stamp = time.strftime("%Y%m%d-%H%M%S")
            label = re.sub(r"[^A-Za-z0-9_.-]+", "_", batch.name or "batch")[:60]
            batch._run_dir = backend._runs_dir / f"{stamp}-{label}-{token}"
        self.run_dir = batch._run_dir
        self.first_id = batch._recorded_jobs + 1  # job ids go on from the record's last
        (self.run_dir / "jobs").mkdir(parents=True, exist_ok=True)
        self.scripts: dict[int, str] = {}
        self.pool: PythonWorkerPool | None = None
        self._localised: set[str] = set()
        self._localise_lock = threading.Lock()
        self.runtime: str | None = None
        self._by_value: list[str] = []
        self.stopping = False

    # -- preparation -----------------------------------------------------------------------------
    def copy_inputs_to_outputs(self) -> None:
        for r in self.batch._input_resources:
            for dest in r._output_paths:
                if (r._uid, dest) not in self.batch._copied_inputs:  # once per batch, not per run
                    try:
                        copy_input_to_output(r._input_path, dest)
                    except TransferError as e:
                        raise BatchException(f"cannot write input {r._input_path} to {dest}: {e}") from e
                    self.batch._copied_inputs.add((r._uid, dest))

    def _path(self, r: Resource) -> Path:
        return self.scratch / r._relpath()

    def _bash_script(self, job: BashJob, write_tools: bool = True) -> str:
        """The job's script: enter scratch, export its variables (quoted, unlike upstream), run commands.

        Like upstream, commands are brace groups one after another, without `set -e`.
        """
        scratch = shlex.quote(str(self.scratch))
        lines = [f"cd {scratch}", f"export BATCH_TMPDIR={scratch}"]
        lines += [f"export {key}={shlex.quote(value)}" for key, value in job._env.items()]
        if job._image and not self.runtime:
            tools = shim_folder(self.scratch, job._image, create=write_tools)
            if tools is not None:
                lines.append(f'export PATH={shlex.quote(str(tools))}:"$PATH"')
        if self.verbose:
            lines.append("set -x")
        lines += [f"{{\n{c.strip()}\n}}" for c in job._command]
        return "\n".join(lines)

    def print_scripts(self) -> None:
        for i, job in enumerate(self.jobs, self.first_id):
            kind = "python" if isinstance(job, PythonJob) else (job._shell or DEFAULT_SHELL)
            body = (
                self._bash_script(job, write_tools=False)
                if isinstance(job, BashJob)
                else repr([c[1] for c in job._calls])
            )
            console.print(f"# {i}: {job.name or ''} ({kind}, image {job._image})\n{body}\n", markup=False)
        console.print("Batch completed successfully! (dry run)")

    def _localise_inputs(self, job: Job) -> list[str]:
        """Make the job's input files available in scratch; returns their host folders (for mounts)."""
        folders: list[str] = []
        files: list[InputResourceFile] = []
        for r in job._inputs:
            if isinstance(r, InputResourceFile):
                files.append(r)
            elif isinstance(r, ResourceGroup) and r._source is None:
                files.extend(m for m in r._resources.values() if isinstance(m, InputResourceFile))
        for f in files:
            if "://" not in f._input_path:
                folders.append(os.path.dirname(os.path.realpath(f._input_path)))
            with self._localise_lock:
                if f._uid not in self._localised:
                    localise(f._input_path, self._path(f))
                    self._localised.add(f._uid)
        return folders

    def _python_payload(self, job: PythonJob) -> Path:
        import cloudpickle

        def prepare(arg: Any) -> Any:
            if isinstance(arg, PythonResult):
                return ("py_path", str(self._path(arg)))
            if isinstance(arg, ResourceFile):
                return ("path", str(self._path(arg)))
            if isinstance(arg, ResourceGroup):
                return ("dict_path", {name: str(self._path(m)) for name, m in arg._resources.items()})
            if isinstance(arg, list):
                return ("list", [prepare(x) for x in arg])
            if isinstance(arg, tuple):
                return ("tuple", tuple(prepare(x) for x in arg))
            if isinstance(arg, dict):
                return ("dict", {k: prepare(v) for k, v in arg.items()})
            return ("value", arg)

        calls = []
        for result, func, args, kwargs in job._calls:
            call: dict[str, Any] = {
                "func": func,
                "args": [prepare(a) for a in args],
                "kwargs": {k: prepare(v) for k, v in kwargs.items()},
                "result": str(self._path(result)),
            }
            for kind, converted in result._converted.items():
                call[kind] = str(self._path(converted))
            calls.append(call)
        path = self.scratch / job._dirname / "calls.pickle"
        try:
            path.write_bytes(cloudpickle.dumps(calls))
        except Exception as e:
            raise BatchException(f"cannot serialise the job's functions or arguments: {e}") from e
        return path

    # -- execution -------------------------------------------------------------------------------
    def execute(self, show_progress: bool) -> list[JobRunResult]:
        jobs = self.jobs
        if not jobs:
            return []
        self.choose_runtime()
        tasks = []
        for job in jobs:
            cpu = parse_cpu(job._cpu) if job._cpu else 1.0
            tasks.append(
                Task(
                    parents=[self.index[p] for p in job._dependencies if p in self.index],
                    cpu=cpu,
                    memory=job_memory_bytes(job._memory, cpu),
                    always_run=job._always_run,
                )
            )
        cpus = self.backend._cpus
        max_parallel = self.backend._max_parallel_jobs or max(
            1, math.floor(cpus / min(t.cpu for t in tasks) + 1e-9)
        )
        max_parallel = min(int(max_parallel), len(jobs), 512)
        python_jobs = [j for j in jobs if isinstance(j, PythonJob)]
        if python_jobs:
            preload = self._prepare_pickling(python_jobs)
            self.pool = PythonWorkerPool(min(max_parallel, len(python_jobs)), preload)
        display = RunDisplay(len(jobs), self.batch.name or "batch", enabled=show_progress)
        try:
            return schedule(
                tasks,
                self._execute,
                self._cancelled,
                cpus=cpus,
                memory=self.backend._memory,
                max_parallel=max_parallel,
                cancel_after_n_failures=self.batch._cancel_after_n_failures,
                on_done=display.job_done,
                on_abort=self._abort,
            )
        finally:
            display.close()

    def choose_runtime(self) -> None:
        """The container runtime for the jobs with an image, or None (they run on the host)."""
        images = [j._image for j in self.jobs if j._image and isinstance(j, BashJob)]
        if images:
            self.runtime, reason = configured_runtime(self.backend._container_runtime)
            if self.runtime is None:
                console.print(
                    f"genolog: {reason}; {len(images)} job(s) with an image run on the host (images recorded).",
                    markup=False,
                )
                return
            missing = missing_images(self.runtime, images)
            if missing:
                raise BatchException(
                    f"{os.path.basename(self.runtime)} has no image {', '.join(missing)}: nothing was run. "
                    "Build genolog's images with `genolog images build NAME`, or pull or build the others."
                )

    def _prepare_pickling(self, python_jobs: list[PythonJob]) -> list[str]:
        """Send user code by value, installed packages by reference; returns the modules to preload.

        Functions from scripts, test files and project folders travel with the job (as hailtop's
        dill payloads do), so the worker need not import their modules; functions from installed
        packages are imported once per worker before it forks.
        """
        import cloudpickle

        preload: set[str] = set()
        for job in python_jobs:
            for _, func, _, _ in job._calls:
                module = defining_module(func)
                if module is None:
                    continue
                if is_installed(module):
                    preload.add(module.__name__)
                elif module.__name__ not in self._by_value:
                    cloudpickle.register_pickle_by_value(module)
                    self._by_value.append(module.__name__)
        return sorted(preload)

    def stop(self) -> None:
        """Stop the run's Python jobs from another thread (BatchPoolExecutor's cancel): their worker
        processes go, so they fail; jobs not started yet are cancelled."""
        self.stopping = True
        if self.pool is not None:
            self.pool.close()

    def _abort(self) -> None:
        kill_running_processes()
        if self.pool is not None:
            self.pool.close()

    def _cancelled(self, i: int, reason: str) -> JobRunResult:
        job = self.jobs[i]
        return JobRunResult(
            self.first_id + i, job.name, "cancelled", None, 0.0, 0, None, job._image, message=reason
        )

    def _execute(self, i: int) -> JobRunResult:
        if self.stopping:
            return self._cancelled(i, "stopped")
        job = self.jobs[i]
        job_id = self.first_id + i
        log = self.run_dir / "jobs" / f"{job_id}-{job._dirname}.log"
        started = time.perf_counter()
        in_container = False
        try:
            if job._valid or isinstance(job, PythonJob):  # trivial jobs need no folder
                (self.scratch / job._dirname).mkdir(exist_ok=True)
            folders = self._localise_inputs(job)
            if isinstance(job, PythonJob):
                payload = self._python_payload(job)
                env = {**os.environ, **job._env, "BATCH_TMPDIR": str(self.scratch)}
                assert self.pool is not None
                pool = self.pool

                def attempt() -> tuple[int, bool]:
                    return pool.run(payload, log, self.scratch, env, job._timeout)

            else:
                assert isinstance(job, BashJob)
                script = self._bash_script(job)
                self.scripts[job_id] = script
                log.with_suffix(".sh").write_text(script)  # kept beside the log, for debugging
                in_container = bool(job._image and self.runtime)
                argv = self._bash_argv(job, script, folders)

                def attempt() -> tuple[int, bool]:
                    return run_process(argv, self.scratch, log, job._timeout, self._kill_hook(job, argv))

        except (BatchException, TransferError, OSError) as e:
            with open(log, "a") as f:
                f.write(f"genolog: could not start the job: {e}\n")
            seconds = time.perf_counter() - started
            return JobRunResult(job_id, job.name, "failed", None, seconds, 0, log, job._image, message=str(e))
        attempts = job._n_max_attempts or 1
        code, timed_out, message = 1, False, ""
        for n in range(1, attempts + 1):
            if n > 1:
                with open(log, "a") as f:
                    f.write(f"\ngenolog: attempt {n} of {attempts}\n")
            code, timed_out = attempt()
            if code == 0 and not timed_out:
                try:
                    self._copy_outputs(job)
                except TransferError as e:
                    message = str(e)
                    with open(log, "a") as f:
                        f.write(f"genolog: {message}\n")
                    return JobRunResult(
                        job_id, job.name, "failed", 0, time.perf_counter() - started, n, log, job._image,
                        in_container, message,
                    )  # fmt: skip
                return JobRunResult(
                    job_id,
                    job.name,
                    "succeeded",
                    0,
                    time.perf_counter() - started,
                    n,
                    log,
                    job._image,
                    in_container,
                )
            if timed_out:
                message = f"killed after the {job._timeout:g} s timeout"
                with open(log, "a") as f:
                    f.write(f"\ngenolog: {message}\n")
        status: JobStatus = "timed_out" if timed_out else "failed"
        exit_code = None if timed_out else code
        duration = time.perf_counter() - started
        return JobRunResult(
            job_id, job.name, status, exit_code, duration, attempts, log, job._image, in_container, message
        )

    def _bash_argv(self, job: BashJob, script: str, folders: list[str]) -> list[str]:
        shell = job._shell or DEFAULT_SHELL
        if len(script) > _MAX_INLINE_SCRIPT:
            # Too long for one argv string (Linux caps each at 128 KiB): source it from a file,
            # as upstream does beyond 10 KiB.
            code = self.scratch / job._dirname / "code.sh"
            code.parent.mkdir(exist_ok=True)
            code.write_text(script)
            script = f". {shlex.quote(str(code))}"
        if job._image and self.runtime:
            cpu = job._cpu
            mem = job_memory_bytes(job._memory, parse_cpu(cpu) if cpu else 1.0) if job._memory else 0
            flags = self.backend._extra_docker_run_flags
            if self.backend._gsa_key_file:  # where hailtop mounts it
                flags += f" -v {self.backend._gsa_key_file}:/gsa-key/key.json"
            argv = container_command(
                self.runtime,
                image=job._image,
                shell=shell,
                script=script,
                scratch=str(self.scratch),
                workdir=str(self.scratch),
                read_only_mounts=folders,
                cpu=cpu,
                memory_bytes=mem,
                name=f"genolog-{self.scratch.name}-{job._dirname}"[:120],
                extra_flags=flags,
                network=str(config_retrieve(["local_backend", "container_network"], default="none")),
            )
            return argv
        return [shell, "-c", script]

    def _kill_hook(self, job: Job, argv: list[str]) -> list[str] | None:
        """For container jobs, the command that stops the container on timeout."""
        if job._image and self.runtime:
            return engine_for(self.runtime).argv("kill", argv[argv.index("--name") + 1])
        return None

    def _copy_outputs(self, job: Job) -> None:
        for r in job._valid:
            paths = getattr(r, "_output_paths", None)
            if paths and not isinstance(r, ResourceGroup):
                for dest in paths:
                    copy_out(self._path(r), dest)

    def close(self, delete_scratch: bool) -> None:
        if self.pool is not None:
            self.pool.close()
        if self._by_value:
            import cloudpickle

            for name in self._by_value:
                with contextlib.suppress(ValueError, KeyError):
                    cloudpickle.unregister_pickle_by_value(sys.modules[name])
        if delete_scratch:
            remove_in_background(self.scratch)
