"""PostgreSQL COPY whose outcome is collected when the connection is next used, not when the data ends.

A bulk ingest writes each level of a chunk (samples, their external ids, assays, sequencing groups, their
links) with one COPY. PostgreSQL works on the rows as they arrive, but more slowly than Python sends them,
so waiting for each COPY's result left the request's thread idle for most of the database's work (60 µs a
sample of a 100,000-sample ingest). Instead the end of the data is sent and the result is collected just
before the connection's next statement, commit or rollback (``finish``, which ``db.create_engine`` hooks
into SQLAlchemy's events): the database finishes the rows while Python builds the next level.

A COPY that fails (a unique external id taken meanwhile, say) raises there, from the next statement, as
the same SQLAlchemy error the COPY itself would have raised; the request fails and rolls back as before.
"""

from __future__ import annotations

import select
from collections.abc import Iterable, MutableMapping, Sequence
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg import pq
from psycopg.copy import LibpqWriter

# key, in the pooled connection's ``info``, of the COPY statement whose result is still to be collected
PENDING = "genolog_pending_copy"


def copy_rows(
    dbapi_connection: psycopg.Connection[Any],
    info: MutableMapping[str, Any],
    statement: str,
    rows: Iterable[Sequence[Any]],
) -> None:
    """``COPY ... FROM STDIN`` the rows; returns once the data is sent, the result left for ``finish``."""
    finish(dbapi_connection, info)
    try:
        with dbapi_connection.cursor() as cursor:
            writer = _EndLater(cursor, info, statement)
            with cursor.copy(statement, writer=writer) as copy:
                for row in rows:
                    copy.write_row(row)
    except psycopg.Error as error:  # as SQLAlchemy's own statements raise it
        raise sa.exc.DBAPIError.instance(statement, None, error, psycopg.Error) from error


def finish(dbapi_connection: Any, info: MutableMapping[str, Any], *, raise_error: bool = True) -> None:
    """Collect the result of the connection's pending COPY, if any; raise its error (unless told not to)."""
    statement = info.pop(PENDING, None)
    if statement is None:
        return
    pgconn = dbapi_connection.pgconn
    failed: psycopg.Error | None = None
    try:
        while True:
            while pgconn.is_busy():
                _wait(pgconn, write=False)
                pgconn.consume_input()
            result = pgconn.get_result()
            if result is None:
                break
            if result.status == pq.ExecStatus.FATAL_ERROR and failed is None:
                failed = psycopg.errors.error_from_result(result, encoding=dbapi_connection.info.encoding)
    except psycopg.Error as lost:  # the connection itself failed (the server went away, say)
        failed = lost
    if failed is not None and raise_error:
        raise sa.exc.DBAPIError.instance(statement, None, failed, psycopg.Error) from failed


class _EndLater(LibpqWriter):
    """Sends the rows as psycopg does; at the end sends the end of the data and records the COPY as pending,
    without waiting for its result (after an error in Python, cancels the COPY and waits, as psycopg does)."""

    def __init__(self, cursor: psycopg.Cursor[Any], info: MutableMapping[str, Any], statement: str) -> None:
        super().__init__(cursor)
        self._info = info
        self._statement = statement

    def finish(self, exc: BaseException | None = None) -> None:
        if exc is not None:
            super().finish(exc)
            return
        pgconn = self._pgconn
        while pgconn.put_copy_end(None) == 0:
            _wait(pgconn, write=True)
        while pgconn.flush() != 0:
            _wait(pgconn, write=True)
        self._info[PENDING] = self._statement


def _wait(pgconn: pq.abc.PGconn, *, write: bool) -> None:
    """Until the connection's socket is writable (or readable); the interpreter lock is free meanwhile."""
    poller = select.poll()
    poller.register(pgconn.socket, select.POLLOUT if write else select.POLLIN)
    poller.poll()
