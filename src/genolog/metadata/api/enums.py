"""Controlled vocabularies: anyone may list them, only admins add values."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from genolog.metadata.api.dependencies import RequestContext, request_context
from genolog.metadata.service import enums

router = APIRouter(prefix="/enums", tags=["enums"])

# URL segment -> the published client's operation id suffix
_OPERATION_NAMES = {
    "analysis-type": "AnalysisTypes",
    "assay-type": "AssayTypes",
    "sample-type": "SampleTypes",
    "sequencing-type": "SequencingTypes",
    "sequencing-technology": "SequencingTechnologys",  # sic: the published client's spelling
    "sequencing-platform": "SequencingPlatforms",
}


def _register(segment: str, suffix: str) -> None:
    kind, label = enums.KINDS[segment]

    def list_values(ctx: RequestContext = Depends(request_context)) -> list[str]:
        with ctx.reading() as session:
            return enums.values(session, kind)

    def add_value(new_type: str, ctx: RequestContext = Depends(request_context)) -> str:
        with ctx.writing() as session:
            return enums.add(session, kind, new_type)

    list_values.__doc__ = f"Known {label} values."
    add_value.__doc__ = f"Add a {label} value (admins only)."
    router.add_api_route(f"/{segment}", list_values, methods=["GET"], operation_id=f"get{suffix}")
    router.add_api_route(f"/{segment}", add_value, methods=["POST"], operation_id=f"post{suffix}")


for _segment, _suffix in _OPERATION_NAMES.items():
    _register(_segment, _suffix)
