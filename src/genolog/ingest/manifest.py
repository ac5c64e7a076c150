"""Reading manifests (CSV or TSV) into rows, with every problem of a row collected rather than raised."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    #: the reference of CRAMs (and of ORA-compressed FASTQs) whose row names none
    reference_assembly: str | None = None
    ora_reference_assembly: str | None = None


@dataclass
class FileCell:
    name: str
    checksum: str | None = None  # from the checksum column
    field: str = "filenames"  # the column it came from: filenames, or a metadata sheet's gvcf


@dataclass(frozen=True)
class MetaCell:
    """A value a metadata sheet maps into meta: its key (dotted for nested objects) and its column."""

    key: str
    value: Any
    column: str


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
    karyotype: str | None = None
    reported_gender: str | None = None
    reference_assembly: str | None = None  # a file name, as written
    ora_reference: str | None = None
    #: a metadata sheet's mapped cells per level: participant, sample, assay, qc
    meta: dict[str, list[MetaCell]] = field(default_factory=dict)
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


@dataclass
class Table:
    """A manifest's non-comment rows: (line number, cells), the header first."""

    records: list[tuple[int, list[str]]]
    delimiter: str


def load(path: Path, source: str, noun: str = "manifest") -> Table | Issue:
    """The rows of a CSV/TSV file, or what stops it being read; ``noun`` names the file in messages."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return Issue(source, 0, None, f"{noun} not found", whole_file=True)
    except UnicodeDecodeError:
        return Issue(source, 1, None, f"{noun} is not UTF-8 text", whole_file=True)
    except OSError as e:
        return Issue(source, 0, None, f"cannot read the {noun}: {e.strerror or e}", whole_file=True)
    delimiter = delimiter_for(path, text)
    records = _records(text, delimiter)
    if not records:
        return Issue(source, 1, None, f"{noun} has no header row", whole_file=True)
    return Table(records, delimiter)


@dataclass
class Read:
    """What reading one manifest or sheet gave."""

    rows: list[Row] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    #: every file name its file columns hold, as written, bad rows included (for the unlisted-files check)
    listed: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)  # a metadata sheet's columns no option names


def read(path: Path, source: str, defaults: Defaults) -> Read:
    """The rows of one manifest; ``source`` is how messages name it (the path as given)."""
    table = load(path, source)
    if isinstance(table, Issue):
        return Read(issues=[table])
    header_line, header_cells = table.records[0]
    header, issues = columns.resolve(header_cells, source, header_line)
    if issues:
        return Read(issues=[dataclasses.replace(i, whole_file=True) for i in issues])
    return read_rows(table, source, header, defaults)


def read_rows(
    table: Table, source: str, header: columns.Header, defaults: Defaults, noun: str = "manifest"
) -> Read:
    """The rows after the header, each checked: every problem is collected, not only the first."""
    done = Read()
    for line, cells in table.records[1:]:
        row, row_issues = _row(source, line, cells, header, defaults, table.delimiter)
        done.issues += row_issues
        if row is not None:
            done.rows.append(row)
        done.listed += [name for field in ("filenames", "gvcf") for name in _split(header.cell(cells, field))]
    if not done.rows and not done.issues:
        done.issues.append(Issue(source, table.records[0][0], None, f"{noun} has a header but no rows"))
    return done


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


#: how Metamist's parsers spell sequencing types and technologies in sheets (cells are lower-cased first)
SPELLINGS = {"wgs": "genome", "wes": "exome", "ont": "long-read"}


def _spelled(cell: str) -> str:
    return SPELLINGS.get(cell.lower(), cell.lower())


def _split(cell: str) -> list[str]:
    """Comma- or semicolon-separated names (Metamist's parsers take both)."""
    return [part.strip() for part in re.split(r"[,;]", cell) if part.strip()]


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
    gvcfs = [FileCell(name, field="gvcf") for name in _split(raw.get("gvcf", ""))]
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
    for name in ("karyotype", "reported_gender"):
        if raw.get(name) and participant is None:
            issue(name, f"{columns.label(name)} given for sample {sample} without a participant id")
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
        files=files + gvcfs,
        sample_type=raw.get("sample_type", "").lower() or None,
        sequencing_type=_spelled(raw.get("sequencing_type", "")) or defaults.sequencing_type,
        sequencing_technology=_spelled(raw.get("sequencing_technology", ""))
        or defaults.sequencing_technology,
        sequencing_platform=raw.get("sequencing_platform", "").lower() or defaults.sequencing_platform,
        facility=raw.get("facility") or None,
        library=raw.get("library") or None,
        read_end_type=raw.get("read_end_type") or None,
        read_length=read_length,
        sex=sex,
        affected=affected,
        karyotype=raw.get("karyotype") or None,
        reported_gender=raw.get("reported_gender") or None,
        reference_assembly=raw.get("reference_assembly") or None,
        ora_reference=raw.get("ora_reference") or None,
        raw=raw,
    )
    return row, issues
