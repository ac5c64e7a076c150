"""How runs are shown: one record (``logs``) and a dataset's runs (``list``)."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from genolog.paths import to_path
from genolog.runner.service import MetadataServer

FIELDS = (
    "ar_guid",
    "project",
    "status",
    "exit_code",
    "duration_seconds",
    "timestamp",
    "finished_at",
    "access_level",
    "submitting_user",
    "description",
    "repository",
    "commit",
    "cwd",
    "script",
    "driver_image",
    "config_path",
    "output_path",
    "batch_url",
    "environment",
)


def duration(record: dict[str, Any]) -> str:
    value = record.get("duration_seconds")
    return "" if value is None else f"{value:.1f} s"


def record_lines(record: dict[str, Any]) -> list[str]:
    width = max(len(f) for f in FIELDS)
    lines = [f"{field:<{width}}  {'' if record.get(field) is None else record[field]}" for field in FIELDS]
    for key, value in sorted((record.get("meta") or {}).items()):
        lines.append(f"{'meta.' + key:<{width}}  {value}")
    return lines


def driver_log(record: dict[str, Any]) -> str | None:
    """The driver's captured output, when its log file is still readable."""
    path = (record.get("meta") or {}).get("log_path")
    if not path:
        return None
    try:
        return to_path(str(path)).read_text(errors="replace")
    except OSError:
        return None


def runs_of(server: MetadataServer, dataset: str) -> list[dict[str, Any]]:
    """Runs recorded on the dataset and on its -test twin (those the caller can read), newest first."""
    from genolog.runner.errors import RunnerError

    projects = [dataset] if dataset.endswith("-test") else [dataset, f"{dataset}-test"]
    runs: list[dict[str, Any]] = []
    refusals: list[RunnerError] = []
    for project in projects:
        try:
            runs += server.records(project)
        except RunnerError as e:
            refusals.append(e)
    if len(refusals) == len(projects):
        raise refusals[0]
    return sorted(runs, key=lambda r: str(r.get("timestamp")), reverse=True)


def runs_table(runs: list[dict[str, Any]]) -> Table:
    table = Table()
    for name in ("ar-guid", "started", "access", "status"):
        table.add_column(name, no_wrap=True)  # what `logs` needs and what a reader looks for stay whole
    for name in ("exit", "duration", "user", "description"):
        table.add_column(name)
    for r in runs:
        table.add_row(
            str(r["ar_guid"]),
            str(r.get("timestamp") or "")[:16].replace("T", " "),
            str(r.get("access_level") or ""),
            str(r.get("status") or ""),
            "" if r.get("exit_code") is None else str(r["exit_code"]),
            duration(r),
            str(r.get("submitting_user") or ""),
            str(r.get("description") or ""),
        )
    return table
