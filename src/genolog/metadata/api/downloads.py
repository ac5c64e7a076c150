"""What the export routes answer besides JSON: CSV or TSV text, and files streamed from a read transaction."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Generator, Iterable
from datetime import date
from typing import Any

from fastapi.responses import Response, StreamingResponse

from genolog.metadata.api.dependencies import RequestContext
from genolog.metadata.models_web import ExportType
from genolog.metadata.service import Session
from genolog.metadata.spreadsheet import SpreadsheetWriter
from genolog.metadata.streamed import Streamed, StreamedResponse, hold_open


def _filename(name: str) -> str:
    """A file name safe in a header: letters, digits, ``.``, ``_`` and ``-`` (others become ``_``)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def text_download(rows: Iterable[Iterable[Any]], export_type: ExportType, name: str) -> Response:
    """``rows`` as CSV or TSV, offered as ``<name>-<today>.<csv|tsv>`` (``name`` made safe)."""
    out = io.StringIO()
    SpreadsheetWriter(out, "\t" if export_type == ExportType.tsv else ",").writerows(rows)
    media = "text/tab-separated-values" if export_type == ExportType.tsv else "text/csv"
    filename = _filename(f"{name}-{date.today().isoformat()}.{export_type.value}")
    return Response(
        out.getvalue(),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def streamed_file(
    ctx: RequestContext,
    open_chunks: Callable[[Session], Generator[bytes, None, None]],
    filename: str,
    media_type: str,
) -> StreamingResponse:
    """The file whose chunks ``open_chunks(session)`` gives in a read session that stays open while they
    stream (its checks, and their errors, come before the response starts)."""
    chunks, held = hold_open(ctx.reading(), open_chunks)
    return StreamedResponse(
        Streamed(chunks, held),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
