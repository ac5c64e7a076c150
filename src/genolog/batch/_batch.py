"""The job graph: `Batch`, compatible with `hailtop.batch.Batch`."""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genolog.batch._job import BashJob, Job, PythonJob, _token
from genolog.batch._resource import (
    BatchException,
    InputResourceFile,
    JobResourceFile,
    PythonResult,
    Resource,
    ResourceFile,
    ResourceGroup,
)
from genolog.paths import is_cloud_path

if TYPE_CHECKING:
    from genolog.batch._backend import Backend
    from genolog.batch._report import BatchRunResult

_batch_counter = itertools.count(1)


def default_backend() -> Backend:
    """The backend of a `Batch` (or `BatchPoolExecutor`) made without one: ``$HAIL_BATCH_BACKEND``, which
    is ``local`` (the default), ``service`` (hailtop's, set up by hailctl's config) or genolog's
    ``slurm`` (set up by the ``[slurm]`` config section)."""
    choice = os.environ.get("HAIL_BATCH_BACKEND", "local")
    if choice == "service":
        from genolog.batch._hailtop import ServiceBackend

        return ServiceBackend()
    if choice == "slurm":
        from genolog.batch._slurm import SlurmBackend

        return SlurmBackend()
    if choice != "local":
        raise BatchException(f"HAIL_BATCH_BACKEND is {choice!r}; expected 'local', 'service' or 'slurm'")
    from genolog.batch._local import LocalBackend

    return LocalBackend()


class Batch:
    """A graph of jobs, run by a backend (genolog's parallel `LocalBackend` by default).

    `default_*` options are applied to every new job through the job's setter. Unlike upstream,
    `default_timeout` and `cancel_after_n_failures` work with the local backend.
    """

    def __init__(
        self,
        name: str | None = None,
        backend: Backend | None = None,
        attributes: dict[str, str] | None = None,
        requester_pays_project: str | None = None,
        default_image: str | None = None,
        default_memory: str | int | None = None,
        default_cpu: str | int | float | None = None,
        default_storage: str | int | None = None,
        default_regions: list[str] | None = None,
        default_timeout: float | int | None = None,
        default_shell: str | None = None,
        default_python_image: str | None = None,
        default_spot: bool | None = None,
        project: str | None = None,
        cancel_after_n_failures: int | None = None,
    ) -> None:
        self._backend = backend if backend is not None else default_backend()
        self._uid = f"__BATCH__{next(_batch_counter)}"
        self.name = name
        self.attributes = dict(attributes or {})
        if "name" in self.attributes:
            raise BatchException("'name' is not a valid attribute. Use the name argument instead.")
        self.requester_pays_project = requester_pays_project
        self._default_image = default_image
        self._default_memory = default_memory
        self._default_cpu = default_cpu
        self._default_storage = default_storage
        self._default_regions = default_regions
        self._default_timeout = default_timeout
        self._default_shell = default_shell
        self._default_python_image = default_python_image
        self._default_spot = default_spot
        self._cancel_after_n_failures = cancel_after_n_failures
        if cancel_after_n_failures is not None and cancel_after_n_failures < 1:
            raise BatchException("cancel_after_n_failures must be at least 1")
        self._jobs: list[Job] = []
        self._resource_map: dict[str, Resource] = {}
        self._allocated_tokens: set[str] = set()
        self._input_resources: list[InputResourceFile] = []
        self._copied_inputs: set[tuple[str, str]] = set()  # (input uid, destination) already written
        # The run record of the local and Slurm backends: made by the first run(), appended to by the
        # later ones (and by the runs of a batch reopened with from_batch_id), job ids continuing.
        self._run_dir: Path | None = None
        self._recorded_jobs = 0
        self._stop: Callable[[], None] | None = None  # while the local or Slurm backend runs it
        self._print_summary = True  # the local and Slurm backends' closing line (BatchPoolExecutor: off)

    @classmethod
    def from_batch_id(cls, batch_id: str | os.PathLike[str], *args: Any, **kwargs: Any) -> Batch:
        """Reopen a batch the local or Slurm backend ran: new jobs added to it run into the same run
        record, numbered after the jobs already there, as hailtop appends to a batch on the service.

        `batch_id` is a run directory (`Batch.batch_id`, printed by `run()`) or its name, looked up in
        the runs folder of `backend` (else of the configured local and Slurm backends). The other
        arguments are `Batch`'s; without a `backend`, the recorded one is made again (same kind,
        scratch and runs folder). The batch's name and attributes default to the recorded ones. The
        earlier jobs' scratch files are gone: use what they wrote with `write_output` via `read_input`.
        """
        from genolog.batch._reopen import reopen

        return reopen(cls, batch_id, args, kwargs)

    @property
    def batch_id(self) -> str | None:
        """The run directory of this batch's record (None before its first local or Slurm run); give it
        to `from_batch_id` or ``genolog run-status``."""
        return str(self._run_dir) if self._run_dir is not None else None

    # -- internals -------------------------------------------------------------------------------
    def _new_token(self) -> str:
        while (token := _token()) in self._allocated_tokens:
            pass
        self._allocated_tokens.add(token)
        return token

    def _register_resource(self, r: Any) -> Any:
        self._resource_map[r._uid] = r
        return r

    def _apply_defaults(self, job: Job, image: str | None) -> None:
        if image is not None:
            job.image(image)
        if self._default_memory is not None:
            job.memory(self._default_memory)
        if self._default_cpu is not None:
            job.cpu(self._default_cpu)
        if self._default_storage is not None:
            job.storage(self._default_storage)
        if self._default_regions is not None:
            job.regions(self._default_regions)
        if self._default_timeout is not None:
            job.timeout(self._default_timeout)
        if self._default_spot is not None:
            job.spot(self._default_spot)

    # -- jobs ------------------------------------------------------------------------------------
    def new_job(
        self, name: str | None = None, attributes: dict[str, str] | None = None, shell: str | None = None
    ) -> BashJob:
        """A new bash job (alias of `new_bash_job`)."""
        return self.new_bash_job(name, attributes, shell)

    def new_bash_job(
        self, name: str | None = None, attributes: dict[str, str] | None = None, shell: str | None = None
    ) -> BashJob:
        if attributes is not None and not isinstance(attributes, dict):
            raise BatchException(f"attributes must be a dict, not {type(attributes).__name__}")
        job = BashJob(
            self, self._new_token(), name=name, attributes=attributes, shell=shell or self._default_shell
        )
        self._apply_defaults(job, self._default_image)
        self._jobs.append(job)
        return job

    def new_python_job(self, name: str | None = None, attributes: dict[str, str] | None = None) -> PythonJob:
        """A new job whose `call`s run Python functions with the submitting interpreter."""
        if attributes is not None and not isinstance(attributes, dict):
            raise BatchException(f"attributes must be a dict, not {type(attributes).__name__}")
        job = PythonJob(self, self._new_token(), name=name, attributes=attributes)
        self._apply_defaults(job, self._default_python_image)
        self._jobs.append(job)
        return job

    # -- files -----------------------------------------------------------------------------------
    def _new_input(self, path: str | os.PathLike[str], value: str) -> InputResourceFile:
        text = os.fspath(path)
        if not text:
            raise BatchException("read_input: the path is empty")
        if not is_cloud_path(text) and "://" not in text:
            text = os.path.abspath(os.path.expanduser(text))
        elif "://" in text and not is_cloud_path(text) and not text.startswith("file://"):
            raise BatchException(
                f"read_input: unsupported URL scheme in {text!r} (use a local path, gs:// or s3://)"
            )
        r = InputResourceFile(value, text)
        self._register_resource(r)
        self._input_resources.append(r)
        return r

    def read_input(self, path: str | os.PathLike[str]) -> InputResourceFile:
        """A file from outside the batch; local paths need not exist until the job runs."""
        base = os.path.basename(os.fspath(path).rstrip("/")) or "input"
        return self._new_input(path, f"{self._new_token()}/{base}")

    def read_input_group(self, **kwargs: str | os.PathLike[str]) -> ResourceGroup:
        """Files that belong together, localised side by side as ``<root>.<name>``."""
        if not kwargs:
            raise BatchException("read_input_group needs at least one name=path")
        root = self._new_token()
        members: dict[str, ResourceFile] = {
            name: self._new_input(path, f"{root}.{name}") for name, path in kwargs.items()
        }
        group = ResourceGroup(None, root, **members)
        self._register_resource(group)
        return group

    def write_output(self, resource: Resource, dest: str | os.PathLike[str]) -> None:
        """Copy `resource` to `dest` (local path, gs:// or s3://) when its job succeeds.

        A resource group writes ``<dest>.<name>`` for each member.
        """
        if not isinstance(resource, Resource):
            raise BatchException(f"write_output takes a resource, not {type(resource).__name__}")
        if resource._uid not in self._resource_map:
            raise BatchException(f"undefined resource '{resource._uid}': it belongs to another batch")
        text = os.fspath(dest)
        if not text:
            raise BatchException("write_output: the destination is empty")
        if text.startswith("file://"):
            text = text.removeprefix("file://")
        if not is_cloud_path(text):
            if "://" in text:
                raise BatchException(f"write_output: unsupported URL scheme in {text!r}")
            text = os.path.abspath(os.path.expanduser(text))
        if isinstance(resource, JobResourceFile | PythonResult | ResourceGroup):
            source = resource.source()
            if source is not None and resource not in source._valid:
                name = source._resources_inverse.get(resource, resource._uid)
                raise BatchException(
                    f"undefined resource '{name}'\nHint: resources must be defined within the "
                    "job methods 'command' or 'declare_resource_group'"
                )
        if isinstance(resource, ResourceGroup):
            for name, member in resource._resources.items():
                member._add_output_path(f"{text}.{name}")
        resource._add_output_path(text)

    def select_jobs(self, pattern: str) -> list[Job]:
        """Jobs whose name matches the regular expression at its start (`re.match`)."""
        return [job for job in self._jobs if job.name is not None and re.match(pattern, job.name) is not None]

    # -- running ---------------------------------------------------------------------------------
    def _unsubmitted_jobs(self) -> list[Job]:
        """Jobs not yet run, parents first: depth-first in creation order."""
        order: list[Job] = []
        state: dict[Job, int] = {}  # 1 = on the stack, 2 = done
        for root in self._jobs:
            if root._submitted or root in state:
                continue
            stack: list[tuple[Job, Any]] = [(root, iter(root._dependencies))]
            state[root] = 1
            while stack:
                job, parents = stack[-1]
                for parent in parents:
                    if parent._submitted:
                        continue
                    mark = state.get(parent)
                    if mark == 1:
                        raise BatchException("cycle detected in dependency graph")
                    if mark is None:
                        state[parent] = 1
                        stack.append((parent, iter(parent._dependencies)))
                        break
                else:
                    stack.pop()
                    state[job] = 2
                    order.append(job)
        return order

    def run(
        self,
        dry_run: bool = False,
        verbose: bool = False,
        delete_scratch_on_exit: bool = True,
        **backend_kwargs: Any,
    ) -> BatchRunResult | None:
        """Run the jobs added since the last `run()`.

        With the local backend this returns a `BatchRunResult` (per-job status, exit code,
        duration and log file) and raises `JobFailedError`, a `subprocess.CalledProcessError`,
        for the first failed job after everything that could run has run; the result covers this
        run's jobs, and the run record (`batch_id`) every run's of this batch. The Hail Batch backends
        (`ServiceBackend`, `HailtopBackend`) return and raise what hailtop does.
        """
        return self._backend._run(self, dry_run, verbose, delete_scratch_on_exit, **backend_kwargs)

    def __str__(self) -> str:
        return self._uid

    def __repr__(self) -> str:
        return f"<Batch {self.name!r}: {len(self._jobs)} jobs>"
