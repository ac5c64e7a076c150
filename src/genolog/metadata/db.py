"""Connecting to the metadata database (embedded SQLite or PostgreSQL) and running its migrations."""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import chain, islice
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Engine

from genolog.metadata import metrics, queued_writes
from genolog.metadata.errors import BadRequest
from genolog.metadata.inputs import check_json

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The threads that serve requests at once: uvicorn runs FastAPI's plain ``def`` endpoints and dependencies
# on anyio's default thread limiter, 40 threads.
SERVER_THREADS = 40
# PostgreSQL advisory-lock key that serialises migrations (any fixed number no other lock uses)
MIGRATION_LOCK_KEY = 0x67656E6F6C6F67  # "genolog"


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    return url


def insert_many(
    conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]], *, ids: Sequence[int] = ()
) -> None:
    """Insert ``rows`` (all with the same keys), with ``ids`` (from ``allocate_ids``) as their ids if
    given: a COPY on PostgreSQL, INSERTs of many rows on SQLite.

    SQLAlchemy's own executemany does Python work for every row (parameter construction, per-row bind
    processing); bulk ingest writes millions of rows, so this converts values once each and hands plain
    tuples to the driver. The writes are queued and done by a thread of the connection's own
    (``queued_writes``), so the database works on them while the caller goes on.
    """
    if not rows:
        return
    columns = list(rows[0])
    dialect = conn.dialect
    # only the columns that need converting (JSON, dates) go through Python per value
    converted = [(i, c) for i, c in enumerate(_converters(table, columns, dialect)) if c is not None]

    def tuples() -> Iterator[tuple[Any, ...]]:
        # column by column, lazily: each column one map over the rows, each conversion one map over its
        # column, the rows one zip; all iterated in C, with no Python loop over the rows
        values: list[Iterator[Any]] = [map(itemgetter(c), rows) for c in columns]
        for i, convert in converted:
            values[i] = map(convert, values[i])
        return zip(ids, *values, strict=True) if ids else zip(*values, strict=True)

    quote = dialect.identifier_preparer.quote
    names = ["id", *columns] if ids else columns
    target = f"{quote(table.name)} ({', '.join(map(quote, names))})"
    # queued: done by the connection's writer thread, its outcome collected before the next statement
    raw = conn.connection
    if dialect.name == "postgresql":  # COPY: one stream instead of a round of parse/bind/execute per row
        queued_writes.copy_rows(raw.dbapi_connection, raw.info, f"COPY {target} FROM STDIN", tuples())  # type: ignore[arg-type]
    else:
        _insert_sqlite(raw, target, len(names), tuples())


# Rows per SQLite INSERT, at most: enough to amortise the statement, small enough for its cache.
_SQLITE_ROWS = 1_000


def _insert_sqlite(
    raw: sa.PoolProxiedConnection, target: str, width: int, rows: Iterator[tuple[Any, ...]]
) -> None:
    """The rows as INSERTs of many rows each: SQLite binds each statement's values at once and writes its
    rows in one step, rather than executemany's step per row, with the interpreter lock released
    throughout."""
    sqlite = raw.dbapi_connection
    assert isinstance(sqlite, sqlite3.Connection)
    per_statement = min(_SQLITE_ROWS, sqlite.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width)
    row = "(" + ", ".join(["?"] * width) + ")"
    while part := list(islice(rows, per_statement)):
        statement = f"INSERT INTO {target} VALUES {', '.join([row] * len(part))}"
        queued_writes.insert_rows(sqlite, raw.info, statement, tuple(chain.from_iterable(part)))


def _converters(
    table: sa.Table, columns: list[str], dialect: sa.Dialect
) -> list[Callable[[Any], Any] | None]:
    """Per column, what turns a Python value into the driver's, or None where the value goes as it is.

    JSON is encoded straight to text (which both SQLite and PostgreSQL's COPY take), without SQLAlchemy's
    wrapper or psycopg's adapter; other types use their dialect's bind processor, looked up once per call
    and applied once per distinct value object, as a request stamps one ``now`` on all its rows. None is always NULL (for
    JSON, SQLAlchemy would store a JSON ``null``, which reads back as None all the same)."""
    result: list[Callable[[Any], Any] | None] = []
    for name in columns:
        type_ = table.c[name].type
        if isinstance(type_.dialect_impl(dialect), sa.JSON):
            result.append(lambda value: None if value is None else _json_dumps(value))
            continue
        process = type_.dialect_impl(dialect).bind_processor(dialect)
        result.append(None if process is None else _last_value_cached(process))
    return result


def _last_value_cached(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    last: list[Any] = [object(), None]  # (value, converted)

    def convert(value: Any) -> Any:
        if value is None:
            return None
        if value is not last[0]:
            last[0], last[1] = value, process(value)
        return last[1]

    return convert


def one_of(conn: Connection, column: sa.ColumnElement[Any], values: Iterable[Any]) -> sa.ColumnElement[bool]:
    """``column IN (values)`` as one bound parameter: an array on PostgreSQL, a JSON array on SQLite.

    A plain IN binds one parameter per value; for thousands of values (bulk ingest) rendering, sending
    and planning them costs more than the query."""
    values = list(values)
    if conn.dialect.name == "postgresql":
        return column == sa.any_(_pg_array(values, column.type))
    return column.in_(_sqlite_values(values, getattr(column, "name", column)))


def each_of(
    conn: Connection, query: sa.Select[Any], column: sa.ColumnElement[Any], values: Iterable[Any]
) -> sa.Select[Any]:
    """``query`` where ``column`` is one of ``values``, for a ``column`` on which, together with ``query``'s
    own conditions, a unique index finds at most one row per value: looked up value by value, whatever the
    planner's estimates, so its cost follows the values given, never the size of the table.

    On PostgreSQL that is ``query ... LIMIT 1`` as a LATERAL subquery for each element of the values'
    array, which the planner can only run as one index probe per value. A plain ``column = ANY(array)``
    (``one_of``) leaves it the choice, and for a list of hundreds of values it reads the whole table, or,
    beside ``project_id = ...``, every row of the project, whenever its estimates make that cheaper than
    as many index probes: each request's lookup then costs in proportion to the project. SQLite probes
    an index for each value of ``one_of``'s list by itself."""
    values = list(values)
    if conn.dialect.name != "postgresql":
        return query.where(one_of(conn, column, values))
    given = sa.select(sa.func.unnest(_pg_array(values, column.type)).label("value")).subquery("given")
    each = query.where(column == given.c.value).limit(1).lateral("each")
    return sa.select(*each.c).select_from(given).join(each, sa.true())


def id_values(conn: Connection, ids: Sequence[int]) -> sa.Select[Any]:
    """``SELECT value`` over ``ids``, in order, from one bound parameter (see ``one_of``)."""
    if conn.dialect.name == "postgresql":
        return sa.select(sa.func.unnest(_pg_array(list(ids), sa.Integer())).label("value"))
    return _sqlite_values(list(ids), "id")


def _sqlite_values(values: list[Any], what: object) -> sa.Select[Any]:
    try:
        array = sa.literal(orjson.dumps(values).decode())
    except TypeError as error:  # an integer beyond 64 bits: a 400 (api/errors.py), as when bound alone
        raise OverflowError(f"{error} in {what}") from error
    return sa.select(sa.column("value")).select_from(sa.func.json_each(array))


def _pg_array(values: list[Any], item_type: Any) -> sa.Cast[Any]:
    """``values`` as one PostgreSQL array parameter, sent as the text of an array literal, built in one
    join rather than by psycopg's list adapter, which adapts element by element.

    The parameter is sent untyped (psycopg's default for a string) and cast to the array type, so the
    server reads it as that array once, when binding, and plans with it as a constant: a filter looks each
    row up in a hash of the values. Sent as text (``$1::TEXT``), it was the text cast to an array, which
    the server does not fold into a constant: a plan that filters rows rather than probing an index parsed
    the whole list again for every row it read, far slower than reading the row."""
    return sa.cast(sa.literal(_pg_array_text(values), sa.types.NullType()), ARRAY(item_type))


def _pg_array_text(values: list[Any]) -> str:
    """``values`` as a PostgreSQL array literal: ``{1,2}``, ``{"a","b \\"c\\""}``, NULL for None."""
    if all(type(v) is int for v in values):
        return "{" + ",".join(map(str, values)) + "}"
    quoted = (
        "NULL" if v is None else '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values
    )
    return "{" + ",".join(quoted) + "}"


_SEQUENCES: dict[str, str] = {}  # table -> the sequence of its id column (the schema names them once)


def allocate_ids(conn: Connection, counts: Mapping[sa.Table, int]) -> dict[sa.Table, list[int]]:
    """New ids for ``counts`` rows of each table, in one round trip on PostgreSQL."""
    if conn.dialect.name == "postgresql":
        names = []
        for table in counts:
            # the sequence looked up once, not per row as ``nextval(pg_get_serial_sequence(...))`` did
            name = _SEQUENCES.get(table.name)
            if name is None:
                name = conn.execute(sa.select(sa.func.pg_get_serial_sequence(table.name, "id"))).scalar_one()
                _SEQUENCES[table.name] = name
            names.append(name)
        # one array per table, which psycopg reads in C, rather than a row per id through SQLAlchemy's
        # result
        each = "(SELECT array_agg(nextval(%s::regclass)) FROM generate_series(1, %s))"
        drawn = conn.exec_driver_sql(
            "SELECT " + ", ".join([each] * len(names)),
            tuple(v for name, count in zip(names, counts.values(), strict=True) for v in (name, count)),
        ).one()
        return {table: ids or [] for table, ids in zip(counts, drawn, strict=True)}
    # SQLite: writers hold the database's write lock (BEGIN IMMEDIATE), so max(id) cannot move under us
    result = {}
    for table, count in counts.items():
        start = conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one()
        result[table] = list(range(start + 1, start + 1 + count))
    return result


def _json_dumps(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError as e:
        # orjson (like the JSON types of most clients) holds integers in 64 bits. Refuse the value rather
        # than store a number that reads back changed. SQLAlchemy wraps this in a StatementError, which
        # the API answers with the BadRequest inside it (see api/errors.py).
        big = _first_big_int(value)
        if big is None:  # a lone surrogate or nesting beyond orjson's 255 levels: a 400 naming which
            check_json(value, "A JSON value in the request")
            raise
        raise BadRequest(
            f"A number in the request is out of range: JSON integers must lie between -2**63 and 2**64-1 "
            f"(got {big})"
        ) from e


def _first_big_int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value if not -(2**63) <= value < 2**64 else None
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list | tuple) else ()
    for child in children:
        found = _first_big_int(child)
        if found is not None:
            return found
    return None


def _json_loads(value: str | bytes | float) -> Any:
    # SQLite gives a column declared JSON numeric affinity: a bare JSON number ("3", "0.5") is stored, and
    # read back, as an SQLite INTEGER or REAL rather than as text (a phenotype's value can be a number).
    if isinstance(value, int | float):
        return value
    return orjson.loads(value)


def create_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    # orjson reads and writes the JSON columns (meta, reads, outputs), which every ingest and answer
    # carries, rather than the standard library's json
    kwargs.setdefault("json_serializer", _json_dumps)
    kwargs.setdefault("json_deserializer", _json_loads)
    if url.startswith("sqlite"):
        return _create_sqlite_engine(url, **kwargs)
    # Enough connections for every request thread at once: a writer waiting on a lock holds its
    # connection, and with fewer connections than threads the rest of the requests would wait for one and
    # fail (pool timeout, a 503) though the database itself would soon answer them.
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", SERVER_THREADS - 10)
    kwargs.setdefault("pool_pre_ping", True)
    engine = sa.create_engine(url, **kwargs)
    _finish_writes_first(engine)
    metrics.watch(engine)
    return engine


def _finish_writes_first(engine: Engine) -> None:
    """Wait for queued writes (``queued_writes``) and collect their outcome before anything else uses
    their connection."""

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _before_statement(conn: Connection, *_: Any) -> None:
        queued_writes.finish(conn.connection.info)

    @sa.event.listens_for(engine, "commit")
    def _before_commit(conn: Connection) -> None:
        queued_writes.finish(conn.connection.info)

    @sa.event.listens_for(engine, "rollback")
    def _before_rollback(conn: Connection) -> None:  # rolled back anyway: its error no longer matters
        queued_writes.finish(conn.connection.info, raise_error=False)

    @sa.event.listens_for(engine, "reset")
    def _before_reset(_dbapi_connection: Any, record: Any, _state: Any) -> None:
        queued_writes.finish(record.info, raise_error=False)


def _create_sqlite_engine(url: str, **kwargs: Any) -> Engine:
    path = sa.make_url(url).database
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        # No cap on connections (SQLAlchemy's default for a file is 5 + 10): writers queue on SQLite's
        # write lock (busy_timeout, below) holding their connections, and while a long write runs the
        # other requests must queue there too, not time out waiting for a pooled connection.
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", -1)
    kwargs.setdefault("connect_args", {})
    kwargs["connect_args"].setdefault("timeout", 60)
    kwargs["connect_args"].setdefault("check_same_thread", False)
    engine = sa.create_engine(url, **kwargs)
    _finish_writes_first(engine)
    metrics.watch(engine)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front: a deferred transaction that later upgrades to a writer
        # fails with "database is locked" instead of waiting for its turn.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


@contextmanager
def statement_time_limit(conn: Connection, seconds: float) -> Iterator[None]:
    """Within this block, a statement on ``conn`` still running ``seconds`` from now is cancelled with an
    error (``OperationalError``): PostgreSQL's ``SET LOCAL statement_timeout`` (each statement, to the end
    of the transaction, which must be open), or on SQLite a progress handler that interrupts the statement
    once the time has passed (removed again at the end: the connection goes back to the pool)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, math.ceil(seconds * 1000))}")
        yield
        return
    sqlite = conn.connection.dbapi_connection
    assert isinstance(sqlite, sqlite3.Connection)
    deadline = time.monotonic() + seconds
    sqlite.set_progress_handler(lambda: time.monotonic() > deadline, _SQLITE_PROGRESS_STEPS)
    try:
        yield
    finally:
        sqlite.set_progress_handler(None, 0)


# SQLite virtual-machine steps between looks at the clock: some microseconds of work each.
_SQLITE_PROGRESS_STEPS = 10_000


class Database:
    """An engine plus the two ways the service touches it: read transactions and write transactions."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = normalise_url(url)
        self.engine = create_engine(self.url, **engine_kwargs)
        self.is_sqlite = self.engine.dialect.name == "sqlite"

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that commits on success and rolls back on any error: all or nothing."""
        with self.engine.connect() as conn:
            if self.is_sqlite:
                conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                yield conn

    def migrate(self) -> None:
        """Bring the schema to the newest revision (creating it on an empty database).

        Processes that start on one database at once (``serve`` and ``token create`` on a new data dir)
        migrate one after the other: on SQLite the migration holds the write lock from its first
        statement (BEGIN IMMEDIATE; the next one waits for it, up to the busy timeout, where a deferred
        transaction that read the schema first would fail with "database is locked" the moment it came to
        write), on PostgreSQL an advisory lock for the transaction. The later one then finds the schema
        up to date."""
        with self.write() as conn:
            if not self.is_sqlite:
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
            config = alembic_config()
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config
