"""`Batch.from_batch_id` for the local and Slurm backends: a batch made again from its run record."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genolog.batch._report import load_run
from genolog.batch._resource import BatchException
from genolog.config import config_retrieve

if TYPE_CHECKING:
    from genolog.batch._backend import Backend
    from genolog.batch._batch import Batch

_BATCH_ARGUMENTS = ("name", "backend", "attributes")  # Batch's first positional parameters, in order


def runs_folders(backend: Backend | None) -> list[Path]:
    """Where a batch id given by name is looked for: `backend`'s runs folder, else the configured
    local and Slurm backends' (without making either backend)."""
    from genolog.batch._local import LocalBackend

    if isinstance(backend, LocalBackend):  # the Slurm backend is one too
        return [backend._runs_dir]
    if backend is not None:
        return []
    folders = [LocalBackend()._runs_dir]
    slurm = config_retrieve(["slurm", "runs_dir"], default=None)
    scratch = config_retrieve(["slurm", "scratch"], default=None)
    if slurm or scratch:
        folders.append(Path(os.path.expanduser(str(slurm or Path(str(scratch)) / "genolog-runs"))))
    return folders


def find_run(batch_id: str | os.PathLike[str], backend: Backend | None) -> Path:
    """The run directory of `batch_id` (a run directory, or the name of one in the runs folders)."""
    given = Path(os.path.expanduser(os.fspath(batch_id)))
    if (given / "jobs.json").is_file():
        return given.resolve()
    if not given.is_absolute() and len(given.parts) == 1:
        for folder in runs_folders(backend):
            if (folder / given / "jobs.json").is_file():
                return (folder / given).resolve()
    looked = ", ".join(str(f) for f in runs_folders(backend)) or "no runs folder"
    raise BatchException(
        f"no batch {os.fspath(batch_id)!r}: it is not a run directory with a jobs.json, nor one in {looked}"
    )


def backend_from_record(described: Any, run_dir: Path) -> Backend:
    """The backend a run record names, made again with the same scratch and runs folder."""
    from genolog.batch._local import LocalBackend
    from genolog.batch._slurm import SlurmBackend

    if not isinstance(described, dict) or described.get("kind") not in ("local", "slurm"):
        raise BatchException(
            f"the run record in {run_dir} does not say which backend ran it (recorded before genolog "
            "kept it): pass backend= to from_batch_id"
        )
    if described["kind"] == "slurm":
        return SlurmBackend(
            scratch=described.get("tmp_dir"),
            runs_dir=described.get("runs_dir"),
            partition=described.get("partition"),
            account=described.get("account"),
        )
    return LocalBackend(tmp_dir=str(described.get("tmp_dir") or "/tmp/"), runs_dir=described.get("runs_dir"))


def reopen(
    cls: type[Batch], batch_id: str | os.PathLike[str], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Batch:
    """`cls(*args, **kwargs)` continuing the record of `batch_id`."""
    from genolog.batch._local import LocalBackend

    if len(args) > len(_BATCH_ARGUMENTS):
        raise BatchException(
            f"from_batch_id takes at most {len(_BATCH_ARGUMENTS)} positional Batch arguments"
        )
    arguments: dict[str, Any] = dict(zip(_BATCH_ARGUMENTS, args, strict=False))
    overlap = arguments.keys() & kwargs.keys()
    if overlap:
        raise BatchException(f"from_batch_id got {', '.join(sorted(overlap))} twice")
    arguments.update(kwargs)
    backend = arguments.get("backend")
    if backend is not None and not isinstance(backend, LocalBackend):
        raise BatchException(
            f"from_batch_id reopens the local and Slurm backends' runs, not {type(backend).__name__}'s: "
            "on the Hail Batch service use hailtop.batch.Batch.from_batch_id"
        )
    run_dir = find_run(batch_id, backend)
    try:
        record = load_run(run_dir)
    except ValueError as e:
        raise BatchException(str(e)) from None
    if backend is None:
        arguments["backend"] = backend_from_record(record.get("backend"), run_dir)
    if arguments.get("name") is None:
        arguments["name"] = record.get("batch")
    if arguments.get("attributes") is None:
        arguments["attributes"] = dict(record.get("attributes") or {})
    batch = cls(**arguments)
    batch._run_dir = run_dir
    batch._recorded_jobs = max((int(job["job_id"]) for job in record["jobs"]), default=0)
    return batch
