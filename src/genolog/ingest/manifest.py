"""Reading manifests (CSV or TSV) into rows, with every problem of a row collected rather than raised."""

from __future__ import annotations

import csv
import dataclasses
import io
from dataclasses import dataclass, field
from pathlib import Path

from genolog.ingest import columns
from genolog.ingest.files import parse_md5
from genolog.ingest.issues import Issue, RowKey
from genolog.metadata.pedigree import AFFECTED_VALUES, SEX_VALUES

SEX_HELP = "use 0/1/2, m/male, f/female, u/unknown"
AFFECTED_HELP = "use -9/0/1/2, unknown, n/no, y/yes/affected"


@dataclass(frozen=True)
class Defaults:
    """Values for cells a manifest leaves empty (or columns it does not have)."""

    sample_type: str = "blood"
    sequencing_type: str = "genome"
    sequencing_technology: str = "short-read"
    sequencing_platform: str = "illumina"


@dataclass
class FileCell:
    name: str
    checksum: str | None = None  # from the checksum column


@dataclass
class Row:
    source: str
    line: int
    header: columns.Header
    sample: str
    participant: str | None
    files: list[FileCell]
    sample_type: str | None  # None when the cell is empty: the default applies unless another row gives one
    sequencing_type: str
    sequencing_technology: str
    sequencing_platform: str
    facility: str | None = None
    library: str | None = None
    read_end_type: str | None = None
    read_length: int | None = None
    sex: int | None = None
    affected: int | None = None
    raw: dict[str, str] = field(default_factory=dict)  # cells as written, for messages

    @property
    def key(self) -> RowKey:
        return (self.source, self.line)

    def column(self, name: str) -> str:
        return self.header.column(name)


def delimiter_for(path: Path, text: str) -> str:
    """From the extension (.tsv/.tab, .csv), else sniffed from the first lines; tab when unsure."""
    suffix = path.suffix.lower()
    if suffix in (".tsv", ".tab"):
        return "\t"
    if suffix == ".csv":
        return ","
    try:
        return csv.Sniffer().sniff(text[:8192], delimiters="\t,;|").delimiter
    except csv.Error:
        return "\t"


def _records(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) of every row that is neither blank nor a ``#`` comment."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    out: list[tuple[int, list[str]]] = []
    start = 1
    for cells in reader:
        line, start = start, reader.line_num + 1
        if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue
        out.append((line, cells))
    return out


def read(path: Path, source: str, defaults: Defaults) -> tuple[list[Row], list[Issue]]:
    """The rows of one manifest; ``source`` is how messages name it (the path as given)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return [], [Issue(source, 0, None, "manifest not found", whole_file=True)]
    except UnicodeDecodeError:
        return [], [Issue(source, 1, None, "manifest is not UTF-8 text", whole_file=True)]
    delimiter = delimiter_for(path, text)
    records = _records(text, delimiter)
    if not records:
        return [], [Issue(source, 1, None, "manifest has no header row", whole_file=True)]
    header_line, header_cells = records[0]
    header, issues = columns.resolve(header_cells, source, header_line)
    if issues:
        return [], [dataclasses.replace(i, whole_file=True) for i in issues]
    rows: list[Row] = []
    for line, cells in records[1:]:
        row, row_issues = _row(source, line, cells, header, defaults, delimiter)
        issues += row_issues
        if row is not None:
            rows.append(row)
    if not rows and not issues:
        issues.append(Issue(source, header_line, None, "manifest has a header but no rows"))
    return rows, issues


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(",") if part.strip()]


def _row(
    source: str, line: int, cells: list[str], header: columns.Header, defaults: Defaults, delimiter: str
) -> tuple[Row | None, list[Issue]]:
    issues: list[Issue] = []

    def issue(name: str | None, message: str) -> None:
        issues.append(Issue(source, line, header.column(name) if name else None, message))

    if len(cells) > header.width and any(c.strip() for c in cells[header.width :]):
        hint = " (quote cells that hold commas)" if delimiter == "," else ""
        issue(None, f"{len(cells)} cells but the header has {header.width} columns{hint}")
    raw = {name: header.cell(cells, name) for name in header.positions}
    sample = raw.get("sample", "")
    if not sample:
        issue("sample", "no sample id")
    files = [FileCell(name) for name in _split(raw.get("filenames", ""))]
    checksums = _split(raw.get("checksum", ""))
    if checksums:
        if len(checksums) != len(files):
            issue("checksum", f"{_n(len(checksums), 'checksum')} for {_n(len(files), 'file')}")
        for cell, text in zip(files, checksums, strict=False):
            cell.checksum = parse_md5(text)
            if cell.checksum is None:
                issue("checksum", f"checksum '{text}' is not an md5 (32 hex digits, optionally after md5:)")
    participant = raw.get("participant") or None
    sex = affected = read_length = None
    if raw.get("sex"):
        sex = SEX_VALUES.get(raw["sex"].lower())
        if sex is None:
            issue("sex", f"unknown sex '{raw['sex']}' ({SEX_HELP})")
        elif participant is None:
            issue("sex", f"sex given for sample {sample} without a participant id")
    if raw.get("affected"):
        affected = AFFECTED_VALUES.get(raw["affected"].lower())
        if affected is None:
            issue("affected", f"unknown affected status '{raw['affected']}' ({AFFECTED_HELP})")
        elif participant is None:
            issue("affected", f"affected status given for sample {sample} without a participant id")
    if raw.get("read_length"):
        try:
            read_length = int(raw["read_length"])
        except ValueError:
            issue("read_length", f"read length '{raw['read_length']}' is not a whole number")
    if not sample:
        return None, issues
    row = Row(
        source=source,
        line=line,
        header=header,
        sample=sample,
        participant=participant,
        files=files,
        sample_type=raw.get("sample_type") or None,
        sequencing_type=raw.get("sequencing_type") or defaults.sequencing_type,
        sequencing_technology=raw.get("sequencing_technology") or defaults.sequencing_technology,
        sequencing_platform=raw.get("sequencing_platform") or defaults.sequencing_platform,
        facility=raw.get("facility") or None,
        library=raw.get("library") or None,
        read_end_type=raw.get("read_end_type") or None,
        read_length=read_length,
        sex=sex,
        affected=affected,
        raw=raw,
    )
    return row, issues
