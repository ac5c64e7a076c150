"""Streaming bulk ingest: records sent as NDJSON to ``POST /api/v1/ingest/{project}``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import httpx
import orjson

from genolog.client._http import GenologApiError, MetadataClient, ServerUnreachableError
from genolog.client._server import ServerSettings

# Lines are sent in pieces of about this many bytes: few enough writes, little memory.
PIECE_BYTES = 256 * 1024
_RECORD = re.compile(r"^record (\d+):")


class IngestError(GenologApiError):
    """The server refused the ingest; nothing of it was written."""

    def __init__(
        self, message: str, status: int | None, line: int | None, *, name: str | None = None
    ) -> None:
        super().__init__(message, status, name=name)
        self.message = message
        self.line = line  # the 1-based record the server complained about, if it named one


def ingest(
    project: str,
    records: Iterable[dict[str, Any]],
    *,
    dry_run: bool = False,
    settings: ServerSettings | None = None,
    timeout: float = 600,
) -> dict[str, Any]:
    """Send ``{"participant": {...}}`` / ``{"sample": {...}}`` records; returns the server's report."""
    client = MetadataClient(settings)
    try:
        report: dict[str, Any] = client.call(
            "POST",
            f"/ingest/{project}",
            content=_pieces(records),
            params={"dry_run": str(dry_run).lower()},
            headers={"Content-Type": "application/x-ndjson"},
            timeout=httpx.Timeout(timeout, connect=10),
        )
    except ServerUnreachableError as error:
        # not retried: the records are streamed once
        raise IngestError(
            f"cannot reach the metadata server at {client.settings.url}: {error.reason}", None, None
        ) from error
    except GenologApiError as error:
        found = _RECORD.match(error.description)
        line = int(found.group(1)) if found else None
        raise IngestError(error.description, error.status, line, name=error.name) from None
    return report


def _pieces(records: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    piece = bytearray()
    for record in records:
        piece += orjson.dumps(record)
        piece += b"\n"
        if len(piece) >= PIECE_BYTES:
            yield bytes(piece)
            piece.clear()
    if piece:
        yield bytes(piece)
