"""`genolog ingest manifest`: read and check manifests, hash what needs hashing, send the records."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from genolog.ingest import attached, files, manifest, metadata_sheet, payload, records
from genolog.ingest.issues import Issue, RowKey
from genolog.ingest.manifest import Defaults, Row
from genolog.ingest.metadata_sheet import SheetColumns
from genolog.ingest.payload import Origin
from genolog.ingest.records import Plan
from genolog.paths import storage_problem

#: files at least this big get a progress bar while they are hashed (when the output is a terminal)
PROGRESS_MIN_BYTES = 64 * 1024 * 1024


@dataclass
class Prepared:
    """The outcome of checking manifests: the records to send, or the problems that stop them."""

    records: list[dict[str, Any]] = field(default_factory=list)
    origins: list[Origin] = field(default_factory=list)
    plan: Plan | None = None
    #: problems that stop the ingest (all of them, when --skip-bad-rows is not given)
    errors: list[Issue] = field(default_factory=list)
    #: problems of rows left out under --skip-bad-rows
    skipped: list[Issue] = field(default_factory=list)
    rows: int = 0
    #: a metadata sheet's columns that no option names, per sheet
    unused: dict[str, list[str]] = field(default_factory=dict)


def check(
    manifests: Sequence[str],
    search_paths: Sequence[str],
    defaults: Defaults,
    skip_bad_rows: bool = False,
    *,
    sheet: SheetColumns | None = None,
    allow_extra_files: bool = False,
) -> Prepared:
    """Read, locate and group; nothing is hashed or sent. With ``skip_bad_rows``, rows with problems are
    dropped, and the rest grouped again until no problem is left (dropping one FASTQ unpairs its mate).

    ``sheet`` reads the files as metadata sheets with these columns rather than as manifests. Read files
    directly in an explicit search path that no row lists are an error unless ``allow_extra_files``."""
    rows: list[Row] = []
    issues: list[Issue] = []
    unused: dict[str, list[str]] = {}
    listed: list[str] = []
    for name in manifests:
        if sheet is None:
            done = manifest.read(Path(name), name, defaults)
        else:
            done = metadata_sheet.read(Path(name), name, defaults, sheet)
        rows += done.rows
        issues += done.issues
        listed += done.listed
        unused[name] = done.unused
    folders = {name: os.path.dirname(name) or "." for name in manifests}
    located, problems = records.locate(rows, search_paths, folders)
    issues += problems
    if any(i.whole_file for i in problems):  # storage unusable: grouping would only add noise
        return Prepared(errors=_sorted(issues, manifests), rows=len(rows))
    references, problems = attached.locate_references(rows, defaults, search_paths, folders)
    issues += problems
    if search_paths and not allow_extra_files:
        issues += attached.unlisted_files(search_paths, files.candidate_locations(listed, search_paths))
    fatal = [i for i in issues if i.whole_file]
    if not skip_bad_rows or fatal:
        plan, problems = records.group(rows, located, defaults, references)
        issues += problems
        if issues:
            return Prepared(errors=_sorted(issues, manifests), rows=len(rows), unused=unused)
        return Prepared(plan=plan, rows=len(rows), unused=unused)
    skipped = list(issues)
    bad: set[RowKey] = {key for i in issues for key in i.row_keys}
    while True:
        kept = [r for r in rows if r.key not in bad]
        plan, problems = records.group(kept, located, defaults, references)
        if not problems:
            break
        skipped += problems
        bad |= {key for i in problems for key in i.row_keys}
    return Prepared(plan=plan, rows=len(kept), skipped=_sorted(skipped, manifests), unused=unused)


def _sorted(issues: list[Issue], manifests: Sequence[str]) -> list[Issue]:
    order = {name: n for n, name in enumerate(manifests)}
    return sorted(issues, key=lambda i: (order.get(i.source, len(order)), i.line))


def hash_missing(plan: Plan, console: Console) -> list[Issue]:
    """Compute the md5 of every file that has none from the manifest or a sibling ``.md5``; returns the
    files that could not be read."""
    failed: list[Issue] = []
    todo = [f for f in records.files_of(plan) if f.checksum is None]
    total = sum(f.size for f in todo)
    show = console.is_terminal and total >= PROGRESS_MIN_BYTES
    with Progress(
        TextColumn("[bold]md5[/] {task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not show,
    ) as progress:
        task = progress.add_task("", total=total)
        for f in todo:
            progress.update(task, description=f.basename)
            advance: Callable[[int], None] = lambda n: progress.advance(task, n)  # noqa: E731
            try:
                f.checksum = files.compute_md5(f.path, advance)
            except Exception as e:  # OSError, or a cloud client's error
                failed.append(
                    Issue(
                        f.row.source,
                        f.row.line,
                        f.row.column("filenames"),
                        f"cannot read file {f.name} to compute its md5: {storage_problem(e).message}",
                    )
                )
    return failed


def finish(prepared: Prepared) -> Prepared:
    """Write the records (after hashing)."""
    assert prepared.plan is not None
    prepared.records, prepared.origins = payload.to_records(prepared.plan)
    return prepared


def origin_of(prepared: Prepared, record_number: int | None) -> Origin | None:
    """The manifest row a 1-based record number came from."""
    if record_number is None or not 1 <= record_number <= len(prepared.origins):
        return None
    return prepared.origins[record_number - 1]
