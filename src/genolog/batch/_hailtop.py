"""Running genolog batches with hailtop.batch: on the Hail Batch service, or on any hailtop backend.

genolog's job graph is replayed as a `hailtop.batch.Batch`, job by job and call by call, with the
commands as the user wrote them (placeholders intact), so hailtop plans paths, uploads inputs and
Python functions and submits exactly as it would for a script written against it. hail is an optional
extra (``pip install 'genolog[hail]'``) and is imported only when one of these backends is made.
"""

from __future__ import annotations

import importlib
import logging
import os
import re
import uuid
import weakref
from types import ModuleType
from typing import TYPE_CHECKING, Any

from genolog.batch._backend import Backend
from genolog.batch._job import BashJob, Job, PythonJob
from genolog.batch._resource import (
    UID_PATTERN,
    BatchException,
    InputResourceFile,
    JobResourceFile,
    Resource,
    ResourceFile,
    ResourceGroup,
)
from genolog.config import CONFIG_PATH_ENV_VARS, get_config, write_config
from genolog.paths import is_cloud_path

if TYPE_CHECKING:
    from genolog.batch._batch import Batch

_log = logging.getLogger(__name__)
_UID_RE = re.compile(UID_PATTERN)
INSTALL_HINT = "pip install 'genolog[hail]'"


def import_hailtop_batch() -> ModuleType:
    """`hailtop.batch`, or a `BatchException` saying how to install it."""
    try:
        return importlib.import_module("hailtop.batch")
    except ImportError as e:
        raise BatchException(
            f"the Hail Batch backends need hail, which is not installed here ({e}): {INSTALL_HINT}"
        ) from None


class _Replay:
    """One genolog `Batch` as one `hailtop.batch.Batch`, extended on each run by the jobs added since."""

    def __init__(self, hb: ModuleType, batch: Batch, hail_backend: Any, *, service: bool) -> None:
        self.service = service
        self.target = hb.Batch(
            name=batch.name,
            backend=hail_backend,
            attributes=dict(batch.attributes),
            requester_pays_project=batch.requester_pays_project,
            cancel_after_n_failures=batch._cancel_after_n_failures,
        )
        self.jobs: dict[Job, Any] = {}
        self.resources: dict[str, Any] = {}  # genolog uid -> hailtop resource
        self.written: set[tuple[str, str]] = set()

    def add(self, batch: Batch, jobs: list[Job]) -> None:
        """Replay `jobs` (parents first), then every `write_output` not yet replayed."""
        outputs = self._unwritten_outputs(batch)
        if self.service:  # refused before anything is replayed
            for _, path in outputs:
                if not is_cloud_path(path):
                    raise BatchException(
                        f"write_output to {path!r}: the Hail Batch service's workers cannot write to "
                        "this machine's folders; write to a gs:// (or other bucket) path instead"
                    )
        for job in jobs:
            if job not in self.jobs:  # replayed by an earlier dry run, still unsubmitted
                self._add_job(job)
        for resource, path in outputs:
            source = resource.source()
            if source is None or source in self.jobs:
                self.target.write_output(self._resource(resource), path)
                self.written.add((resource._uid, path))

    def _add_job(self, job: Job) -> None:
        if isinstance(job, BashJob):
            target = self.target.new_bash_job(
                name=job.name, attributes=dict(job.attributes), shell=job._shell
            )
        else:
            target = self.target.new_python_job(name=job.name, attributes=dict(job.attributes))
        self.jobs[job] = target
        self._set_options(job, target)
        for name, resource in job._resources.items():
            if isinstance(resource, ResourceGroup):
                target.declare_resource_group(**{name: dict(resource._templates)})
        if isinstance(job, PythonJob):
            for result, function, args, kwargs in job._calls:
                called = target.call(function, *self._argument(args), **self._argument(kwargs))
                self.resources[result._uid] = called
                for kind, file in result._converted.items():
                    self.resources[file._uid] = getattr(called, f"as_{kind}")()
        elif isinstance(job, BashJob):
            for command in job._raw_commands:
                target.command(_UID_RE.sub(lambda m: str(self._resource_by_uid(job, m.group())), command))
        parents = [self.jobs[parent] for parent in job._dependencies if parent in self.jobs]
        if parents:
            target.depends_on(*parents)

    def _set_options(self, job: Job, target: Any) -> None:
        for variable, value in job._env.items():
            target.env(variable, value)
        if job._always_run:
            target.always_run()
        options: dict[str, object] = {  # hailtop setter -> genolog's setting (None: never set)
            "image": job._image,
            "cpu": job._cpu,
            "memory": job._memory,
            "storage": job._storage,
            "n_max_attempts": job._n_max_attempts,
            "spot": job._preemptible,
        }
        for option, setting in options.items():
            if setting is not None:
                getattr(target, option)(setting)
        service_only: dict[str, object] = {
            "timeout": job._timeout,
            "regions": job._regions,
            "always_copy_output": job._always_copy_output or None,
        }
        for option, setting in service_only.items():
            if setting is None:
                continue
            if self.service:
                getattr(target, option)(setting)
            else:  # hailtop's LocalBackend raises NotImplementedError for these
                _log.info(
                    "job %s: %s=%r has no effect on hailtop's local backend", job._describe(), option, setting
                )

    def _argument(self, value: Any) -> Any:
        """A `call` argument with genolog's resources swapped for hailtop's, at any depth."""
        if isinstance(value, Resource):
            return self._resource(value)
        if isinstance(value, list):
            return [self._argument(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self._argument(v) for v in value)
        if isinstance(value, dict):
            return {k: self._argument(v) for k, v in value.items()}
        return value

    def _resource_by_uid(self, job: Job, uid: str) -> Any:
        resource = job._batch._resource_map.get(uid)
        if resource is None:  # Job.command already refused unknown placeholders
            raise BatchException(f"undefined resource '{uid}' in job {job._describe()}")
        return self._resource(resource)

    def _resource(self, resource: Resource) -> Any:
        found = self.resources.get(resource._uid)
        if found is not None:
            return found
        source = resource.source()
        if isinstance(resource, ResourceGroup):
            if source is None:
                inputs = resource._resources.items()
                found = self.target.read_input_group(
                    **{
                        name: member._input_path
                        for name, member in inputs
                        if isinstance(member, InputResourceFile)
                    }
                )
            else:
                found = self.jobs[source][source._resources_inverse[resource]]
        elif isinstance(resource, ResourceFile) and resource._resource_group is not None:
            group = resource._resource_group
            found = self._resource(group)[_member_name(group, resource)]
        elif isinstance(resource, InputResourceFile):
            found = self.target.read_input(resource._input_path)
        elif isinstance(resource, JobResourceFile) and source is not None:
            found = self.jobs[source][source._resources_inverse[resource]]
            if resource._extension is not None:
                found.add_extension(resource._extension)
        else:  # a PythonResult is registered when its call is replayed, before anything can use it
            raise BatchException(f"cannot hand {resource._uid} ({type(resource).__name__}) to hailtop.batch")
        self.resources[resource._uid] = found
        return found

    def _unwritten_outputs(self, batch: Batch) -> list[tuple[Resource, str]]:
        """Every (resource, destination) `write_output` asked for that is not replayed yet; a group
        member's share of its group's destination is left to the group (hailtop writes
        ``<dest>.<name>`` for each member itself)."""
        outputs = []
        for resource in batch._resource_map.values():
            paths: list[str] = list(getattr(resource, "_output_paths", []))
            if isinstance(resource, ResourceFile) and resource._resource_group is not None:
                name = _member_name(resource._resource_group, resource)
                with_group = {f"{g}.{name}" for g in resource._resource_group._output_paths}
                paths = [p for p in paths if p not in with_group]
            outputs += [(resource, p) for p in paths if (resource._uid, p) not in self.written]
        return outputs


def _member_name(group: ResourceGroup, member: ResourceFile) -> str:
    return next(name for name, r in group._resources.items() if r is member)


class HailtopBackend(Backend):
    """Runs genolog batches on a `hailtop.batch` backend, e.g. ``HailtopBackend(hailtop.batch.LocalBackend())``.

    `run()` returns what hailtop returns (a `hailtop.batch_client.client.Batch` on the service, `None`
    locally) and raises what hailtop raises.
    """

    def __init__(self, hail_backend: Any) -> None:
        self._hb = import_hailtop_batch()
        self._hail_backend = hail_backend
        # a batch keeps its hailtop twin across runs, so a second run() adds only the new jobs
        self._replays: weakref.WeakKeyDictionary[Batch, _Replay] = weakref.WeakKeyDictionary()

    @property
    def submits_to_service(self) -> bool:
        return bool(isinstance(self._hail_backend, self._hb.ServiceBackend))

    def hail_backend(self) -> Any:
        """The hailtop backend the batches run on."""
        return self._hail_backend

    def _job_env(self, dry_run: bool) -> dict[str, str]:
        """Job environment overrides; none for a hailtop backend on this machine."""
        return {}

    def replay(self, batch: Batch, dry_run: bool = False) -> Any:
        """The `hailtop.batch.Batch` for `batch`, with its unsubmitted jobs added (what `run` submits)."""
        return self._replay_jobs(batch, batch._unsubmitted_jobs(), dry_run)

    def _replay_jobs(self, batch: Batch, jobs: list[Job], dry_run: bool) -> Any:
        replay = self._replays.get(batch)
        if replay is None:
            replay = _Replay(self._hb, batch, self.hail_backend(), service=self.submits_to_service)
            self._replays[batch] = replay
        replay.add(batch, jobs)
        # set at each run, not at replay: a dry run's replayed jobs keep this machine's values
        overrides = self._job_env(dry_run)
        for job in jobs:
            for variable in overrides.keys() & job._env.keys():
                replay.jobs[job].env(variable, overrides[variable])
        return replay.target

    def _run(
        self, batch: Batch, dry_run: bool, verbose: bool, delete_scratch_on_exit: bool, **backend_kwargs: Any
    ) -> Any:
        jobs = batch._unsubmitted_jobs()
        target = self._replay_jobs(batch, jobs, dry_run)
        outcome = target.run(
            dry_run=dry_run, verbose=verbose, delete_scratch_on_exit=delete_scratch_on_exit, **backend_kwargs
        )
        if not dry_run:
            for job in jobs:
                job._submitted = True
        return outcome

    def close(self) -> None:
        self._replays.clear()
        if self._hail_backend is not None:
            self._hail_backend.close()


class ServiceBackend(HailtopBackend):
    """The Hail Batch service, through `hailtop.batch.ServiceBackend` (same arguments).

    The hailtop backend is made on the first run, so building a batch never touches the network.
    Jobs get the merged genolog config written to ``<remote_tmpdir>/config/<uuid>.toml`` (their
    ``GENOLOG_CONFIG_PATH``/``CPG_CONFIG_PATH`` name it), as cpg_utils does, since a worker cannot
    read this machine's files.
    """

    def __init__(
        self,
        billing_project: str | None = None,
        *,
        remote_tmpdir: str | None = None,
        regions: list[str] | None = None,
        token: str | None = None,
        **service_kwargs: Any,
    ) -> None:
        super().__init__(None)
        self._service_kwargs = {
            "billing_project": billing_project,
            "remote_tmpdir": remote_tmpdir,
            "regions": regions,
            "token": token,
            **service_kwargs,
        }
        self._config_url: str | None = None

    @property
    def submits_to_service(self) -> bool:
        return True

    def hail_backend(self) -> Any:
        if self._hail_backend is None:
            try:
                self._hail_backend = self._hb.ServiceBackend(**self._service_kwargs)
            except ValueError as e:  # hailtop's word for a missing billing project or a bad tmpdir
                raise BatchException(
                    f"cannot use the Hail Batch service: {e} "
                    "(genolog reads [hail] billing_project, remote_tmpdir and regions)"
                ) from None
        return self._hail_backend

    def _job_env(self, dry_run: bool) -> dict[str, str]:
        if dry_run or not any(os.environ.get(v) for v in CONFIG_PATH_ENV_VARS):
            return {}
        if self._config_url is None:
            tmpdir = str(self.hail_backend().remote_tmpdir).rstrip("/")
            url = f"{tmpdir}/config/{uuid.uuid4()}.toml"
            try:
                self._config_url = write_config(get_config(), url)
            except OSError as e:
                raise BatchException(f"cannot write the jobs' config to {url} ({e})") from None
        return dict.fromkeys(CONFIG_PATH_ENV_VARS, self._config_url)
