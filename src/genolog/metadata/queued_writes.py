"""Bulk inserts sent by a thread of the connection's own while the request's thread goes on.

``copy_rows`` (PostgreSQL: ``COPY ... FROM STDIN``) and ``insert_rows`` (SQLite: an INSERT of many rows)
prepare a write on the caller's thread and queue it; the connection's writer thread sends the queued
writes one after another, so the database works on one level of a bulk ingest while the request builds
the next. ``finish``, which ``db.create_engine`` hooks into SQLAlchemy's events, runs before the
connection's next statement, commit, rollback or return to the pool.

What it guarantees:

- Order and visibility: a connection's writes reach the database in the order they were queued, and all
  of them before any later statement of that connection, since that statement first waits for the queue
  to empty. The request reads its own writes, and a commit commits every one of them.
- Errors: a write that fails (a unique external id taken meanwhile, say) raises from the connection's
  next statement or commit, as the same SQLAlchemy error the write itself would have raised; what was
  queued after it goes unsent, and the request fails and rolls back as before. A rollback (or the pool's
  reset) drops what is not yet sent and ignores errors.
- One thread on the wire: while writes are queued only the writer thread talks to the database; the
  caller's thread only formats rows, and every other use of the connection passes ``finish`` first.
- Bounded memory: at most ``_QUEUED`` writes wait; queuing one more blocks until the oldest is sent.

When it is safe to use: through ``db.insert_many`` only, on a connection of an engine made by
``db.create_engine`` (whose events call ``finish``), for inserts nothing reads back from the write itself
(their ids come from ``db.allocate_ids`` beforehand), from the one thread that owns the connection.
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
from psycopg.abc import Buffer
from psycopg.copy import Copy, LibpqWriter, Writer

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
    """The rows as COPY's text format, made by psycopg's own formatter: a ``Copy`` not run on the
    connection (no statement is sent) that writes into memory."""
    collected = _Collected()
    with dbapi_connection.cursor() as cursor, Copy(cursor, binary=False, writer=collected) as copy:
        write_row = copy.write_row
        for row in rows:
            write_row(row)
    return bytes(collected.data)


class _Collected(Writer):
    """A COPY's data kept in memory, for the writer thread to send."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: Buffer) -> None:
        self.data += data


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
        pgconn = self.connection.pgconn
        while pgconn.put_copy_end(None) == 0:
            _wait(pgconn, write=True)
        while pgconn.flush() != 0:
            _wait(pgconn, write=True)


def _wait(pgconn: pq.abc.PGconn, *, write: bool) -> None:
    """Until the connection's socket is writable (or readable); the interpreter lock is free meanwhile."""
    poller = select.poll()
    poller.register(pgconn.socket, select.POLLOUT if write else select.POLLIN)
    poller.poll()
