"""What a run leaves behind: per-job results, the run record on disk, and the failure exception."""

from __future__ import annotations

import contextlib
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rich.markup import escape
from rich.table import Table

JobStatus = Literal["succeeded", "failed", "timed_out", "cancelled"]


@dataclass
class JobRunResult:
    """How one job went."""

    job_id: int  # 1..n in topological order, as upstream numbers them
    name: str | None
    status: JobStatus
    exit_code: int | None
    duration: float  # seconds, all attempts together
    attempts: int
    log_path: Path | None
    image: str | None = None
    ran_in_container: bool = False
    message: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


@dataclass
class BatchRunResult:
    """How a `Batch.run()` went: one `JobRunResult` per job, and where the logs are."""

    batch_name: str | None
    run_dir: Path
    duration: float
    jobs: list[JobRunResult] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        return all(j.succeeded for j in self.jobs)

    def by_status(self, status: JobStatus) -> list[JobRunResult]:
        return [j for j in self.jobs if j.status == status]

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for j in self.jobs:
            counts[j.status] = counts.get(j.status, 0) + 1
        return counts

    def write(self, backend: dict[str, Any] | None = None, attributes: dict[str, str] | None = None) -> Path:
        """Write ``jobs.json`` into the run directory and return its path.

        A record already there (an earlier run of the same batch) keeps its jobs: this run's are
        added after them, and the counts and duration cover them all. `backend` and `attributes`
        are kept for `Batch.from_batch_id`.
        """
        path = self.run_dir / "jobs.json"
        earlier: dict[str, Any] = {}
        if path.exists():
            with contextlib.suppress(ValueError):
                earlier = load_run(path)
        new_ids = {j.job_id for j in self.jobs}
        jobs = [job for job in earlier.get("jobs", []) if job.get("job_id") not in new_ids]
        jobs += [
            {  # built by hand: dataclasses.asdict deep-copies and is slow for big batches
                **vars(j),
                "log_path": str(j.log_path) if j.log_path else None,
                "duration": round(j.duration, 4),
            }
            for j in self.jobs
        ]
        counts: dict[str, int] = {}
        for job in jobs:
            counts[job["status"]] = counts.get(job["status"], 0) + 1
        record = {
            "batch": self.batch_name,
            "batch_id": self.run_dir.name,
            "duration": round(float(earlier.get("duration", 0)) + self.duration, 4),
            "counts": counts,
            "runs": int(earlier.get("runs", 0)) + 1,
            "backend": backend if backend is not None else earlier.get("backend"),
            "attributes": attributes if attributes is not None else earlier.get("attributes", {}),
            "jobs": jobs,
        }
        path.write_text(json.dumps(record, indent=1))
        return path


def load_run(run_dir: str | Path) -> dict[str, Any]:
    """Read a run record (a run directory or its ``jobs.json``); `ValueError` if it is not one."""
    path = Path(run_dir)
    if path.is_dir():
        path = path / "jobs.json"
    try:
        record: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        raise ValueError(f"{path} does not exist: give a run directory printed by Batch.run()") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not a run record: {e}") from None
    if not isinstance(record, dict) or "jobs" not in record:
        raise ValueError(f"{path} is not a run record (no 'jobs')")
    return record


def run_table(record: dict[str, Any]) -> Table:
    """A rich table of a run record: one row per job."""
    colours = {"succeeded": "green", "failed": "red", "timed_out": "red", "cancelled": "yellow"}
    counts = ", ".join(f"{n} {s}" for s, n in record.get("counts", {}).items())
    table = Table(title=f"{record.get('batch') or 'batch'}: {counts} in {record.get('duration', 0):.2f} s")
    for column in ("id", "name", "status", "exit", "seconds", "tries"):
        table.add_column(column, no_wrap=column != "name")
    table.add_column("log", overflow="fold")
    for job in record["jobs"]:
        status = str(job["status"])
        table.add_row(
            str(job["job_id"]),
            escape(str(job["name"] or "")),
            f"[{colours.get(status, 'white')}]{status}[/]",
            "" if job["exit_code"] is None else str(job["exit_code"]),
            f"{job['duration']:.3f}",
            str(job["attempts"]),
            escape(str(job["log_path"] or job.get("message") or "")),
        )
    return table


class JobFailedError(subprocess.CalledProcessError):
    """A job failed, timed out or could not copy its outputs; `run()` raises it for the first one.

    It is a `subprocess.CalledProcessError`, like upstream's error, and carries the whole run's
    `result` so callers can see every job's status.
    """

    def __init__(self, job: JobRunResult, cmd: str, result: BatchRunResult) -> None:
        super().__init__(job.exit_code if job.exit_code is not None else 1, cmd)
        self.job = job
        self.result = result
        self.log_tail = _tail(job.log_path)

    def __str__(self) -> str:
        what = {
            "timed_out": "timed out",
            "failed": f"failed with exit code {self.job.exit_code}"
            if self.job.exit_code is not None
            else "failed",
        }.get(self.job.status, self.job.status)
        name = repr(self.job.name) if self.job.name else "unnamed job"
        extra = f": {self.job.message}" if self.job.message else ""
        counts = ", ".join(f"{n} {s}" for s, n in self.result.counts().items())
        tail = f"\nLast lines of the log:\n{self.log_tail}" if self.log_tail else ""
        return (
            f"Job {self.job.job_id} ({name}) {what}{extra}. Log: {self.job.log_path}. Batch: {counts}.{tail}"
        )


def _tail(path: Path | None, lines: int = 10) -> str:
    if path is None or not path.exists():
        return ""
    with open(path, "rb") as f:
        f.seek(max(0, path.stat().st_size - 4096))
        text = f.read().decode(errors="replace")
    return "\n".join(text.rstrip("\n").split("\n")[-lines:])
