"""`genolog db copy`: every table of the metadata database from one database to another (SQLite or
PostgreSQL, either way), read from one consistent snapshot of a source that may keep serving, written in
one transaction on an empty target, ids and all.

A backup is a copy into a new SQLite file, a restore a copy back from one.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.engine import Connection

from genolog.metadata import queued_writes, tables
from genolog.metadata.db import (
    Database,
    alembic_config,
    current_revision,
    driver_reason,
    head_revision,
    insert_many,
    normalise_url,
    shown_url,
    upgrade_schema,
)
from genolog.metadata.errors import BadRequest, Conflict, MetadataError, NotFound, Unavailable

#: Rows read from the source, and written to the target, at a time.
BATCH_ROWS = 5_000
#: The table Alembic records the schema's revision in; copied by migrating the target to the same one.
VERSION_TABLE = "alembic_version"
#: The one table migrations fill (the seeded vocabularies): the target's seeded rows are not "data".
SEEDED_TABLE = tables.enum_value


class CopyFailed(MetadataError):
    """The copy stopped part way; its transaction was rolled back and the target left as it was."""


class CopyProgress(Protocol):
    """What a copy reports as it goes: the snapshot's row counts, then each table and its rows."""

    def start(self, counts: Mapping[str, int]) -> None: ...
    def table(self, name: str, rows: int) -> None: ...
    def advance(self, rows: int) -> None: ...


class NoProgress:
    def start(self, counts: Mapping[str, int]) -> None:
        pass

    def table(self, name: str, rows: int) -> None:
        pass

    def advance(self, rows: int) -> None:
        pass


class _RichProgress:
    """Two rich bars: all rows, and the current table's."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._total = progress.add_task("all tables", total=None)
        self._table = progress.add_task("", total=None, visible=False)

    def start(self, counts: Mapping[str, int]) -> None:
        self._progress.update(self._total, total=sum(counts.values()))

    def table(self, name: str, rows: int) -> None:
        self._progress.reset(self._table, total=rows, description=name, visible=True)

    def advance(self, rows: int) -> None:
        self._progress.advance(self._table, rows)
        self._progress.advance(self._total, rows)


@contextmanager
def rich_progress(console: Console) -> Iterator[CopyProgress]:
    """Progress bars on ``console`` while the block runs (nothing where it is not a terminal)."""
    with Progress(
        TextColumn("{task.description:>28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:
        yield _RichProgress(progress)


@dataclass
class CopyReport:
    """What was copied: rows per table (the snapshot's counts, which the target was checked to hold)."""

    source: str
    target: str
    revision: str
    rows: dict[str, int]
    seconds: float
    #: the source SQLite database's journal mode ("wal" lets its writers go on during the copy)
    source_journal_mode: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "revision": self.revision,
            "tables": self.rows,
            "total_rows": self.total_rows,
            "seconds": round(self.seconds, 3),
            "source_journal_mode": self.source_journal_mode,
            "warnings": self.warnings,
        }


def copy_database(
    source_url: str,
    target_url: str,
    *,
    batch_rows: int = BATCH_ROWS,
    progress: CopyProgress | None = None,
) -> CopyReport:
    """Copy every table from ``source_url`` to ``target_url``, which must hold no data (it is migrated to
    the current schema first; a new SQLite file is created). All or nothing: on any failure the target is
    left as it was (and a SQLite file this call created is removed)."""
    progress = progress or NoProgress()
    if batch_rows < 1:
        raise BadRequest(f"The batch size must be at least 1 row (got {batch_rows})")
    shown = (shown_url(source_url.strip()), shown_url(target_url.strip()))  # as given, password hidden
    source_url, target_url = _checked_url(source_url, "source"), _checked_url(target_url, "target")
    if _same_database(source_url, target_url):
        raise BadRequest(f"The source and the target are the same database: {shown[0]}")
    source_file = _sqlite_file(source_url)
    if source_file is not None and not source_file.is_file():
        raise NotFound(f"The source database {shown[0]} does not exist: no file {source_file}")
    target_file = _sqlite_file(target_url)
    new_target_file = target_file if target_file is not None and not target_file.exists() else None
    started = time.monotonic()
    source = _opened(source_url, shown[0])
    try:
        target = _opened(target_url, shown[1])
        try:
            report = _copy(source, target, shown, batch_rows, progress)
        finally:
            target.dispose()
    except BaseException:
        if new_target_file is not None:
            _remove_sqlite_file(new_target_file)
        raise
    finally:
        source.dispose()
    report.seconds = time.monotonic() - started
    return report


def _checked_url(url: str, role: str) -> str:
    given, url = url.strip(), normalise_url(url.strip())
    try:
        parsed = sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise BadRequest(
            f"The {role} {shown_url(given)} is not a database URL (e.g. sqlite:///path/genolog.sqlite or "
            "postgresql://user@host/genolog)"
        ) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise BadRequest(
            f"The {role} {shown_url(given)} is neither SQLite nor PostgreSQL, the databases genolog runs on"
        )
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise BadRequest(
            f"The {role} {shown_url(given)} names no SQLite file (sqlite:///path/genolog.sqlite)"
        )
    return url


def _sqlite_file(url: str) -> Path | None:
    parsed = sa.make_url(url)
    return (
        Path(parsed.database).resolve() if parsed.get_backend_name() == "sqlite" and parsed.database else None
    )


def _same_database(a: str, b: str) -> bool:
    file_a, file_b = _sqlite_file(a), _sqlite_file(b)
    if file_a is not None or file_b is not None:
        return file_a == file_b
    url_a, url_b = sa.make_url(a), sa.make_url(b)
    return (url_a.host or "localhost", url_a.port or 5432, url_a.database) == (
        url_b.host or "localhost",
        url_b.port or 5432,
        url_b.database,
    )


def _opened(url: str, shown: str) -> Database:
    """The database, connected once to check that it answers; ``Unavailable`` in one sentence if not."""
    db: Database | None = None
    try:
        # two connections at most: the copy's own, and the pool's spare
        db = Database(url, pool_size=1, max_overflow=1)
        with db.engine.connect():
            pass
    except (sa.exc.DBAPIError, sa.exc.ArgumentError, OSError, ImportError) as error:
        if db is not None:
            db.dispose()
        raise Unavailable(f"Cannot open the database {shown}: {driver_reason(error)}") from None
    return db


def _remove_sqlite_file(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with suppress(FileNotFoundError):
            leftover.unlink()


def _copy(
    source: Database, target: Database, shown: tuple[str, str], batch_rows: int, progress: CopyProgress
) -> CopyReport:
    report = CopyReport(shown[0], shown[1], "", {}, 0.0)
    with _snapshot(source) as (snapshot, journal_mode):
        report.source_journal_mode = journal_mode
        if journal_mode is not None and journal_mode != "wal":
            report.warnings.append(
                f"The source SQLite database is not in WAL mode (journal mode {journal_mode}): "
                "its writers waited for the copy to end"
            )
        report.revision = _source_revision(snapshot, report.source)
        report.rows = {t.name: _count(snapshot, t) for t in tables.metadata.sorted_tables}
        progress.start(report.rows)
        with _failures_as(CopyFailed, f"Writing to {report.target} failed"), target.write() as conn:
            _refuse_data(conn, report.target)
            upgrade_schema(conn)
            conn.execute(SEEDED_TABLE.delete())  # the source's vocabularies replace the seeded ones
            for table in tables.metadata.sorted_tables:
                progress.table(table.name, report.rows[table.name])
                with _failures_as(CopyFailed, f"Copying table {table.name} failed"):
                    copied = _copy_table(snapshot, conn, table, batch_rows, progress)
                if copied != report.rows[table.name]:
                    raise CopyFailed(
                        f"Table {table.name}: read {copied} rows from the snapshot, which counted "
                        f"{report.rows[table.name]}; the target was left as it was"
                    )
            if conn.dialect.name == "postgresql":
                _reset_sequences(conn)
            _check_target(conn, report)
    return report


@contextmanager
def _failures_as(error: type[MetadataError], what: str) -> Iterator[None]:
    try:
        yield
    except sa.exc.DBAPIError as failure:
        raise error(f"{what}: {driver_reason(failure)}; the target was left as it was") from failure


@contextmanager
def _snapshot(db: Database) -> Iterator[tuple[Connection, str | None]]:
    """A read transaction that sees one moment of the database however long it lasts, while others go on
    writing: REPEATABLE READ on PostgreSQL, a read transaction on SQLite (begun with the first read; in
    WAL mode writers go on meanwhile, in any other mode they wait for it to end). Yields its connection and,
    on SQLite, the journal mode."""
    with _failures_as(Unavailable, "Reading the source failed"), db.engine.connect() as conn:
        journal_mode = None
        if db.is_sqlite:
            journal_mode = str(conn.exec_driver_sql("PRAGMA journal_mode").scalar_one()).lower()
            conn.rollback()  # the pragma began SQLAlchemy's transaction; the snapshot's begins below
        else:
            conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            yield conn, journal_mode


def _source_revision(conn: Connection, shown: str) -> str:
    revision = current_revision(conn)
    head = head_revision()
    if revision is None:
        raise BadRequest(f"The source {shown} is not a genolog database (it has no {VERSION_TABLE} table)")
    if revision != head:
        try:
            ScriptDirectory.from_config(alembic_config()).get_revision(revision)
            remedy = "bring it up to date with `genolog migrate --db SOURCE` first"
        except CommandError:  # a revision this genolog does not know
            remedy = "it was written by a newer genolog: copy it with that one"
        raise BadRequest(
            f"The source {shown} has schema revision {revision}, not this genolog's {head}: {remedy}"
        )
    return revision


def _count(conn: Connection, table: sa.Table) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _refuse_data(conn: Connection, shown: str) -> None:
    """``Conflict`` if any of genolog's tables on the target (those it has yet, whatever its revision)
    holds a row, bar the vocabularies migrations seed."""
    existing = set(sa.inspect(conn).get_table_names())
    holding = [
        table.name
        for table in tables.metadata.sorted_tables
        if table.name in existing
        and table is not SEEDED_TABLE
        and conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first() is not None
    ]
    if SEEDED_TABLE.name in existing:
        seeded = _seeded_rows()
        found = {(r.kind, r.name) for r in conn.execute(sa.select(SEEDED_TABLE))}
        if found - seeded:
            holding.append(SEEDED_TABLE.name)
    if holding:
        raise Conflict(
            f"The target {shown} already holds data (in {', '.join(holding)}): copy only into an empty "
            "database; nothing was written"
        )


def _seeded_rows() -> set[tuple[str, str]]:
    """The vocabularies the first migration seeds, as (kind, name)."""
    first = ScriptDirectory.from_config(alembic_config()).get_revision("0001")
    assert first is not None
    seeded: dict[str, list[str]] = first.module.SEEDED_ENUMS
    return {(kind, name) for kind, names in seeded.items() for name in names}


def _copy_table(
    source: Connection, target: Connection, table: sa.Table, batch_rows: int, progress: CopyProgress
) -> int:
    """Stream ``table`` in primary-key order, ``batch_rows`` at a time (a server-side cursor on
    PostgreSQL), into the target with ``insert_many`` (COPY on PostgreSQL); returns the rows copied.

    JSON goes over as the source's text, unparsed (exact, and a JSON ``null`` stays one). Times go over
    as aware UTC: SQLite keeps UTC without its zone. A reference from a row to a later row of its own
    table (a sample's parent made after it) is written NULL and set once the table is in, as the foreign
    key is checked at each statement's end."""
    names = [c.name for c in table.columns]
    raw = _raw_table(table)
    read = source.execution_options(yield_per=batch_rows).execute(
        sa.select(*(_raw_column(source, c) for c in table.columns)).order_by(*table.primary_key)
    )
    to_utc = [i for i, c in enumerate(table.columns) if isinstance(c.type, sa.DateTime)]
    own_key = _own_key(table)
    forward = (
        [i for i, c in enumerate(table.columns) if _refers_to_own_table(c)] if own_key is not None else []
    )
    later: list[tuple[int, str, Any]] = []
    copied = 0
    for batch in read.partitions():
        rows = []
        for row in batch:
            values = list(row)
            for i in to_utc:
                values[i] = _as_utc(values[i])
            for i in forward:
                assert own_key is not None
                if values[i] is not None and values[i] > values[own_key]:
                    later.append((values[own_key], names[i], values[i]))
                    values[i] = None
            rows.append(dict(zip(names, values, strict=True)))
        insert_many(target, raw, rows)
        copied += len(rows)
        progress.advance(len(rows))
    queued_writes.finish(target.connection.info)  # this table's last writes' errors are this table's
    for row_id, column, value in later:
        target.execute(table.update().where(table.c.id == row_id).values({column: value}))
    return copied


def _raw_table(table: sa.Table) -> sa.Table:
    """``table`` with its JSON columns as text, for ``insert_many`` to write the source's JSON as it is."""
    return sa.Table(
        table.name,
        sa.MetaData(),
        *(sa.Column(c.name, sa.Text() if _is_json(c) else c.type) for c in table.columns),
    )


def _raw_column(conn: Connection, column: sa.Column[Any]) -> sa.ColumnElement[Any]:
    if not _is_json(column):
        return column
    if conn.dialect.name == "postgresql":  # psycopg would parse jsonb: ask for its text
        return sa.cast(column, sa.Text()).label(column.name)
    return sa.type_coerce(column, sa.types.NullType()).label(column.name)  # stored text (or a bare number)


def _is_json(column: sa.Column[Any]) -> bool:
    return isinstance(column.type, sa.JSON)


def _as_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _own_key(table: sa.Table) -> int | None:
    """The position of the table's single integer key column, if it has one."""
    keys = list(table.primary_key.columns)
    if len(keys) == 1 and isinstance(keys[0].type, sa.Integer):
        return list(table.columns).index(keys[0])
    return None


def _refers_to_own_table(column: sa.Column[Any]) -> bool:
    return any(key.column.table is column.table for key in column.foreign_keys)


def _reset_sequences(conn: Connection) -> None:
    """Each id sequence past its table's largest id, so the next insert gets a fresh one."""
    for table in tables.metadata.sorted_tables:
        column = table.autoincrement_column
        if column is None:
            continue
        sequence = sa.func.pg_get_serial_sequence(table.name, column.name)
        largest = sa.select(sa.func.max(column)).scalar_subquery()
        # setval(seq, max, true): the next value is max + 1; an empty table's is 1 (setval(seq, 1, false))
        conn.execute(sa.select(sa.func.setval(sequence, sa.func.coalesce(largest, 1), largest.is_not(None))))


def _check_target(conn: Connection, report: CopyReport) -> None:
    """The target holds the snapshot's row counts, table by table, and the source's schema revision."""
    wrong = {
        table.name: (report.rows[table.name], found)
        for table in tables.metadata.sorted_tables
        if (found := _count(conn, table)) != report.rows[table.name]
    }
    if wrong:
        shown = ", ".join(
            f"{name} {want} rows in the snapshot, {got} written" for name, (want, got) in wrong.items()
        )
        raise CopyFailed(f"The target's row counts differ from the source's: {shown}; it was left as it was")
    if current_revision(conn) != report.revision:
        raise CopyFailed(f"The target's schema revision is not the source's {report.revision}")
