"""seqr's individual metadata sheet: its columns, how an uploaded sheet's cells are checked and turned into
participant phenotypes, and how stored phenotypes are laid out as the sheet again (Metamist's
``SeqrMetadataKeys``).

Phenotypes are stored under the sheet's column titles (``"HPO Terms (present)"``, ``"Age of Onset"``, ...)
with the cell's text as value, as Metamist stores them, so both directions agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from genolog.metadata.errors import BadRequest

FAMILY_ID = "Family ID"
INDIVIDUAL_ID = "Individual ID"
HPO_TERMS_PRESENT = "HPO Terms (present)"
HPO_TERMS_ABSENT = "HPO Terms (absent)"
AGE_OF_ONSET = "Age of Onset"

# The sheet's columns, in seqr's order; every one but the first two is stored as a phenotype.
COLUMNS = (
    FAMILY_ID,
    INDIVIDUAL_ID,
    HPO_TERMS_PRESENT,
    HPO_TERMS_ABSENT,
    "Birth Year",
    "Death Year",
    AGE_OF_ONSET,
    "Individual Notes",
    "Consanguinity",
    "Other Affected Relatives",
    "Expected Mode of Inheritance",
    "Fertility medications",
    "Intrauterine insemination",
    "In vitro fertilization",
    "Intra-cytoplasmic sperm injection",
    "Gestational surrogacy",
    "Donor egg",
    "Donor sperm",
    "Maternal Ancestry",
    "Paternal Ancestry",
    "Pre-discovery OMIM disorders",
    "Previously Tested Genes",
    "Candidate Genes",
)
STORED = COLUMNS[2:]
# Present HPO terms may also come one per column.
HPO_PRESENT_COLUMNS = (HPO_TERMS_PRESENT, *(f"HPO Term {i}" for i in range(1, 21)))

AGES_OF_ONSET = (
    "Congenital onset",
    "Embryonal onset",
    "Fetal onset",
    "Neonatal onset",
    "Infantile onset",
    "Childhood onset",
    "Juvenile onset",
    "Adult onset",
    "Young adult onset",
    "Middle age onset",
    "Late onset",
)
_HPO_TERM = re.compile(r"HP:\d+$")
_TERM_SEPARATORS = re.compile(r"[,;]")


def json_key(column: str) -> str:
    """A column's key in the JSON form of the sheet: ``"HPO Terms (present)"`` -> ``"hpo_terms_present"``."""
    return column.lower().replace(" ", "_").replace("(", "").replace(")", "").replace("-", "_")


HEADER_MAP = {json_key(c): c for c in COLUMNS}


def parse_hpo_terms(text: str) -> list[str]:
    """HPO terms separated by commas or semicolons; anything after a ``|`` in a term is a label and dropped.
    A term not of the form ``HP:<digits>`` is a 400."""
    terms = [term.split("|", 1)[0].strip() for term in _TERM_SEPARATORS.split(text or "")]
    terms = [term for term in terms if term]
    wrong = [term for term in terms if not _HPO_TERM.match(term)]
    if wrong:
        raise BadRequest(f"HPO terms must look like 'HP:0000504': {', '.join(wrong)}")
    return terms


def parse_age_of_onset(text: str) -> str | None:
    """One of seqr's ages of onset, recognised in any case and with or without the word 'onset'."""
    if not text:
        return None
    if text in AGES_OF_ONSET:
        return text
    by_stem = {age.lower().replace("onset", "").strip(): age for age in AGES_OF_ONSET}
    stem = text.lower().replace("onset", "").strip()
    if stem in by_stem:
        return by_stem[stem]
    raise BadRequest(f"Unknown age of onset {text!r}: one of {', '.join(AGES_OF_ONSET)}")


@dataclass
class Sheet:
    """An uploaded sheet, checked: where its columns are, and its rows (each with its 1-based line)."""

    columns: dict[str, int]  # lower-cased title -> position
    rows: list[tuple[int, list[str]]]

    def cell(self, row: list[str], title: str) -> str:
        position = self.columns.get(title.lower())
        if position is None or position >= len(row):
            return ""
        return row[position].strip()

    def individual(self, row: list[str]) -> str:
        return self.cell(row, INDIVIDUAL_ID)

    def family(self, row: list[str]) -> str:
        return self.cell(row, FAMILY_ID)


def read_sheet(records: list[list[str]]) -> Sheet:
    """The header and rows of an uploaded sheet (blank rows dropped), checked: an ``Individual ID`` column,
    only known columns, and one row per individual."""
    if not records:
        raise BadRequest("The individual metadata file is empty")
    header = [cell.strip() for cell in records[0]]
    known = {c.lower() for c in COLUMNS} | {c.lower() for c in HPO_PRESENT_COLUMNS}
    if INDIVIDUAL_ID.lower() not in {h.lower() for h in header}:
        raise BadRequest(f"The individual metadata file has no {INDIVIDUAL_ID!r} column")
    unknown = [h for h in header if h.lower() not in known]
    if unknown:
        raise BadRequest(f"Unknown columns in the individual metadata file: {', '.join(map(repr, unknown))}")
    columns: dict[str, int] = {}
    for position, title in enumerate(header):
        if title.lower() in columns:
            raise BadRequest(f"The column {title!r} appears twice in the individual metadata file")
        columns[title.lower()] = position
    sheet = Sheet(
        columns, [(n, row) for n, row in enumerate(records[1:], start=2) if any(c.strip() for c in row)]
    )
    lines: dict[str, list[int]] = {}
    for number, row in sheet.rows:
        lines.setdefault(sheet.individual(row), []).append(number)
    if "" in lines:
        raise BadRequest(f"Rows without an {INDIVIDUAL_ID}: lines {', '.join(map(str, lines['']))}")
    repeated = {name: numbers for name, numbers in lines.items() if len(numbers) > 1}
    if repeated:
        described = "; ".join(f"{name} (lines {', '.join(map(str, n))})" for name, n in repeated.items())
        raise BadRequest(f"Individuals listed more than once: {described}")
    return sheet


def phenotypes_of(sheet: Sheet, row: list[str], number: int) -> dict[str, str]:
    """The phenotypes one row sets: each stored column's non-empty cell (ages of onset and absent HPO terms
    checked and normalised), and the present HPO terms of every HPO column joined by commas."""
    found: dict[str, str] = {}
    try:
        for title in STORED:
            if title == HPO_TERMS_PRESENT:
                continue
            value: str | None = sheet.cell(row, title)
            if title == AGE_OF_ONSET:
                value = parse_age_of_onset(value or "")
            elif title == HPO_TERMS_ABSENT:
                value = ",".join(parse_hpo_terms(value or ""))
            if value:
                found[title] = value
        present = [term for title in HPO_PRESENT_COLUMNS for term in parse_hpo_terms(sheet.cell(row, title))]
    except BadRequest as error:
        raise BadRequest(f"Line {number}: {error}") from None
    if present:
        found[HPO_TERMS_PRESENT] = ",".join(present)
    return found


def template(people: list[tuple[str, str, dict[str, Any]]]) -> dict[str, Any]:
    """The sheet of these people (individual id, family id, phenotypes) as Metamist's JSON answer: ``rows``
    keyed by ``json_key``, with only the cells that have a value, ``headers`` (the keys some row has, in
    the sheet's order; the two ids always) and ``header_map`` (key -> column title)."""
    by_title = {c.lower(): c for c in COLUMNS}
    rows: list[dict[str, Any]] = []
    for individual, family, phenotypes in people:
        cells: dict[str, Any] = {json_key(INDIVIDUAL_ID): individual, json_key(FAMILY_ID): family}
        for name, value in phenotypes.items():
            title = by_title.get(name.lower())
            if title is not None and title not in (INDIVIDUAL_ID, FAMILY_ID) and value:
                cells[json_key(title)] = value
        rows.append(cells)
    used = {key for row in rows for key in row} | {json_key(INDIVIDUAL_ID), json_key(FAMILY_ID)}
    headers = [json_key(c) for c in COLUMNS if json_key(c) in used]
    return {"rows": rows, "headers": headers, "header_map": dict(HEADER_MAP)}
