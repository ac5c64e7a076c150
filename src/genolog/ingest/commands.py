"""The `genolog ingest` commands' work, called by `genolog.cli` once it has parsed the arguments."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from genolog.ingest import report, run
from genolog.ingest.manifest import Defaults
from genolog.ingest.metadata_sheet import SheetColumns


def ingest_manifest(
    project: str,
    manifests: Sequence[str],
    *,
    search_paths: Sequence[str],
    defaults: Defaults,
    dry_run: bool,
    as_json: bool,
    skip_bad_rows: bool,
    compute_md5: bool,
    console: Console,
    err_console: Console,
    allow_extra_files: bool = False,
    sheet: SheetColumns | None = None,
) -> int:
    """Check the manifests (or, with ``sheet``, metadata sheets), then send them; returns the exit code.
    Nothing is sent when a row is bad (unless ``skip_bad_rows``), and every problem is printed, not only
    the first."""
    if sheet is not None and sheet.problems():
        for problem in sheet.problems():
            err_console.print(Text(f"error: {problem}"), soft_wrap=True)
        return 1
    with report.status(
        err_console, f"Reading {len(manifests)} file{'s' * (len(manifests) != 1)} and finding their reads"
    ):
        prepared = run.check(
            manifests,
            search_paths,
            defaults,
            skip_bad_rows,
            sheet=sheet,
            allow_extra_files=allow_extra_files,
        )
    for name, unused in prepared.unused.items():
        if unused:
            err_console.print(Text(f"note: {name}: columns no option names, left out: {', '.join(unused)}"))
    if prepared.errors:
        report.print_issues(prepared.errors, err_console)
        count = len(prepared.errors)
        # the hint only where it helps: no row can be dropped from a manifest that is unusable as a whole
        hint = (
            ""
            if skip_bad_rows or any(i.whole_file for i in prepared.errors)
            else " (--skip-bad-rows ingests the rest)"
        )
        err_console.print(Text(f"{count} problem{'s' * (count != 1)}: nothing was sent{hint}"))
        return 1
    if prepared.skipped:
        report.print_issues(prepared.skipped, err_console, prefix="skipped: ")
        rows = len({key for issue in prepared.skipped for key in issue.row_keys})
        err_console.print(Text(f"skipped {rows} row{'s' * (rows != 1)} with problems"))
    assert prepared.plan is not None
    if not prepared.plan.units:
        err_console.print(Text("error: no rows left to ingest"))
        return 1
    if compute_md5:
        unreadable = run.hash_missing(prepared.plan, err_console)
        if unreadable:
            report.print_issues(unreadable, err_console)
            err_console.print(Text(f"{len(unreadable)} unreadable files: nothing was sent"))
            return 1
    run.finish(prepared)
    out = err_console if as_json else console
    out.print(Text(report.plan_line(prepared.plan, prepared.rows)))
    result = _send(project, prepared, dry_run, err_console)
    if result is None:
        return 1
    if as_json:
        print(json.dumps(result, indent=2))
        return 0
    console.print(report.counts_table(result))
    changes = report.changes_table(result)
    if changes is not None:
        console.print(changes)
    return 0


def _send(project: str, prepared: run.Prepared, dry_run: bool, err_console: Console) -> dict[str, Any] | None:
    from genolog.client import IngestError, ingest

    try:
        result: dict[str, Any] = ingest(project, prepared.records, dry_run=dry_run)
    except IngestError as e:
        origin = run.origin_of(prepared, e.line)
        where = f"{origin}: " if origin is not None else ""
        err_console.print(Text(f"error: {where}{e.message}"), soft_wrap=True)
        return None
    return result


def ingest_pedigree(
    project: str,
    path: Path,
    *,
    has_header: bool | None,
    create_missing_participants: bool,
    perform_sex_check: bool,
    as_json: bool,
    console: Console,
    err_console: Console,
) -> int:
    from genolog.ingest.pedigree import PedigreeError, upload

    try:
        result = upload(
            project,
            path,
            has_header=has_header,
            create_missing_participants=create_missing_participants,
            perform_sex_check=perform_sex_check,
        )
    except PedigreeError as e:
        err_console.print(Text(f"error: {e}"), soft_wrap=True)
        return 1
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        console.print(
            Text(
                f"{path}: {result.get('rows', 0)} pedigree rows imported into {project}; "
                f"{result.get('families_created', 0)} families and "
                f"{result.get('participants_created', 0)} participants created"
            )
        )
    return 0
