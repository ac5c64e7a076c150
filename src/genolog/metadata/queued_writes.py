"""Bulk inserts done by a thread of the connection's own while the request's thread goes on.

A bulk ingest writes each level of a chunk (samples, their external ids, assays, sequencing groups, their
links) in one go: a COPY on PostgreSQL, a few INSERTs of many rows on SQLite. Done on the request's
thread, each left it idle while the database worked: PostgreSQL works on a COPY's rows more slowly than
Python makes them, and a COPY cannot start before the previous one has ended; SQLite writes the rows with
the interpreter lock released. So ``copy_rows`` and ``insert_rows`` prepare the data (on the request's
thread, which holds the lock anyway) and queue it; the connection's writer thread sends each write as soon
as the one before has ended, while the request's thread goes on building the next level. Before the
connection's next statement, commit or rollback, ``finish`` (which ``db.create_engine`` hooks into
SQLAlchemy's events) waits for the queue to empty and collects the outcome.

A write that fails (a unique external id taken meanwhile, say) raises there, from the next statement, as
the same SQLAlchemy error the write itself would have raised; what was queued after it goes unsent, and the
request fails and rolls back as before.
"""

from __future__ import annotations

import select
import sqlite3
from collections import deque
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg import pq
from psycopg._copy_base import TextFormatter  # private, but the one formatter COPY itself uses
from psycopg.adapt import Transformer
from psycopg.copy import LibpqWriter

# key, in the pooled connection's ``info``, of its writer while writes are queued or a result is pending
PENDING = "genolog_pending_writes"
_WRITER = "genolog_writer"  # the connection's writer, kept between requests (its thread idles)
# writes prepared and waiting to be sent, at most: two chunks of a bulk ingest, which bounds the memory
_QUEUED = 10


def copy_rows(
    dbapi_connection: psycopg.Connection[Any],
    info: MutableMapping[str, Any],
    statement: str,
    rows: Iterable[Sequence[Any]],
) -> None:
    """PostgreSQL: ``COPY ... FROM STDIN`` the rows; returns once they are queued."""
    try:
        data = _formatted(dbapi_connection, rows)
    except psycopg.Error as error:  # a value psycopg cannot adapt, as SQLAlchemy's own statements raise it
        raise sa.exc.DBAPIError.instance(statement, None, error, psycopg.Error) from error
    writer = _writer(dbapi_connection, info)
    writer.submit(statement, partial(_copy, dbapi_connection, statement, data), result_later=True)


def insert_rows(
    dbapi_connection: sqlite3.Connection,
    info: MutableMapping[str, Any],
    statement: str,
    values: Sequence[Any],
) -> None:
    """SQLite: execute the INSERT with its ``values``; returns once it is queued."""
    _writer(dbapi_connection, info).submit(statement, partial(dbapi_connection.execute, statement, values))


def finish(info: MutableMapping[str, Any], *, raise_error: bool = True) -> None:
    """Wait for the connection's queued writes and collect their outcome; raise the first error. Unless
    ``raise_error`` (a rollback), the writes not yet sent are dropped and errors ignored. Every statement
    passes here: with nothing queued it costs one lookup."""
    writer: _Writer | None = info.pop(PENDING, None)
    if writer is not None:
        writer.drain(raise_error=raise_error)


def _writer(dbapi_connection: Any, info: MutableMapping[str, Any]) -> _Writer:
    writer: _Writer | None = info.get(_WRITER)
    if writer is None or writer.connection is not dbapi_connection:
        writer = info[_WRITER] = _Writer(dbapi_connection)
    info[PENDING] = writer
    return writer


class _Writer:
    """Does one connection's writes in order on a thread of its own."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="genolog-writer")
        self._queued: deque[Future[None]] = deque()
        self._pending: str | None = None  # the COPY sent whose result is still to be collected
        self._failed: BaseException | None = None  # the first error; what was queued after goes unsent
        self._dropping = False  # rolling back: what is queued goes unsent

    def submit(self, statement: str, write: Callable[[], object], *, result_later: bool = False) -> None:
        """Queue ``write``; with ``result_later`` (a COPY) its result is collected before the next use."""
        while len(self._queued) >= _QUEUED:
            self._queued.popleft().result()
        self._queued.append(self._thread.submit(self._write, statement, write, result_later))

    def drain(self, *, raise_error: bool) -> None:
        self._dropping = not raise_error
        while self._queued:
            self._queued.popleft().result()
        try:
            self._collect()
        except sa.exc.DBAPIError as error:
            self._failed = self._failed or error
        failed, self._failed, self._dropping = self._failed, None, False
        if failed is not None and raise_error:
            raise failed

    def _write(self, statement: str, write: Callable[[], object], result_later: bool) -> None:
        if self._failed is not None or self._dropping:
            return
        try:
            self._collect()
            write()
            if result_later:
                self._pending = statement
        except (psycopg.Error, sqlite3.Error) as error:  # as SQLAlchemy's own statements raise it
            base = psycopg.Error if isinstance(error, psycopg.Error) else sqlite3.Error
            self._failed = sa.exc.DBAPIError.instance(statement, None, error, base)
        except BaseException as error:  # raised on the request's thread, by ``drain``
            self._failed = error

    def _collect(self) -> None:
        """The result of the COPY sent last, if any; raises its error."""
        statement, self._pending = self._pending, None
        if statement is None:
            return
        pgconn = self.connection.pgconn
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
                    failed = psycopg.errors.error_from_result(result, encoding=self.connection.info.encoding)
        except psycopg.Error as lost:  # the connection itself failed (the server went away, say)
            failed = lost
        if failed is not None:
            raise sa.exc.DBAPIError.instance(statement, None, failed, psycopg.Error) from failed


# --- PostgreSQL's COPY ----------------------------------------------------------------------------------


def _formatted(dbapi_connection: psycopg.Connection[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    formatter = TextFormatter(Transformer(dbapi_connection))
    data = bytearray()
    for row in rows:
        data += formatter.write_row(row)
    data += formatter.end()
    return bytes(data)


def _copy(connection: psycopg.Connection[Any], statement: str, data: bytes) -> None:
    with connection.cursor() as cursor, cursor.copy(statement, writer=_EndLater(cursor)) as copy:
        copy.write(data)


class _EndLater(LibpqWriter):
    """Sends the rows as psycopg does; at the end sends the end of the data without waiting for its result
    (after an error in Python, cancels the COPY and waits, as psycopg does)."""

    def finish(self, exc: BaseException | None = None) -> None:
        if exc is not None:
            super().finish(exc)
            return
        pgconn = self._pgconn
        while pgconn.put_copy_end(None) == 0:
            _wait(pgconn, write=True)
        while pgconn.flush() != 0:
            _wait(pgconn, write=True)


def _wait(pgconn: pq.abc.PGconn, *, write: bool) -> None:
    """Until the connection's socket is writable (or readable); the interpreter lock is free meanwhile."""
    poller = select.poll()
    poller.register(pgconn.socket, select.POLLOUT if write else select.POLLIN)
    poller.poll()
