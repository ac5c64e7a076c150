"""Every error leaves the API as JSON ``{name, description}`` with a fitting HTTP status, never a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from genolog.metadata.errors import DatabaseUnavailable, MetadataError, database_error, database_error_types

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

    # A request that failed in the database (``errors.database_error``): a uniqueness race, a value the
    # database or its driver refuses, the database busy or unavailable; the transaction was rolled back.
    async def _database_error(request: Request, error: Exception) -> JSONResponse:
        known = database_error(error)
        if known is None:
            return await _unexpected(request, error)
        if isinstance(known, DatabaseUnavailable):
            log.error("database unavailable: %s", error)
        return await _metadata_error(request, known)

    for error_type in database_error_types():
        app.add_exception_handler(error_type, _database_error)

    @app.exception_handler(HTTPException)
    async def _http_error(_request: Request, error: HTTPException) -> JSONResponse:
        name = "NotFound" if error.status_code == 404 else "HTTPError"
        return error_response(error.status_code, name, str(error.detail))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return error_response(500, "InternalError", f"Unexpected server error ({type(error).__name__})")
