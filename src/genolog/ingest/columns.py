"""Manifest columns: the header aliases of Metamist's SampleFileMapParser (case-insensitive), and a few more."""

from __future__ import annotations

from dataclasses import dataclass, field

from genolog.ingest.issues import Issue

#: field -> accepted headers (lower-case, surrounding whitespace ignored); the first is the canonical name.
ALIASES: dict[str, tuple[str, ...]] = {
    "participant": (
        "participant_id",
        "individual id",
        "individual",
        "individual_id",
        "participant",
        "participant-id",
        "participant id",
        "agha_study_id",
    ),
    "sample": ("sample_id", "sample", "sample id"),
    "filenames": ("filenames", "filename", "files", "file"),
    "sample_type": ("sample_type", "sample type", "sampletype"),
    "sequencing_type": ("sequencing_type", "type", "types", "sequencing type"),
    # technology and platform are not SampleFileMapParser columns; genolog reads them too
    "sequencing_technology": ("sequencing_technology", "sequencing technology", "technology"),
    "sequencing_platform": ("sequencing_platform", "sequencing platform", "platform"),
    "facility": ("facility", "sequencing facility", "sequencing_facility"),
    "library": (
        "library",
        "library_prep",
        "library prep",
        "library type",
        "library_type",
        "sequencing_library",
        "sequencing library",
    ),
    "read_end_type": (
        "read_end_type",
        "read_end_types",
        "read end type",
        "read end types",
        "end type",
        "end types",
        "end_type",
        "end_types",
    ),
    "read_length": ("read_length", "length", "read length", "read lengths", "read_lengths"),
    "checksum": ("checksum", "md5"),
    # participant columns (genolog's own): the pedigree importer's codes
    "sex": ("sex", "reported_sex", "reported sex"),
    "affected": ("affected", "affected status", "affection", "affection status"),
}
REQUIRED = ("sample", "filenames")
LABELS = {"participant": "participant id", "sample": "sample id"}


def label(name: str) -> str:
    """How messages call a field: ``sample id``, ``read length``."""
    return LABELS.get(name, name.replace("_", " "))


_BY_ALIAS = {alias: name for name, aliases in ALIASES.items() for alias in aliases}


def normalise(header: str) -> str:
    return header.strip().lower()


@dataclass
class Header:
    """Which cell of a row holds each field, and the field's column name as the file spells it."""

    positions: dict[str, int] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    width: int = 0

    def cell(self, cells: list[str], name: str) -> str:
        position = self.positions.get(name)
        return cells[position].strip() if position is not None and position < len(cells) else ""

    def column(self, name: str) -> str:
        """The header of ``name`` as written in the file (its canonical name when the file has none)."""
        return self.names.get(name) or ALIASES.get(name, (name,))[0]


def resolve(cells: list[str], source: str, line: int) -> tuple[Header, list[Issue]]:
    """Map header cells to fields; unknown, repeated and missing required columns are issues."""
    header = Header(width=len(cells))
    issues: list[Issue] = []
    for position, cell in enumerate(cells):
        written = cell.strip()
        name = _BY_ALIAS.get(normalise(written))
        if name is None:
            known = ", ".join(aliases[0] for aliases in ALIASES.values())
            issues.append(Issue(source, line, None, f"unknown column '{written}' (known columns: {known})"))
        elif name in header.positions:
            issues.append(
                Issue(
                    source,
                    line,
                    None,
                    f"columns '{header.names[name]}' and '{written}' both give the {label(name)}",
                )
            )
        else:
            header.positions[name] = position
            header.names[name] = written
    for name in REQUIRED:
        if name not in header.positions:
            issues.append(
                Issue(
                    source,
                    line,
                    None,
                    f"no {label(name)} column (accepted headers: {', '.join(ALIASES[name])})",
                )
            )
    return header, issues
