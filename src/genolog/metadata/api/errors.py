"""Every error leaves the API as JSON ``{name, description}`` with a fitting HTTP status, never a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, StatementError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

from genolog.metadata.errors import MetadataError, client_error

log = logging.getLogger("genolog.metadata")


def error_response(status: int, name: str, description: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"name": name, "description": description})


def _describe_validation(error: RequestValidationError) -> str:
    problems = []
    for item in error.errors():
        location = ".".join(str(part) for part in item.get("loc", ()) if part != "body") or "body"
        got = item.get("input")
        shown = (
            f" (got {got!r})" if isinstance(got, str | int | float | bool) and len(repr(got)) <= 80 else ""
        )
        problems.append(f"{location}: {item.get('msg', 'invalid')}{shown}")
    return "Invalid request: " + "; ".join(problems)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(MetadataError)
    async def _metadata_error(_request: Request, error: MetadataError) -> JSONResponse:
        return error_response(error.status_code, type(error).__name__, str(error))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        return error_response(400, "ValidationError", _describe_validation(error))

    @app.exception_handler(IntegrityError)
    async def _integrity_error(_request: Request, error: IntegrityError) -> JSONResponse:
        # A uniqueness race the checks before the write could not see; the transaction was rolled back.
        return error_response(409, "Conflict", f"The request conflicts with existing data: {error.orig}")

    # A value the database or its driver refuses (PostgreSQL: a number out of range, a string longer than
    # its column, a NUL; SQLite: an integer beyond 64 bits; either: more values than a statement binds),
    # or an error raised while SQLAlchemy prepared the parameters (the JSON encoder's BadRequest): the
    # client's mistake, named (``errors.client_error``); the transaction was rolled back.
    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    @app.exception_handler(StatementError)
    async def _client_error(request: Request, error: Exception) -> JSONResponse:
        known = client_error(error)
        if known is None:
            return await _unexpected(request, error)
        return await _metadata_error(request, known)

    @app.exception_handler(OperationalError)
    async def _operational_error(request: Request, error: OperationalError) -> JSONResponse:
        if client_error(error) is not None:
            return await _client_error(request, error)
        log.error("database unavailable: %s", error)
        return error_response(503, "DatabaseUnavailable", "The database is busy or unavailable; retry later")

    @app.exception_handler(PoolTimeout)
    async def _pool_timeout(_request: Request, error: PoolTimeout) -> JSONResponse:
        # Every pooled connection stayed busy for the pool's whole timeout.
        log.error("no database connection free: %s", error)
        return error_response(503, "DatabaseUnavailable", "The database is busy or unavailable; retry later")

    @app.exception_handler(HTTPException)
    async def _http_error(_request: Request, error: HTTPException) -> JSONResponse:
        name = "NotFound" if error.status_code == 404 else "HTTPError"
        return error_response(error.status_code, name, str(error.detail))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return error_response(500, "InternalError", f"Unexpected server error ({type(error).__name__})")
