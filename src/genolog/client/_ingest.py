"""Streaming bulk ingest: records sent as NDJSON to ``POST /api/v1/ingest/{project}``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import httpx
import orjson

from genolog.client._server import ServerSettings, server_settings

# Lines are sent in pieces of about this many bytes: few enough writes, little memory.
PIECE_BYTES = 256 * 1024
_RECORD = re.compile(r"^record (\d+):")


class IngestError(Exception):
    """The server refused the ingest; nothing of it was written."""

    def __init__(self, message: str, status: int | None, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
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
    settings = settings or server_settings()
    url = f"{settings.url}/api/v1/ingest/{project}"
    headers = {**settings.headers, "Content-Type": "application/x-ndjson"}
    try:
        response = httpx.post(
            url,
            content=_pieces(records),
            params={"dry_run": str(dry_run).lower()},
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=10),
        )
    except httpx.HTTPError as error:
        raise IngestError(
            f"cannot reach the metadata server at {settings.url}: {error}", None, None
        ) from error
    if response.status_code >= 400:
        try:
            message = str(response.json().get("description") or response.text)
        except ValueError:
            message = response.text or response.reason_phrase
        found = _RECORD.match(message)
        raise IngestError(message, response.status_code, int(found.group(1)) if found else None)
    report: dict[str, Any] = response.json()
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
