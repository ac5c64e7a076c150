"""Metadata sheets: Metamist's generic metadata parser's input, CSV or TSV with columns of any name.

Options name the columns that hold the sample id (required), the participant id, reads, gVCFs, sex,
karyotype and the sequencing fields, and map any other column into the meta of the participant, the
sample, the assay, or a QC analysis of the sequencing group (``column -> key``; a dotted key nests, as
``qc.quality`` gives ``{"qc": {"quality": ...}}``). Columns no option names are left alone. Each row
becomes a manifest ``Row`` (so grouping, files and records are the manifest's), with its meta cells.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genolog.ingest import columns, manifest
from genolog.ingest.issues import Issue
from genolog.ingest.manifest import Defaults, MetaCell, Row

LEVELS = ("participant", "sample", "assay", "qc")
#: assay meta keys genolog writes itself: a mapped column may not replace them
RESERVED_ASSAY_KEYS = frozenset(
    {
        "reads",
        "reads_type",
        "sequencing_type",
        "sequencing_technology",
        "sequencing_platform",
        "sequencing_facility",
        "sequencing_library",
        "read_end_type",
        "read_length",
        "gvcf",
        "reference_assembly",
        "ora_reference",
    }
)
#: row field -> the option that names its column (Metamist's option names where it has one)
COLUMN_OPTIONS = {
    "sample": "--sample-name-column",
    "participant": "--participant-column",
    "filenames": "--reads-column",
    "gvcf": "--gvcf-column",
    "checksum": "--checksum-column",
    "sex": "--reported-sex-column",
    "reported_gender": "--reported-gender-column",
    "karyotype": "--karyotype-column",
    "sample_type": "--sample-type-column",
    "sequencing_type": "--sequencing-type-column",
    "sequencing_technology": "--sequencing-technology-column",
    "sequencing_platform": "--sequencing-platform-column",
    "facility": "--facility-column",
    "library": "--library-column",
    "read_end_type": "--read-end-type-column",
    "read_length": "--read-length-column",
    "reference_assembly": "--reference-assembly-column",
    "ora_reference": "--ora-reference-assembly-column",
}
META_OPTIONS = {level: f"--{level}-meta-field-map" for level in LEVELS}


@dataclass(frozen=True)
class SheetColumns:
    """Which column holds what: ``columns`` maps a row field (``COLUMN_OPTIONS``) to its column's header,
    ``meta`` a level (``LEVELS``) to its (column, meta key) pairs."""

    columns: dict[str, str]
    meta: dict[str, tuple[tuple[str, str], ...]] = dataclasses.field(default_factory=dict)

    def problems(self) -> list[str]:
        """What is wrong with the options themselves, before any sheet is read."""
        found: list[str] = []
        if not self.columns.get("sample"):
            found.append("a sample id column is required (--sample-name-column)")
        for field in self.columns:
            if field not in COLUMN_OPTIONS:
                found.append(f"unknown column field {field!r}")
        for level, pairs in self.meta.items():
            option = META_OPTIONS[level]
            keys: dict[tuple[str, ...], str] = {}
            for column, key in pairs:
                parts = tuple(key.split("."))
                if not key or any(not p.strip() for p in parts):
                    found.append(f"{option} {column!r}: meta key {key!r} has an empty part")
                    continue
                if level == "assay" and parts[0] in RESERVED_ASSAY_KEYS:
                    found.append(f"{option} {column!r}: genolog writes the assay's {parts[0]!r} itself")
                for other, other_column in keys.items():
                    shorter, longer = sorted((parts, other), key=len)
                    if longer[: len(shorter)] == shorter:
                        found.append(
                            f"{option}: columns {other_column!r} and {column!r} both write meta key "
                            f"{'.'.join(shorter)!r}"
                        )
                keys[parts] = column
        return found


@dataclass
class SheetHeader:
    header: columns.Header
    #: level -> (cell position, meta key, column) of each mapped column
    meta: dict[str, list[tuple[int, str, str]]]
    unused: list[str]  # columns no option names


def _position(cells: list[str], column: str) -> int | str | None:
    """The cell holding ``column`` (exact, else the only case-insensitive match); a message if ambiguous."""
    written = [c.strip() for c in cells]
    exact = [i for i, c in enumerate(written) if c == column.strip()]
    if not exact:
        exact = [i for i, c in enumerate(written) if c.lower() == column.strip().lower()]
    if len(exact) > 1:
        return f"the sheet has {len(exact)} columns named {column!r}"
    return exact[0] if exact else None


def resolve(
    cells: list[str], source: str, line: int, layout: SheetColumns
) -> tuple[SheetHeader, list[Issue]]:
    """Find each named column in the header row; a column the sheet lacks is an issue naming its option."""
    header = columns.Header(width=len(cells))
    issues: list[Issue] = []
    used: set[int] = set()

    def locate(column: str, option: str) -> int | None:
        position = _position(cells, column)
        if isinstance(position, str):
            issues.append(Issue(source, line, column, f"{position} ({option})", whole_file=True))
            return None
        if position is None:
            issues.append(Issue(source, line, None, f"no column {column!r} ({option})", whole_file=True))
            return None
        used.add(position)
        return position

    for field, column in layout.columns.items():
        position = locate(column, COLUMN_OPTIONS[field])
        if position is not None:
            header.positions[field] = position
            header.names[field] = cells[position].strip()
    meta: dict[str, list[tuple[int, str, str]]] = {}
    for level, pairs in layout.meta.items():
        for column, key in pairs:
            position = locate(column, META_OPTIONS[level])
            if position is not None:
                meta.setdefault(level, []).append((position, key, cells[position].strip()))
    unused = [c.strip() for i, c in enumerate(cells) if i not in used and c.strip()]
    return SheetHeader(header, meta, unused), issues


def read(path: Path, source: str, defaults: Defaults, layout: SheetColumns) -> manifest.Read:
    """The rows of one sheet with their meta cells, the problems found, and the columns left unused."""
    table = manifest.load(path, source, noun="sheet")
    if isinstance(table, Issue):
        return manifest.Read(issues=[table])
    header_line, header_cells = table.records[0]
    sheet, issues = resolve(header_cells, source, header_line, layout)
    if issues:
        return manifest.Read(issues=issues, unused=sheet.unused)
    done = manifest.read_rows(table, source, sheet.header, defaults, noun="sheet")
    done.unused = sheet.unused
    cells_of = dict(table.records)
    for row in done.rows:
        done.issues += _attach_meta(row, cells_of[row.line], sheet)
    return done


def _attach_meta(row: Row, cells: list[str], sheet: SheetHeader) -> list[Issue]:
    issues: list[Issue] = []
    for level, mapped in sheet.meta.items():
        found = [
            MetaCell(key, typed(cells[position].strip()), column)
            for position, key, column in mapped
            if position < len(cells) and cells[position].strip()
        ]
        if found and level == "participant" and row.participant is None:
            issues.append(
                Issue(
                    row.source,
                    row.line,
                    found[0].column,
                    f"participant meta given for sample {row.sample} without a participant id",
                )
            )
        if found:
            row.meta[level] = found
    return issues


_INTEGER = re.compile(r"[+-]?(0|[1-9][0-9]*)")
_DECIMAL = re.compile(r"[+-]?(0|[1-9][0-9]*)?(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def typed(text: str) -> Any:
    """A cell as Metamist's parser stores it: ``true``/``false`` (any case) as booleans, numbers as numbers,
    all else as text. Unlike Metamist, numbers with leading zeros (``0012``, often an identifier) and
    anything Python alone reads as a number (``1_000``, ``nan``, ``inf``) stay text."""
    lower = text.lower()
    if lower in ("true", "false"):
        return lower == "true"
    if _INTEGER.fullmatch(text):
        return int(text)
    if any(c.isdigit() for c in text) and _DECIMAL.fullmatch(text):
        value = float(text)
        return value if math.isfinite(value) else text
    return text


def nest(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """``{"a.b": 1, "c": 2}`` pairs as ``{"a": {"b": 1}, "c": 2}`` (the options forbid ``a`` beside ``a.b``)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        *parents, last = key.split(".")
        into = out
        for part in parents:
            into = into.setdefault(part, {})
        into[last] = value
    return out
