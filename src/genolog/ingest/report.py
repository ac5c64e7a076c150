"""Rendering problems, plans and the server's ingest report with rich."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from genolog.ingest import records
from genolog.ingest.issues import Issue

ENTITIES = ("participant", "sample", "sequencing_group", "assay")


@contextmanager
def status(console: Console, message: str) -> Iterator[None]:
    """A spinner with ``message`` while a long step runs, on a terminal only (never in captured output)."""
    if not console.is_terminal:
        yield
        return
    with console.status(message):
        yield


OPERATIONS = ("created", "updated", "unchanged")


def print_issues(issues: Iterable[Issue], console: Console, prefix: str = "") -> None:
    for issue in issues:
        console.print(Text(f"{prefix}{issue}"), soft_wrap=True)


def plan_counts(plan: records.Plan) -> dict[str, int]:
    counts = dict.fromkeys((*ENTITIES, "analysis"), 0)
    for unit in plan.units:
        samples = unit.samples if isinstance(unit, records.ParticipantPlan) else [unit]
        counts["participant"] += isinstance(unit, records.ParticipantPlan)
        counts["sample"] += len(samples)
        groups = sum(len(s.groups) for s in samples)
        counts["sequencing_group"] += groups
        counts["assay"] += groups  # one assay per sequencing group
        counts["analysis"] += sum(1 for s in samples for g in s.groups.values() if g.qc.values)
    return counts


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def plan_line(plan: records.Plan, rows: int) -> str:
    counts = plan_counts(plan)
    found = records.files_of(plan)
    return (
        f"{_n(rows, 'row')}: {_n(counts['participant'], 'participant')}, {_n(counts['sample'], 'sample')}, "
        f"{_n(counts['sequencing_group'], 'sequencing group')}, {_n(counts['assay'], 'assay')}, "
        + (
            f"{counts['analysis']} QC analys{'is' if counts['analysis'] == 1 else 'es'}, "
            if counts["analysis"]
            else ""
        )
        + f"{_n(len(found), 'file')} ({_size(sum(f.size for f in found))})"
    )


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


def counts_table(report: Mapping[str, Any]) -> Table:
    title = "Ingest (dry run: nothing was written)" if report.get("dry_run") else "Ingest"
    table = Table("entity", *OPERATIONS, title=title)
    counts: Mapping[str, Mapping[str, int]] = report.get("counts", {})
    for entity in (*ENTITIES, *(e for e in counts if e not in ENTITIES)):
        row = counts.get(entity, {})
        table.add_row(entity.replace("_", " "), *(str(row.get(op, 0)) for op in OPERATIONS))
    return table


def changes_table(report: Mapping[str, Any]) -> Table | None:
    changes = report.get("changes") or []
    if not changes:
        return None
    title = "Would change" if report.get("dry_run") else "Changes"
    table = Table("operation", "entity", "external id", title=title)
    for change in changes:
        table.add_row(
            str(change.get("operation", "")),
            str(change.get("entity", "")).replace("_", " "),
            Text(str(change.get("external_id", ""))),
        )
    return table
