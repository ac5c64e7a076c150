"""Reading, checking and writing pedigree files (PED, TSV, CSV), independent of the database.

Columns are recognised by the header aliases of Metamist's importer; without a header the PED column
order is assumed: family, individual, father, mother, sex, affected[, notes].
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from genolog.metadata.errors import BadRequest
from genolog.metadata.inputs import check_text

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "family": ("family id", "familyid", "family", "family_id"),
    "individual": ("individual id", "individualid", "id", "individual_id"),
    "paternal": ("paternal id", "paternal_id", "paternalid", "father"),
    "maternal": ("maternal id", "maternal_id", "maternalid", "mother"),
    "sex": ("sex", "gender"),
    "affected": ("affected", "affected status", "affection", "affection status", "phenotype", "phenotypes"),
    "notes": ("notes",),
}
PED_ORDER = ("family", "individual", "paternal", "maternal", "sex", "affected", "notes")
SEX_VALUES = {"0": 0, "1": 1, "2": 2, "m": 1, "male": 1, "f": 2, "female": 2, "u": 0, "unknown": 0, "": 0}
AFFECTED_VALUES = {
    "-9": -9,
    "0": 0,
    "1": 1,
    "2": 2,
    "unknown": 0,
    "n": 1,
    "no": 1,
    "y": 2,
    "yes": 2,
    "affected": 2,
}
BLANK_PARENTS = ("", "0")
# the columns of an exported pedigree (the REST API's getPedigree), in order
EXPORT_COLUMNS = ("family_id", "individual_id", "paternal_id", "maternal_id", "sex", "affected", "notes")
#: the header of a TSV or CSV export, Metamist's: its six columns (notes are in the JSON export only)
EXPORT_HEADER = ("#Family ID", "Individual ID", "Paternal ID", "Maternal ID", "Sex", "Affected")


@dataclass
class PedigreeRow:
    line: int
    family: str
    individual: str
    paternal: str | None
    maternal: str | None
    sex: int
    affected: int
    notes: str | None


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    if "\t" in first:
        return "\t"
    if "," in first:
        return ","
    return " "


def parse(text: str, has_header: bool | None = None) -> list[PedigreeRow]:
    """Parse a pedigree; ``has_header=None`` detects a header row by its column names."""
    if not text.strip():
        raise BadRequest("The pedigree file is empty")
    check_text(text, "The pedigree file")
    delimiter = _delimiter(text)
    lines = [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("##")
    ]
    if delimiter == " ":
        records = [(n, line.split()) for n, line in lines]
    else:
        records = [(n, _cells(n, line, delimiter)) for n, line in lines]
    first = [c.strip().lstrip("#").strip().lower() for c in records[0][1]]
    header_given = has_header if has_header is not None else _looks_like_header(first)
    if header_given:
        columns = _columns_from_header(first)
        records = records[1:]
    else:
        if first and first[4:5] == ["sex"]:
            raise BadRequest("The first row looks like a header (it has 'sex'); set has_header=true")
        columns = {name: position for position, name in enumerate(PED_ORDER)}
    rows = [_row(number, cells, columns) for number, cells in records if any(c.strip() for c in cells)]
    if not rows:
        raise BadRequest("The pedigree file has no rows")
    return rows


def _cells(number: int, line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(line), delimiter=delimiter))
    except csv.Error as error:  # a field over csv's 131,072-character limit, say
        raise BadRequest(f"Pedigree line {number}: {error}") from None


def _looks_like_header(cells: list[str]) -> bool:
    known = {alias for aliases in COLUMN_ALIASES.values() for alias in aliases}
    return sum(c in known for c in cells) >= 2


def _columns_from_header(cells: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for position, cell in enumerate(cells):
        for name, aliases in COLUMN_ALIASES.items():
            if cell in aliases and name not in columns:
                columns[name] = position
    missing = [name for name in ("family", "individual") if name not in columns]
    if missing:
        raise BadRequest(
            f"The pedigree header has no {' or '.join(missing)} column; "
            f"accepted headers: {', '.join(COLUMN_ALIASES['family'] + COLUMN_ALIASES['individual'])}"
        )
    return columns


def _row(number: int, cells: list[str], columns: dict[str, int]) -> PedigreeRow:
    def cell(name: str) -> str:
        position = columns.get(name)
        return cells[position].strip() if position is not None and position < len(cells) else ""

    family, individual = cell("family"), cell("individual")
    if not family or not individual:
        raise BadRequest(f"Pedigree line {number}: family and individual ids are required")
    sex_text, affected_text = cell("sex").lower(), cell("affected").lower()
    if sex_text not in SEX_VALUES:
        raise BadRequest(f"Pedigree line {number}: unknown sex {cell('sex')!r} (use 0/1/2, m/f, male/female)")
    if affected_text not in AFFECTED_VALUES and affected_text != "":
        raise BadRequest(
            f"Pedigree line {number}: unknown affected status {cell('affected')!r} (use -9/0/1/2, yes/no)"
        )
    paternal, maternal = cell("paternal"), cell("maternal")
    return PedigreeRow(
        line=number,
        family=family,
        individual=individual,
        paternal=None if paternal in BLANK_PARENTS else paternal,
        maternal=None if maternal in BLANK_PARENTS else maternal,
        sex=SEX_VALUES[sex_text],
        affected=AFFECTED_VALUES.get(affected_text, 0),
        notes=cell("notes") or None,
    )


def check_and_order(rows: list[PedigreeRow], perform_sex_check: bool = True) -> list[PedigreeRow]:
    """Check the pedigree is consistent and return its rows parents-first.

    Every named parent must be a row of the same family; no individual may appear twice or be its own
    ancestor; with ``perform_sex_check`` fathers must be male or unknown and mothers female or unknown.
    """
    by_id: dict[str, PedigreeRow] = {}
    for row in rows:
        if row.individual in by_id:
            raise BadRequest(
                f"Pedigree line {row.line}: individual {row.individual!r} appears more than once"
            )
        by_id[row.individual] = row
    for row in rows:
        for role, parent in (("father", row.paternal), ("mother", row.maternal)):
            if parent is None:
                continue
            if parent == row.individual:
                raise BadRequest(f"Pedigree line {row.line}: {row.individual!r} is their own {role}")
            found = by_id.get(parent)
            if found is None:
                raise BadRequest(
                    f"Pedigree line {row.line}: the {role} {parent!r} of {row.individual!r} is not in the pedigree"
                )
            if found.family != row.family:
                raise BadRequest(
                    f"Pedigree line {row.line}: the {role} {parent!r} of {row.individual!r} is in another family"
                )
            if perform_sex_check and role == "father" and found.sex not in (0, 1):
                raise BadRequest(f"Pedigree line {row.line}: the father {parent!r} is not recorded as male")
            if perform_sex_check and role == "mother" and found.sex not in (0, 2):
                raise BadRequest(f"Pedigree line {row.line}: the mother {parent!r} is not recorded as female")
    return _parents_first(rows, by_id)


def _parents_first(rows: list[PedigreeRow], by_id: dict[str, PedigreeRow]) -> list[PedigreeRow]:
    """Depth-first order with parents before children; an explicit stack, so deep pedigrees cannot overflow."""
    ordered: list[PedigreeRow] = []
    done: set[str] = set()
    for start in rows:
        if start.individual in done:
            continue
        path: list[str] = []  # individuals being visited, from ``start`` up to the current ancestor
        stack: list[tuple[PedigreeRow, bool]] = [(start, False)]
        while stack:
            row, parents_done = stack.pop()
            if parents_done:
                path.pop()
                done.add(row.individual)
                ordered.append(row)
                continue
            if row.individual in done:
                continue
            if row.individual in path:
                cycle = " -> ".join([*path[path.index(row.individual) :], row.individual])
                raise BadRequest(f"The pedigree has a circular dependency: {cycle}")
            path.append(row.individual)
            stack.append((row, True))
            for parent in (row.maternal, row.paternal):
                if parent is not None and parent not in done:
                    stack.append((by_id[parent], False))
    return ordered


def ped_line(cells: Sequence[Any]) -> str:
    """One exported pedigree row (its ``EXPORT_COLUMNS`` values) in PLINK PED form: family, individual,
    father, mother, sex, affected (no notes), 0 for unknown."""
    family, individual, father, mother, sex, affected = cells[:6]
    shown = [family, individual, father or 0, mother or 0, sex, affected]
    return "\t".join(str(c if c is not None else 0) for c in shown) + "\n"
