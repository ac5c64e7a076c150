"""The live display of a run: a rich progress bar plus one line per failed job."""

from __future__ import annotations

import threading

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from genolog.batch._report import JobRunResult

console = Console(stderr=True, highlight=False, soft_wrap=True)


class RunDisplay:
    """Counts finished jobs on a progress bar; prints failures above it as they happen."""

    def __init__(self, total: int, title: str, enabled: bool) -> None:
        self._counts = {"succeeded": 0, "failed": 0, "timed_out": 0, "cancelled": 0}
        self._lock = threading.Lock()
        self._progress: Progress | None = None
        if enabled and total:
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=False,
                refresh_per_second=8,
            )
            self._task = self._progress.add_task(escape(title), total=total)
            self._title = escape(title)
            self._progress.start()

    def job_done(self, result: JobRunResult) -> None:
        with self._lock:
            self._counts[result.status] += 1
        if result.status in ("failed", "timed_out"):
            name = repr(result.name) if result.name else "unnamed job"
            what = "timed out" if result.status == "timed_out" else f"failed (exit code {result.exit_code})"
            extra = f": {result.message}" if result.message else ""
            console.print(
                escape(f"✗ job {result.job_id} {name} {what}{extra}; log: {result.log_path}"), soft_wrap=True
            )
        if self._progress is not None:
            bad = self._counts["failed"] + self._counts["timed_out"]
            summary = f"{self._title} [green]{self._counts['succeeded']} ok[/]"
            if bad:
                summary += f" [red]{bad} failed[/]"
            if self._counts["cancelled"]:
                summary += f" [yellow]{self._counts['cancelled']} cancelled[/]"
            self._progress.update(self._task, advance=1, description=summary)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
