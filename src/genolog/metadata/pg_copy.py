"""PostgreSQL COPY sent by a thread of the connection's own, its outcome collected when the connection is
next used.

A bulk ingest writes each level of a chunk (samples, their external ids, assays, sequencing groups, their
links) with one COPY. PostgreSQL works on the rows more slowly than Python makes them, and a COPY cannot
start before the previous one has ended, so sending them from the request's thread left it idle for much
of the database's work. Instead ``copy_rows`` formats the rows (on the request's thread, which holds the
interpreter anyway) and queues them; a writer thread sends each COPY as soon as the previous one has ended,
while the request's thread goes on building the next level. Before the connection's next statement, commit
or rollback, ``finish`` (which ``db.create_engine`` hooks into SQLAlchemy's events) waits for the queue to
empty and collects the last result.

A COPY that fails (a unique external id taken meanwhile, say) raises there, from the next statement, as
the same SQLAlchemy error the COPY itself would have raised; the COPYs queued after it are dropped, and the
request fails and rolls back as before.
"""

from __future__ import annotations

import select
from collections import deque
from collections.abc import Iterable, MutableMapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg import pq
from psycopg._copy_base import TextFormatter  # private, but the one formatter COPY itself uses
from psycopg.adapt import Transformer
from psycopg.copy import LibpqWriter

# key, in the pooled connection's ``info``, of its writer while COPYs are queued or a result is pending
PENDING = "genolog_pending_copy"
_WRITER = "genolog_copy_writer"  # the connection's writer, kept between requests (its thread idles)
# COPYs formatted and waiting to be sent, at most: two chunks of a bulk ingest, which bounds the memory
_QUEUED = 10


def copy_rows(
    dbapi_connection: psycopg.Connection[Any],
    info: MutableMapping[str, Any],
    statement: str,
    rows: Iterable[Sequence[Any]],
) -> None:
    """``COPY ... FROM STDIN`` the rows; returns once they are queued, the result left for ``finish``."""
    writer: _Writer | None = info.get(_WRITER)
    if writer is None or writer.connection is not dbapi_connection:
        writer = info[_WRITER] = _Writer(dbapi_connection)
    try:
        data = _formatted(dbapi_connection, rows)
    except psycopg.Error as error:  # a value psycopg cannot adapt, as SQLAlchemy's own statements raise it
        raise sa.exc.DBAPIError.instance(statement, None, error, psycopg.Error) from error
    writer.submit(statement, data)
    info[PENDING] = writer


def finish(info: MutableMapping[str, Any], *, raise_error: bool = True) -> None:
    """Wait for the connection's queued COPYs and collect their outcome; raise the first error. Unless
    ``raise_error`` (a rollback), the COPYs not yet sent are dropped and errors ignored."""
    writer: _Writer | None = info.pop(PENDING, None)
    if writer is not None:
        writer.drain(raise_error=raise_error)


def _formatted(dbapi_connection: psycopg.Connection[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    formatter = TextFormatter(Transformer(dbapi_connection))
    data = bytearray()
    for row in rows:
        data += formatter.write_row(row)
    data += formatter.end()
    return bytes(data)


class _Writer:
    """Sends one connection's COPYs in order on a thread of its own."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self.connection = connection
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="genolog-copy")
        self._queued: deque[Future[None]] = deque()
        self._pending: str | None = None  # the COPY sent whose result is still to be collected
        self._failed: BaseException | None = None  # the first error; what was queued after goes unsent
        self._dropping = False  # rolling back: what is queued goes unsent

    def submit(self, statement: str, data: bytes) -> None:
        while len(self._queued) >= _QUEUED:
            self._queued.popleft().result()
        self._queued.append(self._thread.submit(self._send, statement, data))

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

    def _send(self, statement: str, data: bytes) -> None:
        if self._failed is not None or self._dropping:
            return
        try:
            self._collect()
            with self.connection.cursor() as cursor, cursor.copy(statement, writer=_EndLater(cursor)) as copy:
                copy.write(data)
            self._pending = statement
        except psycopg.Error as error:  # as SQLAlchemy's own statements raise it
            self._failed = sa.exc.DBAPIError.instance(statement, None, error, psycopg.Error)
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
