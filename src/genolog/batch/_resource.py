"""Resources: the files that flow between jobs, as placeholders embedded in command strings.

Resource files and Python results are `str` subclasses whose value is a process-global uid such as
``__RESOURCE_FILE__7``. An f-string like ``f'cat {inp} > {j.ofile}'`` embeds the uid, and the
job's `command()` replaces it with the file's scratch path; that is also how dependencies are found.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from genolog.batch._job import Job, PythonJob

_uid_counter = itertools.count(1)


def _new_uid(kind: str) -> str:
    return f"__{kind}__{next(_uid_counter)}"


class BatchException(Exception):
    """A job graph is used wrongly (hailtop.batch's exception of the same name)."""


class Resource:
    """Base of everything a command can mention."""

    _uid: str

    def source(self) -> Job | None:
        return None

    def _relpath(self) -> str:
        """Path relative to the batch's scratch directory."""
        raise NotImplementedError

    def _add_output_path(self, path: str) -> None:
        raise NotImplementedError


class ResourceFile(Resource, str):
    """A file in the job graph; its string value is a placeholder uid."""

    _kind = "RESOURCE_FILE"

    def __new__(cls, *args: Any, **kwargs: Any) -> ResourceFile:
        uid = _new_uid(cls._kind)
        obj = str.__new__(cls, uid)
        obj._uid = uid
        return obj

    def __init__(self, value: str) -> None:
        self._value = value
        self._output_paths: list[str] = []
        self._resource_group: ResourceGroup | None = None

    def _add_output_path(self, path: str) -> None:
        if path not in self._output_paths:
            self._output_paths.append(path)

    def __str__(self) -> str:
        return self._uid

    def __repr__(self) -> str:
        return self._uid

    def __hash__(self) -> int:
        return hash(self._uid)

    def __eq__(self, other: object) -> bool:
        return str.__eq__(self, other)

    # str methods return plain strings, so slicing etc. never produces a resource.
    def __reduce__(self) -> tuple[Any, ...]:
        raise TypeError(
            f"{type(self).__name__} cannot be pickled; "
            "pass it to PythonJob.call to receive its path in the job"
        )


class InputResourceFile(ResourceFile):
    """A file read into the batch with `Batch.read_input`."""

    def __init__(self, value: str, input_path: str) -> None:
        super().__init__(value)
        self._input_path = input_path

    def _relpath(self) -> str:
        return f"inputs/{self._value}"


class JobResourceFile(ResourceFile):
    """A file a job creates (``j.ofile``), at ``<job dir>/<name>`` in the scratch directory."""

    def __init__(self, value: str, source: Job) -> None:
        super().__init__(value)
        self._source = source
        self._extension: str | None = None  # what add_extension appended, for backends that rebuild paths

    def source(self) -> Job:
        return self._source

    def _relpath(self) -> str:
        return f"{self._source._dirname}/{self._value}"

    def add_extension(self, extension: str) -> JobResourceFile:
        """Give the file an extension (once), e.g. ``.vcf.gz``, for tools that look at names."""
        if self._extension is not None:
            raise BatchException("Resource already has a file extension added.")
        self._value += extension
        self._extension = extension
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Any unknown job attribute is a resource (hailtop's model); explain the usual typo case.
        name = self._value
        known = [m for m in dir(type(self._source)) if not m.startswith("_")]
        hint = difflib.get_close_matches(name, known, n=1)
        suggestion = f" Did you mean {hint[0]!r}?" if hint else ""
        raise TypeError(
            f"Job has no method {name!r}: `job.{name}` names an output file resource, which is not callable."
            + suggestion
        )


class ResourceGroup(Resource):
    """Files that belong together and share a root path, like ``x.bed``/``x.bim``/``x.fam``.

    In a command, ``{g}`` is the root and ``{g.bed}`` (or ``{g}.bed``) one member; mentioning any
    member brings the whole group.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> ResourceGroup:
        obj = super().__new__(cls)
        obj._uid = _new_uid("RESOURCE_GROUP")
        return obj

    def __init__(self, source: Job | None, root: str, **values: ResourceFile) -> None:
        self._source = source
        self._root = root
        self._templates: dict[str, str] = {}  # a job's group: member -> '{root}...', as declared
        self._resources: dict[str, ResourceFile] = {}
        self._output_paths: list[str] = []
        for name, resource in values.items():
            self._resources[name] = resource
            resource._resource_group = self

    def source(self) -> Job | None:
        return self._source

    def _relpath(self) -> str:
        subdir = self._source._dirname if self._source is not None else "inputs"
        return f"{subdir}/{self._root}"

    def _add_output_path(self, path: str) -> None:
        if path not in self._output_paths:
            self._output_paths.append(path)

    def _get_resource(self, item: str) -> ResourceFile:
        if item not in self._resources:
            raise BatchException(
                f"'{item}' not found in the resource group; members: {', '.join(self._resources)}"
            )
        return self._resources[item]

    def __getitem__(self, item: str) -> ResourceFile:
        return self._get_resource(item)

    def __getattr__(self, item: str) -> ResourceFile:
        if item.startswith("_"):
            raise AttributeError(item)
        return self._get_resource(item)

    def __iter__(self) -> Iterator[str]:
        return iter(self._resources)

    def __add__(self, other: str) -> str:
        return self._uid + other

    def __radd__(self, other: str) -> str:
        return other + self._uid

    def __str__(self) -> str:
        return self._uid

    def __repr__(self) -> str:
        return self._uid

    def __format__(self, spec: str) -> str:
        return format(self._uid, spec)


class PythonResult(Resource, str):
    """The return value of a `PythonJob.call`, stored pickled at ``<job dir>/result<n>``.

    Pass it to another `call` to receive the value, or use `as_str`, `as_repr` or `as_json` to get
    a file a bash job can read.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> PythonResult:
        uid = _new_uid("PYTHON_RESULT")
        obj = str.__new__(cls, uid)
        obj._uid = uid
        return obj

    def __init__(self, value: str, source: PythonJob) -> None:
        self._value = value
        self._source = source
        self._output_paths: list[str] = []
        self._converted: dict[str, JobResourceFile] = {}

    def source(self) -> PythonJob:
        return self._source

    def _relpath(self) -> str:
        return f"{self._source._dirname}/{self._value}"

    def _add_output_path(self, path: str) -> None:
        if path not in self._output_paths:
            self._output_paths.append(path)

    def _convert(self, kind: str, suffix: str) -> JobResourceFile:
        if kind not in self._converted:
            self._converted[kind] = self._source._new_result_file(f"{self._value}-{suffix}")
        return self._converted[kind]

    def as_json(self) -> JobResourceFile:
        """A file holding ``json.dumps(result)``."""
        return self._convert("json", "json.json")

    def as_str(self) -> JobResourceFile:
        """A file holding ``str(result)``."""
        return self._convert("str", "str.txt")

    def as_repr(self) -> JobResourceFile:
        """A file holding ``repr(result)``."""
        return self._convert("repr", "repr.txt")

    def __str__(self) -> str:
        return self._uid

    def __repr__(self) -> str:
        return self._uid

    def __hash__(self) -> int:
        return hash(self._uid)

    def __eq__(self, other: object) -> bool:
        return str.__eq__(self, other)

    def __reduce__(self) -> tuple[Any, ...]:
        raise TypeError("PythonResult cannot be pickled; pass it to PythonJob.call to receive its value")


UID_PATTERN = r"__(?:RESOURCE_FILE|RESOURCE_GROUP|PYTHON_RESULT|JOB|BATCH)__\d+"
