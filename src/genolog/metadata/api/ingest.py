"""Bulk ingest: a stream of participant or sample trees (NDJSON) upserted in one transaction.

The body is read as it arrives, a line at a time with each line bounded (``max_ingest_record_bytes``),
and each line parsed into a record as ``service.ingest.upsert`` asks for the next, so a 100,000-sample
request needs memory for one chunk of records, not for the whole request; the transaction still spans
the request, so it is all or nothing. ``dry_run`` does everything, reports it, and rolls back.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio.from_thread
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ValidationError, model_validator
from starlette.concurrency import run_in_threadpool

from genolog.metadata.api.body_limit import describe_size
from genolog.metadata.api.dependencies import RequestContext, request_context
from genolog.metadata.errors import BadRequest, PayloadTooLarge
from genolog.metadata.inputs import check_json, json_text_may_be_bad
from genolog.metadata.models import IngestAnalysis, ParticipantUpsert, SampleUpsert
from genolog.metadata.service import ingest as ingest_service
from genolog.metadata.service.ingest import IngestReport

router = APIRouter(prefix="/ingest", tags=["ingest"])

NDJSON_BODY = {
    "requestBody": {
        "required": True,
        "description": 'One JSON object per line: {"participant": ParticipantUpsert} or {"sample": SampleUpsert}, '
        'then any {"analysis": IngestAnalysis} (an analysis of one sequencing group, named by its sample).',
        "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
    }
}


class IngestRecord(BaseModel):
    """One line of the body: a participant (with nested samples), a sample without a participant, or an
    analysis of a sequencing group (after every participant and sample)."""

    participant: ParticipantUpsert | None = None
    sample: SampleUpsert | None = None
    analysis: IngestAnalysis | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> IngestRecord:
        if [self.participant, self.sample, self.analysis].count(None) != 2:
            raise ValueError("give exactly one of 'participant', 'sample' or 'analysis'")
        return self

    @property
    def item(self) -> ParticipantUpsert | SampleUpsert | IngestAnalysis:
        return self.participant or self.sample or self.analysis  # type: ignore[return-value]


@router.post("/{project}", operation_id="ingest", openapi_extra=NDJSON_BODY)
async def ingest(
    project: str, request: Request, dry_run: bool = False, ctx: RequestContext = Depends(request_context)
) -> IngestReport:
    """Upsert NDJSON records, matching existing entities by external id: re-sending changes nothing."""
    chunks = request.stream()
    record_limit = ctx.svc.settings.max_ingest_record_bytes

    def records() -> Iterator[ParticipantUpsert | SampleUpsert | IngestAnalysis]:
        # runs in the worker thread; pulls the body from the event loop a network chunk at a time
        lines = _lines(lambda: anyio.from_thread.run(_next, chunks), record_limit)
        for number, line in enumerate(lines, start=1):
            yield _parse(number, line)

    def upsert() -> IngestReport:
        try:
            with ctx.writing() as session:
                return ingest_service.upsert(session, project, records(), dry_run)
        except ingest_service.DryRunDone as rolled_back:
            return rolled_back.report

    return await run_in_threadpool(upsert)


async def _next(chunks: AsyncIterator[bytes]) -> bytes:
    try:
        return await chunks.__anext__()
    except StopAsyncIteration:
        return b""


def _lines(read: Any, limit: int) -> Iterator[bytes]:
    """Complete lines of the body; ``read()`` returns the next chunk, ``b""`` at the end. A line longer
    than `limit` bytes is refused as soon as that many bytes of it have arrived (and the parts of a long
    line are joined once, not copied again with every chunk)."""
    parts: list[bytes] = []  # the line being received
    held = 0
    number = 0
    while chunk := read():
        if b"\n" in chunk:
            first, *complete, rest = chunk.split(b"\n")
            parts.append(first)
            for line in (b"".join(parts), *complete):
                number += 1
                _check_size(number, len(line), limit)
                yield line
            parts, held = [rest], 0
        else:
            parts.append(chunk)
        held += len(parts[-1])
        _check_size(number + 1, held, limit)
    pending = b"".join(parts)
    if pending.strip():
        yield pending


def _check_size(number: int, size: int, limit: int) -> None:
    if size > limit:
        raise PayloadTooLarge(
            f"record {number}: over this server's limit of {describe_size(limit)} for one record "
            "(max_ingest_record_bytes)"
        )


def _parse(number: int, line: bytes) -> ParticipantUpsert | SampleUpsert | IngestAnalysis:
    if not line.strip():
        raise BadRequest(f"record {number}: empty line (send one JSON object per line)")
    if json_text_may_be_bad(line):  # rare: then name a NUL or a lone surrogate (the parser's bad escape)
        _check_text_of(number, line)
    try:
        record = IngestRecord.model_validate_json(line)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'record'}: {e['msg']}" for e in error.errors()[:5]
        )
        raise BadRequest(f"record {number}: {problems}") from None
    return record.item


def _check_text_of(number: int, line: bytes) -> None:
    """Refuse, naming it, a NUL or lone surrogate in a record (Python's JSON parser decodes both)."""
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        return  # not JSON at all: the parser's own error says where
    check_json(value, f"record {number}", max_depth=None)
