"""`BatchPoolExecutor`: `concurrent.futures` over batch jobs, as `hailtop.batch.batch_pool_executor`.

Each `submit` is a batch of one Python job, as in hailtop: the function and its arguments are pickled
here (user code by value, installed packages by reference, as the backends' own Python jobs are), the
job calls them and returns ``(value, None)`` or ``(exception, traceback)``, and `write_output` puts
that into the executor's folder, where the future reads it. The batches run in threads of this
process, so the futures are real `concurrent.futures.Future`s (`concurrent.futures.wait` and
`as_completed` take them) and every backend works: the local one (up to the cpu budget at once), Slurm
(the cluster queues them) and hailtop's, through `HailtopBackend` or `ServiceBackend`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import inspect
import math
import os
import secrets
import shutil
import tempfile
import threading
import traceback
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from genolog.batch._backend import Backend
from genolog.batch._batch import Batch, default_backend
from genolog.batch._hailtop import HailtopBackend
from genolog.batch._host import defining_module, is_installed
from genolog.batch._local import LocalBackend
from genolog.batch._progress import console
from genolog.batch._report import JobFailedError
from genolog.batch._resource import BatchException
from genolog.batch._slurm import SlurmBackend
from genolog.batch._units import parse_cpu
from genolog.paths import is_cloud_path, to_path

_THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
_SLURM_PARALLEL = 64  # batches watched at once on Slurm (each thread polls the cluster)
_pickle_lock = threading.Lock()  # cloudpickle's by-value registry is process-wide


def call_pickled(payload: bytes) -> tuple[Any, list[str] | None]:
    """Run in the job: call the pickled function; ``(value, None)``, or ``(exception, traceback lines)``
    when it raised (the job itself succeeds, so the exception travels back like a value)."""
    import cloudpickle

    function = cloudpickle.loads(payload)
    try:
        value = function()
        if inspect.isawaitable(value):  # a coroutine function, as hailtop allows
            value = asyncio.run(value)  # type: ignore[arg-type]
        return value, None
    except Exception as e:
        lines = traceback.format_exception(type(e), e, e.__traceback__)
        try:
            cloudpickle.dumps(e)
        except Exception:  # an exception that does not pickle comes back as its text
            return None, lines
        return e, lines


def pickle_call(function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> bytes:
    """`function(*args, **kwargs)` pickled: functions of user modules (scripts, tests, project folders)
    by value, so the job need not import them; installed packages by reference."""
    import cloudpickle

    modules = []
    for value in (function, *args, *kwargs.values()):
        module = defining_module(value)
        if module is not None and not is_installed(module):
            modules.append(module)
    with _pickle_lock:
        registered = []
        try:
            for module in modules:
                cloudpickle.register_pickle_by_value(module)
                registered.append(module)
            return bytes(cloudpickle.dumps(functools.partial(function, *args, **kwargs)))
        except Exception as e:
            raise BatchException(f"cannot serialise the function or its arguments: {e}") from e
        finally:
            for module in registered:
                cloudpickle.unregister_pickle_by_value(module)


class BatchPoolFuture(concurrent.futures.Future[Any]):
    """The future of one `BatchPoolExecutor.submit`: a `concurrent.futures.Future`.

    `result()` returns the function's value, or raises what the function raised (with the job's
    traceback as a note), or a `ValueError` ("submitted job failed") when the job itself failed.
    `cancel()` stops the job, as hailtop's does, also once it runs on the local or Slurm backend
    (its worker process is killed, or it is cancelled in Slurm); on hailtop's backends a running
    job is left to finish and `cancel()` answers False.
    """

    def __init__(self, name: str, stoppable: bool) -> None:
        super().__init__()
        self.name = name
        self.batch: Batch | None = None  # once it is running
        self._stoppable = stoppable  # runs on genolog's local or Slurm backend
        self._stop_requested = False

    def cancel(self) -> bool:
        if super().cancel():  # not started: it never will
            return True
        if not (self._stoppable and self.running()):
            return False
        self._stop_requested = True  # the executor reports it cancelled when its run returns
        stop = self.batch._stop if self.batch is not None else None
        if stop is not None:  # None: its run has not started (it will be skipped) or has ended
            stop()
        return True

    def cancelled(self) -> bool:
        return self._stop_requested or super().cancelled()

    def exception(self, timeout: float | None = None) -> BaseException | None:
        error = super().exception(timeout)
        if self._stop_requested:
            raise concurrent.futures.CancelledError()
        return error

    async def async_result(self, timeout: float | None = None) -> Any:
        """`result` for asyncio code: waits without blocking the event loop."""
        if self.cancelled():
            raise concurrent.futures.CancelledError()
        try:  # shielded: a caller's timeout or cancellation leaves the job alone
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(self)), timeout)
        except TimeoutError as e:
            raise concurrent.futures.TimeoutError() from e

    async def async_cancel(self) -> bool:
        """`cancel` for asyncio code."""
        return self.cancel()


class BatchPoolExecutor:
    """An executor that runs Python functions as batch jobs (hailtop's arguments, any genolog backend).

        with BatchPoolExecutor() as bpe:
            nine = bpe.submit(lambda: 3 + 6)
            squares = list(bpe.map(lambda x: x * x, range(4)))

    `backend` defaults as `Batch`'s does (the local backend). `image` and `cpus_per_job` are set on
    every job (the local and Slurm backends run Python jobs with this interpreter, so the image is
    recorded only), and the BLAS thread variables are limited to the job's cpus, as hailtop does.
    Results go through ``<folder>/batch-pool-executor/<name>/``: the backend's scratch folder, or
    ``remote_tmpdir`` on the Hail Batch service; `cleanup_bucket` removes it once every job is done.
    `max_parallel` (genolog's) bounds the batches running at once: default the local backend's cpus
    divided by `cpus_per_job`, 64 on Slurm, 32 on hailtop's backends; `progress` (genolog's) shows a
    progress bar of the jobs while any is running. `project` is accepted for
    hailtop compatibility (hailtop's storage project); genolog's cloud paths use the configured one.
    """

    def __init__(
        self,
        *,
        name: str | None = None,
        backend: Backend | None = None,
        image: str | None = None,
        cpus_per_job: int | str | None = None,
        wait_on_exit: bool = True,
        cleanup_bucket: bool = True,
        project: str | None = None,
        max_parallel: int | None = None,
        progress: bool = True,
    ) -> None:
        self.name = name or f"BatchPoolExecutor-{secrets.token_hex(2)}"
        self.backend = backend if backend is not None else default_backend()
        self.image = image
        self.cpus_per_job = cpus_per_job
        self.wait_on_exit = wait_on_exit
        self.cleanup_bucket = cleanup_bucket
        self.project = project
        try:
            cpus = parse_cpu(cpus_per_job) if cpus_per_job is not None else 1.0
        except (BatchException, ValueError) as e:
            raise BatchException(f"cpus_per_job: {e}") from None
        self._thread_limit = str(max(1, int(cpus)))
        self.directory = self._directory()
        quiet = isinstance(self.backend, LocalBackend) or self.backend.submits_to_service
        # hailtop's LocalBackend takes no run options
        self._run_options: dict[str, Any] = {"disable_progress_bar": True} if quiet else {}
        if max_parallel is None:
            if isinstance(self.backend, SlurmBackend):
                max_parallel = _SLURM_PARALLEL
            elif isinstance(self.backend, LocalBackend):
                max_parallel = max(1, math.floor(self.backend._cpus / cpus + 1e-9))
            else:
                max_parallel = 32
        if max_parallel < 1:
            raise BatchException(f"max_parallel must be at least 1, not {max_parallel}")
        self._threads = concurrent.futures.ThreadPoolExecutor(max_parallel, thread_name_prefix="genolog-pool")
        self.futures: list[BatchPoolFuture] = []
        self.batches: list[Batch] = []  # one per submitted call, as hailtop keeps them
        self._lock = threading.Lock()
        self._shutdown = False
        self._progress = _Progress(self.name, enabled=progress)

    def _directory(self) -> str:
        if isinstance(self.backend, LocalBackend):
            root = self.backend._tmp_dir
        elif isinstance(self.backend, HailtopBackend) and self.backend.submits_to_service:
            root = str(self.backend.hail_backend().remote_tmpdir)
        else:  # hailtop's own backends on this machine
            root = tempfile.gettempdir()
        return f"{root.rstrip('/')}/batch-pool-executor/{self.name}"

    # -- submitting ------------------------------------------------------------------------------
    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> BatchPoolFuture:
        """Run ``fn(*args, **kwargs)`` as a job; returns its future at once."""
        if self._shutdown:
            raise RuntimeError("BatchPoolExecutor has already been shutdown.")
        if not callable(fn):
            raise BatchException(f"submit takes a function, not {type(fn).__name__}")
        payload = pickle_call(fn, args, kwargs)
        name = f"{getattr(fn, '__name__', '<anonymous>')}-{secrets.token_hex(2)}"
        future = BatchPoolFuture(name, stoppable=isinstance(self.backend, LocalBackend))
        with self._lock:
            self.futures.append(future)
        self._progress.added()
        future.add_done_callback(self._progress.done)
        self._threads.submit(self._run, future, payload)
        return future

    def map(
        self,
        fn: Callable[..., Any],
        *iterables: Iterable[Any],
        timeout: float | None = None,
        chunksize: int = 1,
    ) -> Iterator[Any]:
        """``fn`` over the zipped `iterables`, one job per `chunksize` calls; yields the results in
        order. All jobs are submitted at once; `timeout` bounds the wait for each result (as hailtop's).
        The first failure cancels the jobs not yet started and is raised."""
        futures = self._submit_all(fn, iterables, chunksize)

        def results() -> Iterator[Any]:
            try:
                for future in futures:
                    value = future.result(timeout)
                    yield from (value if chunksize > 1 else [value])
            except BaseException:
                for future in futures:
                    future.cancel()
                raise

        return results()

    async def async_submit(self, unapplied: Callable[..., Any], *args: Any, **kwargs: Any) -> BatchPoolFuture:
        """`submit` for asyncio code (submitting never blocks)."""
        return self.submit(unapplied, *args, **kwargs)

    async def async_map(
        self,
        fn: Callable[..., Any],
        iterables: Iterable[Iterable[Any]],
        timeout: float | None = None,
        chunksize: int = 1,
    ) -> AsyncIterator[Any]:
        """`map` for asyncio code; as hailtop's, `iterables` is one argument, and the answer an async
        iterator of the results in order."""
        futures = self._submit_all(fn, tuple(iterables), chunksize)

        async def results() -> AsyncIterator[Any]:
            try:
                for future in futures:
                    value = await future.async_result(timeout)
                    for item in value if chunksize > 1 else [value]:
                        yield item
            except BaseException:
                for future in futures:
                    future.cancel()
                raise

        return results()

    def _submit_all(
        self, fn: Callable[..., Any], iterables: tuple[Iterable[Any], ...], chunksize: int
    ) -> list[BatchPoolFuture]:
        if chunksize < 1:
            raise BatchException(f"chunksize must be at least 1, not {chunksize}")
        arguments = list(zip(*iterables, strict=False))
        if chunksize == 1:
            return [self.submit(fn, *a) for a in arguments]
        chunks = [arguments[i : i + chunksize] for i in range(0, len(arguments), chunksize)]
        return [self.submit(_call_each, fn, chunk) for chunk in chunks]

    # -- running ---------------------------------------------------------------------------------
    def _run(self, future: BatchPoolFuture, payload: bytes) -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            outcome = self._outcome(future, payload)
        except BaseException as e:
            outcome = e
        if future._stop_requested:  # cancelled while running: whatever the run left is moot
            future.set_exception(concurrent.futures.CancelledError())
        elif isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome[0])

    def _outcome(self, future: BatchPoolFuture, payload: bytes) -> BaseException | tuple[Any]:
        """Run the call as a one-job batch: ``(value,)``, or the exception the future raises."""
        if future._stop_requested:
            return concurrent.futures.CancelledError()
        output = f"{self.directory}/outputs/{future.name}/output"
        b = Batch(name=f"{self.name}-{future.name}", backend=self.backend)
        b._print_summary = False  # the executor's progress bar counts them instead
        future.batch = b
        with self._lock:
            self.batches.append(b)
        j = b.new_python_job(future.name)
        if self.image is not None:
            j.image(self.image)
        if self.cpus_per_job is not None:
            j.cpu(self.cpus_per_job)
        for variable in _THREAD_VARIABLES:
            j.env(variable, self._thread_limit)
        b.write_output(j.call(call_pickled, payload), output)
        try:
            b.run(**self._run_options)
        except JobFailedError as e:
            tail = f":\n{e.log_tail}" if e.log_tail else ""
            return ValueError(f"submitted job failed ({e.job.status}, log {e.job.log_path}){tail}")
        if future._stop_requested:
            return concurrent.futures.CancelledError()
        value, lines = _read_output(output)
        if lines is None:
            return (value,)
        if isinstance(value, BaseException):
            value.add_note("Traceback in the job:\n" + "".join(lines).rstrip())
            return value
        return ValueError("submitted job failed:\n" + "".join(lines))

    # -- ending ----------------------------------------------------------------------------------
    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """No more submissions. With `wait`, block until every job has ended; `cancel_futures` cancels
        them all (`BatchPoolFuture.cancel`). The executor's folder goes (with `cleanup_bucket`) once
        all have ended."""
        self._shutdown = True
        if cancel_futures:
            for future in self.futures:
                future.cancel()
        self._threads.shutdown(wait=wait)
        if wait:
            self._progress.close()
            self._cleanup()
        else:  # clean up after the last one ends
            threading.Thread(target=self._cleanup_when_done, daemon=False).start()

    def _cleanup_when_done(self) -> None:
        concurrent.futures.wait(self.futures)
        self._progress.close()
        self._cleanup()

    def _cleanup(self) -> None:
        if not self.cleanup_bucket:
            return
        if is_cloud_path(self.directory):
            folder = to_path(self.directory)
            if folder.exists():
                folder.rmtree()  # type: ignore[union-attr]
        else:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> BatchPoolExecutor:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.shutdown(wait=self.wait_on_exit)


class _Progress:
    """One bar for all the executor's jobs: its total grows with each submit."""

    def __init__(self, name: str, enabled: bool) -> None:
        self._name = escape(name)
        self._enabled = enabled
        self._bar: Progress | None = None
        self._lock = threading.Lock()
        self._counts = {"ok": 0, "failed": 0, "cancelled": 0}

    def added(self) -> None:
        if not self._enabled:
            return
        with self._lock:
            if self._bar is None:
                self._bar = Progress(
                    TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=False,
                )  # fmt: skip
                self._task = self._bar.add_task(self._name, total=0)
                self._bar.start()
            self._bar.update(self._task, total=(self._bar.tasks[0].total or 0) + 1)

    def done(self, future: concurrent.futures.Future[Any]) -> None:
        if self._bar is None:
            return
        with self._lock:
            outcome = "cancelled" if future.cancelled() else "failed" if future.exception() else "ok"
            self._counts[outcome] += 1
            words = [f"{n} {what}" for what, n in self._counts.items() if n]
            self._bar.update(self._task, advance=1, description=f"{self._name}: {', '.join(words)}")

    def close(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.stop()


def _call_each(fn: Callable[..., Any], chunk: list[tuple[Any, ...]]) -> list[Any]:
    """One job of a chunked `map`: ``fn`` on each argument tuple."""
    return [fn(*arguments) for arguments in chunk]


def _read_output(output: str) -> tuple[Any, list[str] | None]:
    import cloudpickle

    path = to_path(output) if is_cloud_path(output) else Path(os.path.expanduser(output))
    data = path.read_bytes()
    value, lines = cloudpickle.loads(data)
    return value, lines
