"""Jobs: bash jobs (`command`) and Python jobs (`call`), with hailtop.batch's setters."""

from __future__ import annotations

import inspect
import itertools
import re
import secrets
import string
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self

from genolog.batch._resource import (
    UID_PATTERN,
    BatchException,
    JobResourceFile,
    PythonResult,
    Resource,
    ResourceFile,
    ResourceGroup,
)
from genolog.batch._units import parse_cpu, parse_memory

if TYPE_CHECKING:
    from genolog.batch._batch import Batch

_job_counter = itertools.count(1)
_ALPHANUM = string.ascii_lowercase + string.digits
_UID_RE = re.compile(UID_PATTERN)


def _token(n: int = 5) -> str:
    return "".join(secrets.choice(_ALPHANUM) for _ in range(n))


def _safe_str(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


class Job:
    """One step of a batch. Every setter returns the job, so calls can be chained."""

    def __init__(
        self, batch: Batch, token: str, *, name: str | None = None, attributes: dict[str, str] | None = None
    ) -> None:
        self._batch = batch
        self._uid = f"__JOB__{next(_job_counter)}"
        self._token = token
        self.name = name
        self.attributes = dict(attributes or {})
        # capped: folder names over 255 bytes are an error on most file systems
        self._dirname = f"{_safe_str(name)[:100]}-{token}" if name else token
        self._resources: dict[str, Resource] = {}
        self._resources_inverse: dict[Resource, str] = {}
        self._valid: set[Resource] = set()  # own resources a command or group declared
        self._mentioned: set[Resource] = set()
        self._inputs: dict[Resource, None] = {}  # ordered set: resources of other jobs / inputs
        self._dependencies: dict[Job, None] = {}
        self._env: dict[str, str] = {}
        self._image: str | None = None
        self._cpu: str | None = None
        self._memory: str | None = None
        self._storage: str | None = None
        self._timeout: float | None = None
        self._n_max_attempts: int | None = None
        self._always_run = False
        self._preemptible: bool | None = None
        self._regions: list[str] | None = None
        self._always_copy_output = False
        self._submitted = False

    # -- resources -------------------------------------------------------------------------------
    def _get_resource(self, item: str) -> Resource:
        if item not in self._resources:
            r = JobResourceFile(item, self)
            self._batch._register_resource(r)
            self._resources[item] = r
            self._resources_inverse[r] = item
        return self._resources[item]

    def __getitem__(self, item: str) -> Resource:
        return self._get_resource(item)

    def __getattr__(self, item: str) -> Any:
        if item.startswith("_"):
            raise AttributeError(item)
        return self._get_resource(item)

    def declare_resource_group(self, **mappings: dict[str, str]) -> Self:
        """Declare output groups: ``j.declare_resource_group(ofile={'bed': '{root}.bed', ...})``."""
        for name, templates in mappings.items():
            if name in self._resources:
                raise BatchException(f"a resource named {name!r} already exists in this job")
            if not isinstance(templates, dict):
                raise BatchException(
                    f"value for name '{name}' is not a dict. Found '{type(templates)}' instead."
                )
            members: dict[str, ResourceFile] = {}
            for member, template in templates.items():
                if not isinstance(template, str):
                    raise BatchException(
                        f"value for name '{member}' is not a string. Found '{type(template)}' instead."
                    )
                try:
                    value = template.format_map({"root": name})
                except (KeyError, ValueError, IndexError) as e:
                    raise BatchException(
                        f"cannot expand {template!r}: only {{root}} may be used ({e})"
                    ) from None
                members[member] = self._batch._register_resource(JobResourceFile(value, self))
            group = ResourceGroup(self, name, **members)
            group._templates = dict(templates)
            self._batch._register_resource(group)
            self._resources[name] = group
            self._resources_inverse[group] = name
            self._add_valid(group)
        return self

    def _add_valid(self, r: Resource) -> None:
        if isinstance(r, ResourceGroup):
            self._valid.add(r)
            self._valid.update(r._resources.values())
        elif isinstance(r, ResourceFile) and r._resource_group is not None:
            self._add_valid(r._resource_group)
        else:
            self._valid.add(r)

    def _add_input(self, r: Resource) -> None:
        if isinstance(r, ResourceFile) and r._resource_group is not None:
            r = r._resource_group
        self._inputs[r] = None

    def _interpolate(self, command: str, allow_python_results: bool = False) -> str:
        """Replace placeholders with scratch paths; record inputs, outputs and dependencies."""

        def replace(match: re.Match[str]) -> str:
            uid = match.group()
            if uid.startswith("__JOB__"):
                raise BatchException(f"found a reference to a Job object in command '{command}'.")
            if uid.startswith("__BATCH__"):
                raise BatchException(f"found a reference to a Batch object in command '{command}'.")
            if uid.startswith("__PYTHON_RESULT__") and not allow_python_results:
                raise BatchException(
                    "found a reference to a PythonResult object. hint: Use one of the methods `as_str`, "
                    f"`as_json` or `as_repr` on a PythonResult. command: '{command}'"
                )
            r = self._batch._resource_map.get(uid)
            if r is None:
                raise BatchException(
                    f"undefined resource '{uid}' in command '{command}'.\n"
                    "Hint: resources must be from the same batch as the current job."
                )
            source = r.source()
            if source is not self:
                self._add_input(r)
                if source is not None:
                    if r not in source._valid:
                        name = source._resources_inverse.get(r, uid)
                        raise BatchException(
                            f"undefined resource '{name}'\nHint: resources must be defined within "
                            "the job methods 'command' or 'declare_resource_group'"
                        )
                    self._dependencies[source] = None
            else:
                self._add_valid(r)
            self._mentioned.add(r)
            return "${BATCH_TMPDIR}" + _shell_quote("/" + r._relpath())

        return _UID_RE.sub(replace, command)

    # -- setters ---------------------------------------------------------------------------------
    def depends_on(self, *jobs: Job) -> Self:
        """Run this job after `jobs` (as well as after the jobs whose files it reads)."""
        for job in jobs:
            if not isinstance(job, Job):
                raise BatchException(f"depends_on takes jobs, not {type(job).__name__}")
            if job._batch is not self._batch:
                raise BatchException("depends_on: the job belongs to another batch")
            self._dependencies[job] = None
        return self

    def env(self, variable: str, value: str) -> Self:
        """Set an environment variable for the job (passed as is: spaces survive, unlike upstream)."""
        self._env[variable] = str(value)
        return self

    def image(self, image: str) -> Self:
        self._image = image
        return self

    def cpu(self, cores: str | int | float | None) -> Self:
        """CPU request: a number of cores (`2`, `0.5`) or millicores (`'250m'`)."""
        if cores is not None:
            parse_cpu(cores)  # validate now, where the mistake is
        self._cpu = None if cores is None else str(cores)
        return self

    def memory(self, memory: str | int | None) -> Self:
        """Memory request: bytes or a size like `'4Gi'`/`'500M'`, or `lowmem`/`standard`/`highmem`."""
        if memory is not None and str(memory) not in ("lowmem", "standard", "highmem"):
            parse_memory(memory)
        self._memory = None if memory is None else str(memory)
        return self

    def storage(self, storage: str | int | None) -> Self:
        if storage is not None:
            parse_memory(storage)
        self._storage = None if storage is None else str(storage)
        return self

    def timeout(self, timeout: float | int | None) -> Self:
        """Kill the job after this many seconds (works with the local backend, unlike upstream)."""
        if timeout is not None and (not isinstance(timeout, int | float) or timeout <= 0):
            raise BatchException(f"timeout must be a positive number of seconds, not {timeout!r}")
        self._timeout = None if timeout is None else float(timeout)
        return self

    def n_max_attempts(self, n_max_attempts: int | None) -> Self:
        """Try the job up to this many times before calling it failed.

        Locally a job is tried once unless this is set (hailtop's default of 20 retries only
        preemptions on the service; retrying every failing command 20 times would hide bugs).
        """
        if n_max_attempts is not None and (not isinstance(n_max_attempts, int) or n_max_attempts < 1):
            raise BatchException(f"n_max_attempts must be a positive integer, not {n_max_attempts!r}")
        self._n_max_attempts = n_max_attempts
        return self

    def always_run(self, always_run: bool = True) -> Self:
        """Run even if a parent failed or was cancelled."""
        self._always_run = always_run
        return self

    def spot(self, is_spot: bool = True) -> Self:
        """Spot (preemptible) instances: recorded; has no effect locally."""
        self._preemptible = is_spot
        return self

    def _set_preemptible(self, preemptible: bool) -> Self:
        return self.spot(preemptible)

    def regions(self, regions: list[str] | None) -> Self:
        """Cloud regions: recorded; has no effect locally."""
        self._regions = regions
        return self

    def always_copy_output(self, always_copy_output: bool = True) -> Self:
        """Copy outputs even if the job fails: recorded; the local backend copies outputs of successes."""
        self._always_copy_output = always_copy_output
        return self

    def cloudfuse(self, bucket: str, mount_point: str, *, read_only: bool = True) -> Self:
        raise NotImplementedError(
            "cloudfuse needs a cloud backend; genolog's local backend cannot mount buckets: "
            "read the files with Batch.read_input instead"
        )

    def gcsfuse(self, bucket: str, mount_point: str, read_only: bool = True) -> Self:
        warnings.warn(
            "The 'gcsfuse' method has been deprecated. Use the 'cloudfuse' method instead.", stacklevel=2
        )
        return self.cloudfuse(bucket, mount_point, read_only=read_only)

    def __str__(self) -> str:
        return self._uid

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other

    def _describe(self) -> str:
        return repr(self.name) if self.name else "unnamed job"


def _shell_quote(s: str) -> str:
    import shlex

    return shlex.quote(s)


class BashJob(Job):
    """A job that runs shell commands (`Batch.new_job`)."""

    def __init__(
        self,
        batch: Batch,
        token: str,
        *,
        name: str | None = None,
        attributes: dict[str, str] | None = None,
        shell: str | None = None,
    ) -> None:
        super().__init__(batch, token, name=name, attributes=attributes)
        self._shell = shell
        self._command: list[str] = []
        self._raw_commands: list[str] = []  # as given, placeholders intact, for backends that re-plan paths

    def command(self, command: str) -> Self:
        """Add a command. Placeholders such as ``{j.ofile}`` become file paths at run time."""
        if not isinstance(command, str):
            raise BatchException(f"command must be a string, not {type(command).__name__}")
        if not command.strip():
            where = f"for job {self.name!r}" if self.name else "for unnamed job"
            warnings.warn(f"Ignoring empty command specified {where}.", stacklevel=2)
            return self
        self._command.append(self._interpolate(command))
        self._raw_commands.append(command)
        return self


class PythonJob(Job):
    """A job that calls Python functions (`Batch.new_python_job`), run by the submitting interpreter."""

    def __init__(
        self, batch: Batch, token: str, *, name: str | None = None, attributes: dict[str, str] | None = None
    ) -> None:
        super().__init__(batch, token, name=name, attributes=attributes)
        self._calls: list[tuple[PythonResult, Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []

    def _new_result_file(self, value: str) -> JobResourceFile:
        r = JobResourceFile(value, self)
        self._batch._register_resource(r)
        self._resources[value] = r
        self._resources_inverse[r] = value
        self._valid.add(r)
        return r

    def call(self, unapplied: Callable[..., Any], *args: Any, **kwargs: Any) -> PythonResult:
        """Call ``unapplied(*args, **kwargs)`` in the job; returns a placeholder for the result.

        Resource files arrive as path strings, resource groups as dicts of paths, and results of
        other calls as their values. Coroutine functions are run with `asyncio.run`.
        """
        if not callable(unapplied):
            raise BatchException(f"unapplied must be a callable function. Found {type(unapplied)}.")
        try:
            inspect.signature(unapplied).bind(*args, **kwargs)
        except TypeError as e:
            raise BatchException(f"Cannot call {unapplied!r} with the supplied arguments: {e}") from e
        except ValueError:
            pass  # some builtins have no signature; the call itself will tell

        def walk(arg: Any) -> None:
            if isinstance(arg, Job):
                raise BatchException("arguments to a PythonJob cannot be other job objects.")
            if isinstance(arg, list | tuple):
                for x in arg:
                    walk(x)
            elif isinstance(arg, dict):
                for x in arg.values():
                    walk(x)
            elif isinstance(arg, Resource):
                self._use_resource(arg)

        for arg in (*args, *kwargs.values()):
            walk(arg)
        result = PythonResult(f"result{len(self._calls) + 1}", self)
        self._batch._register_resource(result)
        self._valid.add(result)
        self._mentioned.add(result)
        self._calls.append((result, unapplied, args, kwargs))
        return result

    def _use_resource(self, r: Resource) -> None:
        if r._uid not in self._batch._resource_map:
            raise BatchException(f"undefined resource '{r._uid}': resources must be from the same batch")
        source = r.source()
        if source is self:
            self._add_valid(r)
        else:
            if source is not None:
                if r not in source._valid:
                    name = source._resources_inverse.get(r, r._uid)
                    raise BatchException(
                        f"undefined resource '{name}'\nHint: resources must be defined within "
                        "the job methods 'command' or 'declare_resource_group'"
                    )
                self._dependencies[source] = None
            self._add_input(r)
        self._mentioned.add(r)
