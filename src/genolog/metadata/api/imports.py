"""Imports of sheets: seqr's individual metadata."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, UploadFile
from starlette.concurrency import run_in_threadpool

from genolog.metadata.api.dependencies import RequestContext, request_context
from genolog.metadata.api.uploads import read_table
from genolog.metadata.service import seqr_sheets
from genolog.metadata.service.seqr_sheets import ExtraParticipants, Imported

router = APIRouter(prefix="/import", tags=["import"])


@router.post(
    "/{project}/individual-metadata-manifest",
    operation_id="importIndividualMetadataManifest",
    tags=["seqr"],
)
async def import_individual_metadata_manifest(
    project: str,
    file: UploadFile = File(...),
    delimiter: str | None = None,
    extra_participants_method: ExtraParticipants = ExtraParticipants.fail,
    ctx: RequestContext = Depends(request_context),
) -> Imported:
    """Import seqr's individual metadata sheet (Individual ID, Family ID, HPO terms, ...) as the
    participants' phenotypes; ``extra_participants_method`` says what to do with individuals the project
    lacks (fail, ignore, add). All or nothing."""
    records = await read_table(file, delimiter, "individual metadata file")

    def write() -> Imported:
        with ctx.writing() as session:
            return seqr_sheets.import_individual_metadata(
                session, project, records, extra_participants_method
            )

    return await run_in_threadpool(write)
