"""Families: import and export pedigrees, import family templates, list, update, history."""

from __future__ import annotations

import io
from enum import StrEnum

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.responses import PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from genolog.metadata import pedigree as ped
from genolog.metadata.api.dependencies import RequestContext, request_context
from genolog.metadata.api.uploads import read_table
from genolog.metadata.errors import BadRequest
from genolog.metadata.models import FamilyUpdate
from genolog.metadata.service import families
from genolog.metadata.service.families import FamiliesImported, Family, PedigreeEntry, PedigreeImported
from genolog.metadata.service.history import HistoryEntry
from genolog.metadata.spreadsheet import SpreadsheetWriter

router = APIRouter(prefix="/family", tags=["family"])


class ExportType(StrEnum):
    json = "json"
    tsv = "tsv"
    csv = "csv"
    ped = "ped"  # beyond the published client: PLINK's six columns, no header, 0 for unknown


async def _read_text(file: UploadFile) -> str:
    try:
        return (await file.read()).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest(f"The pedigree file {file.filename!r} is not UTF-8 text") from None


@router.post("/{project}/pedigree", operation_id="importPedigree")
async def import_pedigree(
    project: str,
    file: UploadFile = File(...),
    has_header: bool | None = None,
    create_missing_participants: bool = False,
    perform_sex_check: bool = True,
    ctx: RequestContext = Depends(request_context),
) -> PedigreeImported:
    """Import a PED/TSV/CSV pedigree: families and participants are matched by external id. All or nothing."""
    rows = ped.parse(await _read_text(file), has_header)

    def write() -> PedigreeImported:
        with ctx.writing() as session:
            return families.import_pedigree(
                session, project, rows, create_missing_participants, perform_sex_check
            )

    return await run_in_threadpool(write)


@router.post(
    "/{project}/family-template",
    operation_id="importFamilies",
    tags=["seqr"],
    response_model=FamiliesImported,
    response_model_exclude_none=True,
)
async def import_families(
    project: str,
    file: UploadFile = File(...),
    has_header: bool = True,
    delimiter: str | None = None,
    ctx: RequestContext = Depends(request_context),
) -> FamiliesImported:
    """Import a family template (Family ID, Display Name, Description, Coded Phenotype, Meta): families are
    created or updated by external id. Rows starting with ``#`` are comments. All or nothing."""
    records = await read_table(file, delimiter, "family template")
    rows = [r for r in records if any(c.strip() for c in r) and not r[0].startswith("#")]

    def write() -> FamiliesImported:
        with ctx.writing() as session:
            return families.import_family_template(session, project, rows, has_header)

    return await run_in_threadpool(write)


# the JSON answer is documented; the other export types are text
@router.get("/{project}/pedigree", operation_id="getPedigree", response_model=list[PedigreeEntry])
def get_pedigree(
    project: str,
    internal_family_ids: list[int] | None = Query(default=None),
    export_type: ExportType = ExportType.json,
    replace_with_participant_external_ids: bool = True,
    replace_with_family_external_ids: bool = True,
    include_header: bool = True,
    empty_participant_value: str | None = None,
    include_participants_not_in_families: bool = False,
    ctx: RequestContext = Depends(request_context),
) -> list[PedigreeEntry] | Response:
    with ctx.reading() as session:
        rows = families.pedigree(
            session,
            project,
            internal_family_ids,
            replace_with_participant_external_ids,
            replace_with_family_external_ids,
            include_participants_not_in_families,
            empty_participant_value,
        )
    if export_type == ExportType.json:
        return rows
    cells = [[getattr(r, c) for c in ped.EXPORT_COLUMNS] for r in rows]
    if export_type == ExportType.ped:
        return PlainTextResponse("".join(ped.ped_line(c) for c in cells), media_type="text/plain")
    # as Metamist writes them: its header, six columns, and csv's CRLF line ends
    out = io.StringIO()
    delimiter = "\t" if export_type == ExportType.tsv else ","
    writer = SpreadsheetWriter(out, delimiter=delimiter, lineterminator="\r\n")
    if include_header:
        writer.writerow(ped.EXPORT_HEADER)
    for c in cells:
        writer.writerow(["" if v is None else v for v in c[: len(ped.EXPORT_HEADER)]])
    media = "text/tab-separated-values" if export_type == ExportType.tsv else "text/csv"
    return PlainTextResponse(out.getvalue(), media_type=media)


@router.get("/{project}/", operation_id="getFamilies")
def get_families(
    project: str,
    participant_ids: list[int] | None = Query(default=None),
    sample_ids: list[str] | None = Query(default=None),
    ctx: RequestContext = Depends(request_context),
) -> list[Family]:
    with ctx.reading() as session:
        return families.query(session, project, participant_ids, sample_ids)


@router.post("/", operation_id="updateFamily")
def update_family(family: FamilyUpdate, ctx: RequestContext = Depends(request_context)) -> dict[str, bool]:
    """Update one family; Metamist's acknowledgement, ``{"success": true}``."""
    with ctx.writing() as session:
        families.update(session, family)
    return {"success": True}


@router.get("/{family_id}/history", operation_id="getHistoryOfFamily")
def get_history_of_family(
    family_id: int, ctx: RequestContext = Depends(request_context)
) -> list[HistoryEntry]:
    with ctx.reading() as session:
        return families.history_of(session, family_id)
