"""The metadata service's errors. Each maps to one HTTP status at the API edge (see ``api/errors.py``)."""

from __future__ import annotations


class MetadataError(Exception):
    """Base class: ``str(error)`` is the description shown to the caller."""

    status_code = 500


class BadRequest(MetadataError, ValueError):
    """The request is malformed or breaks a rule of the data model."""

    status_code = 400


class Unauthenticated(MetadataError):
    status_code = 401


class Forbidden(MetadataError):
    status_code = 403


class NotFound(MetadataError):
    status_code = 404


class PayloadTooLarge(MetadataError):
    """Over a size limit: the request body, one record of a streamed request, or a value such as a
    meta (the description names the limit)."""

    status_code = 413


class Unavailable(MetadataError):
    """The database cannot be reached or opened."""

    status_code = 503


class Conflict(MetadataError):
    """The request would duplicate something unique (an external id, a project name)."""

    status_code = 409


# What the databases and their drivers say when a request holds more values than one statement can bind.
_TOO_MANY_PARAMETERS = ("too many SQL variables", "number of parameters must be between")


def client_error(error: BaseException) -> MetadataError | None:
    """The client's mistake behind a database or driver error, when it is one, else None.

    The request-level checks (``inputs.py``) refuse these inputs first; this names the problem for any
    path they miss, for REST (``api/errors.py``) and GraphQL alike, rather than a 500 or a 503 that
    would invite retrying the same request."""
    from sqlalchemy.exc import DataError, OperationalError, StatementError

    from genolog.metadata.inputs import LIMITS

    if isinstance(error, MetadataError):
        return error
    if isinstance(error, DataError):
        # PostgreSQL: a number out of range, a string longer than its column, a NUL character
        reason = str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else "invalid value"
        return BadRequest(f"A value in the request cannot be stored: {reason}")
    if isinstance(error, OperationalError):
        if any(text in str(error.orig) for text in _TOO_MANY_PARAMETERS):
            return BadRequest(
                f"Too many values in one request: lists take at most {LIMITS.max_list_items:,} items "
                "(max_list_items)"
            )
        return None
    if isinstance(error, StatementError):  # raised while preparing parameters, before the database saw them
        return None if error.orig is None else client_error(error.orig)
    if isinstance(error, OverflowError):  # SQLite's driver refuses integers beyond 64 bits
        return BadRequest(f"A number in the request is out of range: {error}")
    if isinstance(error, UnicodeEncodeError) or "surrogates not allowed" in str(error):
        return BadRequest("A string in the request contains a lone UTF-16 surrogate (\\ud800-\\udfff)")
    return None


class DatabaseUnavailable(Unavailable):
    """The database is busy or unreachable while a request runs (a lost connection, a lock held too long,
    every pooled connection busy): worth retrying later."""


def database_error_types() -> tuple[type[Exception], ...]:
    """The database layer's exceptions that ``database_error`` answers, for the front ends' handlers."""
    from sqlalchemy.exc import DataError, OperationalError, StatementError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    return (DataError, OverflowError, StatementError, OperationalError, PoolTimeout)


def database_error(error: BaseException) -> MetadataError | None:
    """What a request that failed in the database layer is answered (its transaction was rolled back): a
    uniqueness race the checks before the write could not see (409), the client's mistake
    (``client_error``), the database busy or unavailable (503); None for anything else (a bug: 500)."""
    from sqlalchemy.exc import IntegrityError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    if isinstance(error, IntegrityError):
        return Conflict(f"The request conflicts with existing data: {error.orig}")
    known = client_error(error)
    if known is None and isinstance(error, OperationalError | PoolTimeout):
        return DatabaseUnavailable("The database is busy or unavailable; retry later")
    return known
