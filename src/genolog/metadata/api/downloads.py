"""What the export routes answer besides JSON: CSV or TSV text, and files streamed from a read transaction."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import ExitStack
from datetime import date
from enum import StrEnum
from typing import Any

from fastapi.responses import Response, StreamingResponse

from genolog.metadata.api.dependencies import RequestContext
from genolog.metadata.service import Session
from genolog.metadata.spreadsheet import SpreadsheetWriter


class ExportType(StrEnum):
    """The published client's ``ExportType``."""

    csv = "csv"
    tsv = "tsv"
    json = "json"


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


class Streamed:
    """Chunks read inside a transaction (``held``: the request's read, kept open) for a
    ``StreamingResponse``: the chunks' generator and then the transaction are closed after the last chunk,
    on an error, or when the response drops the iterator unfinished (the client went away)."""

    def __init__(self, chunks: Generator[bytes, None, None], held: ExitStack) -> None:
        self._chunks = chunks
        self._held: ExitStack | None = held

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._chunks)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            try:
                self._chunks.close()
            finally:
                held.close()

    def __del__(self) -> None:
        self.close()


def streamed_file(
    ctx: RequestContext,
    open_chunks: Callable[[Session], Generator[bytes, None, None]],
    filename: str,
    media_type: str,
) -> StreamingResponse:
    """The file whose chunks ``open_chunks(session)`` gives in a read session that stays open while they
    stream (its checks, and their errors, come before the response starts)."""
    with ExitStack() as stack:
        session: Session = stack.enter_context(ctx.reading())
        chunks = open_chunks(session)
        held = stack.pop_all()
    return StreamingResponse(
        Streamed(chunks, held),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
