"""Families and pedigrees: import and read a project's pedigree, import a family template, query, update,
history, and move a participant between families; each function checks the caller's role on the family's
project."""

from __future__ import annotations

from functools import partial
from typing import Any

from pydantic import BaseModel

from genolog.metadata.errors import BadRequest
from genolog.metadata.inputs import parse_json_object
from genolog.metadata.models import FamilyUpdate
from genolog.metadata.pedigree import PedigreeRow
from genolog.metadata.permissions import READ, WRITE
from genolog.metadata.service.history import HistoryEntry, recorded_changes
from genolog.metadata.service.reads import participants as reads
from genolog.metadata.service.reads.projects import external_ids_of
from genolog.metadata.service.reads.rows import Rows, parse_json
from genolog.metadata.service.session import Session, in_project
from genolog.metadata.store import external_ids, families, participants


class Family(BaseModel):
    """A family as the REST API lists it (its pedigree rows are the pedigree's)."""

    id: int
    external_ids: dict[str, str]
    project: int
    description: str | None
    coded_phenotype: str | None
    meta: dict[str, Any]


class PedigreeEntry(BaseModel):
    """One person's row of a project's pedigree, as the REST API answers it: family and people by external
    id (or by internal id, as asked), sex and affected status 0 when unknown."""

    family_id: str | int | None
    individual_id: str | int
    paternal_id: str | int | None
    maternal_id: str | int | None
    sex: int
    affected: int
    notes: str | None


class PedigreeImported(BaseModel):
    """Metamist's acknowledgement of a pedigree import (``success``), with what it created and how many
    rows it had."""

    success: bool = True
    families_created: int
    participants_created: int
    rows: int


def import_pedigree(
    session: Session,
    project: str,
    rows: list[PedigreeRow],
    create_missing_participants: bool,
    perform_sex_check: bool,
) -> PedigreeImported:
    """Create or update the families and pedigree rows of ``rows``; families and participants are matched
    by external id. All or nothing."""
    project_id = session.project(project, WRITE)["id"]
    counts = families.import_pedigree(
        session.tx, project_id, rows, create_missing_participants, perform_sex_check
    )
    return PedigreeImported(**counts)


def pedigree(
    session: Session,
    project: str,
    family_ids: list[int] | None,
    replace_with_participant_external_ids: bool = True,
    replace_with_family_external_ids: bool = True,
    include_participants_not_in_families: bool = False,
    empty_participant_value: str | None = None,
) -> list[PedigreeEntry]:
    """The project's pedigree rows (of the given families, else all; parents first within a family)."""
    project_id = session.project(project, READ)["id"]
    rows = families.pedigree(
        session.tx,
        project_id,
        family_ids,
        replace_with_participant_external_ids,
        replace_with_family_external_ids,
        include_participants_not_in_families,
        empty_participant_value,
    )
    # one per person of the project: made by the store as answered, not re-validated
    return [PedigreeEntry.model_construct(**row) for row in rows]


def models(session: Session, rows: Rows) -> list[Family]:
    """The families of these rows (``reads.families``) as the REST API lists them."""
    eids = external_ids_of(session, "family", [r["id"] for r in rows])
    return [
        Family.model_construct(  # from stored rows: not re-validated
            id=r["id"],
            external_ids=eids[r["id"]],
            project=r["project_id"],
            description=r["description"],
            coded_phenotype=r["coded_phenotype"],
            meta=parse_json(r["meta"]),
        )
        for r in rows
    ]


def query(
    session: Session, project: str, participant_ids: list[int] | None, sample_ids: list[str] | None
) -> list[Family]:
    """The project's families, or those of the given participants or samples."""
    project_id = session.project(project, READ)["id"]
    raw_samples = session.codecs.sample.parse_many(sample_ids) if sample_ids is not None else None
    return models(session, reads.families_listed(session, project_id, participant_ids, raw_samples))


def _project_of(session: Session, family_id: int, needed: frozenset[str]) -> int:
    """The family's project, if the caller holds ``needed`` on it (else the 404 of a missing family)."""
    project_id = families.project_of(session.tx, family_id)
    session.project_by_id(project_id, needed, f"Family {family_id} not found")
    return project_id


def update(session: Session, change: FamilyUpdate) -> None:
    """Change a family's external ids, description, coded phenotype or meta (merged)."""
    project_id = _project_of(session, change.id, WRITE)
    families.update(session.tx, project_id, families.get_row(session.tx, change.id), change)


def history_of(session: Session, family_id: int) -> list[HistoryEntry]:
    _project_of(session, family_id, READ)
    return recorded_changes(session.tx, "family", family_id)


def move_participant(session: Session, participant_id: int, old_family_id: int, new_family_id: int) -> None:
    """Move a participant's pedigree row from one family of its project to another (parents and affected
    status stay as they were); families of other projects are not found."""
    project_id = participants.get_row(session.tx, participant_id)["project_id"]
    session.project_by_id(project_id, WRITE, f"Participant {participant_id} not found")
    for family_id in (old_family_id, new_family_id):
        in_project(
            project_id, partial(families.get_row, session.tx, family_id), f"Family {family_id} not found"
        )
    families.move_participant(session.tx, project_id, participant_id, old_family_id, new_family_id)


# A family template's columns (Metamist's), in the order a file without a header has them, and the titles
# each is known by (any case).
TEMPLATE_COLUMNS = ("Family ID", "Display Name", "Description", "Coded Phenotype", "Meta")
_TEMPLATE_TITLES = {
    "external_id": {"family_id", "family id", "familyid"},
    "display_name": {"display name", "displayname", "display_name"},
    "description": {"description"},
    "coded_phenotype": {"coded phenotype", "phenotype", "codedphenotype", "coded_phenotype"},
    "meta": {"meta", "metadata", "meta data"},
}


class FamiliesImported(BaseModel):
    success: bool
    warnings: list[str] | None = None


def import_family_template(
    session: Session, project: str, rows: list[list[str]], has_header: bool
) -> FamiliesImported:
    """Create or update the families of a family template (rows of cells, the first the header if
    ``has_header``; else the columns are ``TEMPLATE_COLUMNS`` in order). A family is named by its Family ID
    (else its Display Name) and matched by external id; an existing one gets the description and coded
    phenotype of the columns the file has (an empty cell clears them) and its meta merged with the Meta
    column's JSON object. All or nothing."""
    project_id = session.project(project, WRITE)["id"]
    if not rows:
        if has_header:
            raise BadRequest("A header was expected but the family template is empty")
        return FamiliesImported(success=True, warnings=["Submitted file was empty"])
    header = rows[0] if has_header else None
    rows = rows[1:] if has_header else rows
    if not rows:
        return FamiliesImported(success=True, warnings=["Submitted file contained a header with no data"])
    if len(rows[0]) == 1:
        raise BadRequest("Only one column was found in the family template: is the delimiter right?")
    titles = [h.strip().lower() for h in (header or list(TEMPLATE_COLUMNS[: len(rows[0])]))]
    where = {
        field: next((i for i, title in enumerate(titles) if title in known), None)
        for field, known in _TEMPLATE_TITLES.items()
    }
    if where["external_id"] is None and where["display_name"] is None:
        raise BadRequest("The family template has no 'Family ID' (or 'Display Name') column")
    known: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):

        def cell(field: str, row: list[str] = row) -> str | None:
            position = where[field]
            value = row[position].strip() if position is not None and position < len(row) else ""
            return value or None

        name = cell("external_id") or cell("display_name")
        if name is None:
            raise BadRequest(f"Row {number} of the family template has no family id")
        meta_text = cell("meta")
        meta = parse_json_object(meta_text, f"Row {number}: the Meta column") if meta_text else {}
        fields = {f: cell(f) for f in ("description", "coded_phenotype") if where[f] is not None}
        if name not in known:
            known.update(external_ids.lookup(session.tx.conn, "family", project_id, [name]))
        if name in known:
            family_id = known[name]
            change = FamilyUpdate(id=family_id, meta=meta, **fields)
            families.update(session.tx, project_id, families.get_row(session.tx, family_id), change)
        else:
            known[name] = families.create(session.tx, project_id, name, meta=meta, **fields)
    return FamiliesImported(success=True)
