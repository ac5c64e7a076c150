"""The project page's sample grid: one row per active sample with its participant, filtered on any
column (meta keys included), sorted, paged on the server and exported as CSV or TSV.

A grid filter means what the same GraphQL filter means: it is built by the same ``reads.filters``. A page costs a fixed number of statements: the
meta keys (2), the count, the rows, and the rows' sequencing groups (when that column is shown). The
column chooser's choice is in the URL (``cols``, repeated), so bookmarks and exports show the same
columns; the export streams its rows. ``grid_page`` reads a project already checked (the project page's
``overview.project_overview``); ``export`` checks the caller may read the project.

A filter's text: ``DEMO0`` (contains, any case), ``=DEMO01`` (equals; ``=`` alone: empty), ``>5``,
``>=5``, ``<5``, ``<=5`` (numbers compare as numbers in meta columns).
"""

from __future__ import annotations

import math
import urllib.parse
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, CursorResult

from genolog.metadata import tables as t
from genolog.metadata.context import Tx
from genolog.metadata.errors import BadRequest
from genolog.metadata.permissions import READ
from genolog.metadata.service.page_numbers import Paged, nearer_end, page_and_size
from genolog.metadata.service.reads.filters import Filter, conditions, meta_conditions
from genolog.metadata.service.reads.rows import matching_external_ids
from genolog.metadata.service.session import Session
from genolog.metadata.spreadsheet import SpreadsheetChunks
from genolog.metadata.store import tallies

MAX_META_KEYS = 30
SEX = {0: "unknown", 1: "male", 2: "female"}
SEX_CODES = {"unknown": 0, "male": 1, "female": 2, "0": 0, "1": 1, "2": 2, "m": 1, "f": 2}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    filterable: bool = True


BASE_COLUMNS = (
    Column("sample", "Sample"),
    Column("external_id", "External id"),
    Column("type", "Type"),
    Column("participant", "Participant"),
    Column("sex", "Reported sex"),
    Column("sequencing_groups", "Sequencing groups"),
    Column("created", "Created", filterable=False),
)
UNSORTABLE = frozenset({"sequencing_groups"})


@dataclass(frozen=True)
class GridQuery:
    """What the page asks for, read from and written back to its URL."""

    filters: dict[str, str] = field(default_factory=dict)
    sort: str = "sample"
    descending: bool = False
    page: int = 1
    per_page: int = 50

    # the chosen columns' keys (``cols``, repeated), in any order; None: every column
    columns: tuple[str, ...] | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> GridQuery:
        """From the page's URL query (a ``QueryParams``, whose ``getlist`` gives every ``cols``)."""
        filters = {k[2:]: v.strip() for k, v in params.items() if k.startswith("f.") and v.strip()}
        page, per_page = page_and_size(params, 50)
        getlist = getattr(params, "getlist", None)
        chosen = getlist("cols") if getlist is not None else [params["cols"]] if "cols" in params else []
        columns = tuple(dict.fromkeys(c.strip() for c in chosen if c.strip())) or None
        return cls(filters, params.get("sort", "sample"), params.get("desc") == "1", page, per_page, columns)

    def params(self, **changes: Any) -> str:
        """The URL query of this view with ``changes`` (and back to page 1 unless a page is given)."""
        q = replace(self, **({"page": 1} | changes))
        pairs = [(f"f.{k}", v) for k, v in q.filters.items()]
        if q.sort != "sample":
            pairs.append(("sort", q.sort))
        if q.descending:
            pairs.append(("desc", "1"))
        if q.page != 1:
            pairs.append(("page", str(q.page)))
        if q.per_page != 50:
            pairs.append(("per", str(q.per_page)))
        pairs += [("cols", key) for key in q.columns or ()]
        return urllib.parse.urlencode(pairs)

    def shown(self, available: list[Column]) -> list[Column]:
        """The chosen columns in the grid's order (all by default); the sample id always, as it links each
        row to its page. Unknown keys (a meta key no sample has any more) are left out."""
        if self.columns is None:
            return available
        return [c for c in available if c.key == "sample" or c.key in self.columns]

    def sorted_by(self, key: str) -> str:
        """The URL query sorting by ``key`` (the other way round when it is already sorted by it)."""
        return self.params(sort=key, descending=not self.descending if self.sort == key else False)


@dataclass
class GridPage(Paged):
    columns: list[Column]  # those shown
    rows: list[dict[str, Any]]
    total: int
    query: GridQuery
    available: list[Column] = field(default_factory=list)  # every column there is, for the chooser


def meta_keys(conn: Connection, project_id: int) -> tuple[list[str], list[str]]:
    """The meta keys of the project's active samples and of its participants (top level, no dots), from
    the project's tallies (``store.tallies``), in order."""
    found = tallies.read(conn, [project_id], ("sample_meta", "participant_meta"))[project_id]

    def shown(keys: dict[str, int]) -> list[str]:
        return [k for k in keys if k and "." not in k][:MAX_META_KEYS]

    return shown(found["sample_meta"]), shown(found["participant_meta"])


def columns_for(sample_keys: list[str], participant_keys: list[str]) -> list[Column]:
    return [
        *BASE_COLUMNS,
        *(Column(f"meta.{k}", f"meta.{k}") for k in sample_keys),
        *(Column(f"participant.meta.{k}", f"participant meta.{k}") for k in participant_keys),
    ]


_sample_eid = t.sample_external_id.alias("sample_eid")
_participant_eid = t.participant_external_id.alias("participant_eid")


def _expressions() -> dict[str, sa.ColumnElement[Any]]:
    s, p = t.sample, t.participant
    return {
        "sample": s.c.id,
        "external_id": _sample_eid.c.external_id,
        "type": s.c.type,
        "participant": _participant_eid.c.external_id,
        "sex": p.c.reported_sex,
        "created": s.c.created_at,
    }


def _parse(text: str) -> tuple[str, str]:
    """A filter's operator and value."""
    for prefix, op in ((">=", "gte"), ("<=", "lte"), (">", "gt"), ("<", "lt"), ("=", "eq")):
        if text.startswith(prefix):
            return op, text[len(prefix) :].strip()
    return "icontains", text


def _typed(value: str, op: str) -> Any:
    if op in ("gt", "gte", "lt", "lte", "eq"):
        for kind in (int, float):
            try:
                return kind(value)
            except ValueError:
                pass
    return value


def _condition(tx: Tx, key: str, text: str) -> sa.ColumnElement[bool]:
    """A grid filter as the SQL of the same GraphQL filter (``reads.filters``)."""
    s, p = t.sample, t.participant
    op, value = _parse(text)
    if key.startswith("meta.") or key.startswith("participant.meta."):
        column = s.c.meta if key.startswith("meta.") else p.c.meta
        name = key.split("meta.", 1)[1]
        if op == "eq" and value == "":
            return sa.and_(*meta_conditions(column, {name: {"isnull": True}}))
        return sa.and_(*meta_conditions(column, {name: {op: _typed(value, op)}}))
    if op == "eq" and value == "":
        empty = {
            "external_id": _sample_eid.c.external_id,
            "participant": s.c.participant_id,
            "sex": p.c.reported_sex,
        }
        if key in empty:
            return empty[key].is_(None)
    spec = Filter.of(op, value)
    if key == "sample":
        try:
            return s.c.id == tx.codecs.sample.parse(value)
        except BadRequest as e:
            raise BadRequest(f"Sample filter: {e}") from None
    if key == "external_id":
        return matching_external_ids(s, "sample", conditions(t.sample_external_id.c.external_id, spec))
    if key == "participant":
        eid = t.participant_external_id
        return s.c.participant_id.in_(
            sa.select(eid.c.participant_id).where(*conditions(eid.c.external_id, spec))
        )
    if key == "type":
        return sa.and_(*conditions(s.c.type, spec))
    if key == "sex":
        code = SEX_CODES.get(value.lower())
        if code is None:
            raise BadRequest(f"Reported sex filter: {value!r} is not one of male, female, unknown, 0, 1, 2")
        return p.c.reported_sex == code
    if key == "sequencing_groups":
        sg = t.sequencing_group
        return s.c.id.in_(
            sa.select(sg.c.sample_id).where(sg.c.archived.is_(False), *conditions(sg.c.type, spec))
        )
    raise BadRequest(f"The grid has no filterable column {key!r}")


def _statement(tx: Tx, project_id: int, query: GridQuery, columns: list[Column]) -> sa.Select[Any]:
    s, p = t.sample, t.participant
    known = {c.key for c in columns if c.filterable}
    where = [s.c.project_id == project_id, s.c.active.is_(True)]
    where += [_condition(tx, key, text) for key, text in query.filters.items() if key in known]
    joined = (
        s.outerjoin(_sample_eid, sa.and_(_sample_eid.c.sample_id == s.c.id, _sample_eid.c.name == ""))
        .outerjoin(p, p.c.id == s.c.participant_id)
        .outerjoin(
            _participant_eid,
            sa.and_(_participant_eid.c.participant_id == p.c.id, _participant_eid.c.name == ""),
        )
    )
    return (
        sa.select(
            s.c.id,
            s.c.type,
            s.c.created_at,
            sa.cast(s.c.meta, sa.Text).label("meta"),
            _sample_eid.c.external_id,
            p.c.id.label("participant_id"),
            _participant_eid.c.external_id.label("participant"),
            p.c.reported_sex,
            sa.cast(p.c.meta, sa.Text).label("participant_meta"),
        )
        .select_from(joined)
        .where(*where)
    )


def _order(query: GridQuery, columns: list[Column], backwards: bool = False) -> list[sa.ColumnElement[Any]]:
    """The grid's order (empty values last, then by id), or with ``backwards`` exactly its reverse."""
    s, p = t.sample, t.participant
    keys = {c.key for c in columns} - UNSORTABLE
    key = query.sort if query.sort in keys else "sample"
    if key.startswith("meta."):
        expression: sa.ColumnElement[Any] = s.c.meta[key[5:]].as_string()
    elif key.startswith("participant.meta."):
        expression = p.c.meta[key[17:]].as_string()
    else:
        expression = _expressions()[key]
    if query.descending != backwards:
        return [
            sa.nulls_first(expression.desc()) if backwards else sa.nulls_last(expression.desc()),
            s.c.id.desc(),
        ]
    return [sa.nulls_first(expression.asc()) if backwards else sa.nulls_last(expression.asc()), s.c.id.asc()]


# built once: a statement built per export chunk, with its ids bound in, is a reference cycle that holds
# the chunk's ids until the garbage collector runs, which the server has run seldom (tune_interpreter): an
# export's memory grew with its rows, 40 MiB a million
_GROUPS_OF_SAMPLES = (
    sa.select(t.sequencing_group.c.sample_id, t.sequencing_group.c.type)
    .where(
        t.sequencing_group.c.sample_id.in_(sa.bindparam("sample_ids", expanding=True)),
        t.sequencing_group.c.archived.is_(False),
    )
    .order_by(t.sequencing_group.c.sample_id, t.sequencing_group.c.type, t.sequencing_group.c.id)
)


def _groups(conn: Connection, sample_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for sample_id, kind in conn.execute(_GROUPS_OF_SAMPLES, {"sample_ids": sample_ids}):
        found.setdefault(sample_id, []).append(kind)
    return found


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def _rows(
    tx: Tx, fetched: Sequence[Any], groups: dict[int, list[str]], columns: list[Column]
) -> list[dict[str, Any]]:
    rows = []
    for r in fetched:
        meta = orjson.loads(r.meta) if r.meta else {}
        participant_meta = orjson.loads(r.participant_meta) if r.participant_meta else {}
        kinds = groups.get(r.id, [])
        row: dict[str, Any] = {
            "sample": tx.codecs.sample.format(r.id),
            "external_id": r.external_id or "",
            "type": r.type,
            "participant": r.participant or "",
            "sex": SEX.get(r.reported_sex, "") if r.reported_sex is not None else "",
            "sequencing_groups": ", ".join(f"{kinds.count(k)} {k}" for k in dict.fromkeys(kinds)),
            "created": _created(r.created_at),
            "_participant_id": r.participant_id,
        }
        for column in columns:
            if column.key.startswith("meta."):
                row[column.key] = _display(meta.get(column.key[5:]))
            elif column.key.startswith("participant.meta."):
                row[column.key] = _display(participant_meta.get(column.key[17:]))
        rows.append(row)
    return rows


def _created(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""


def grid_page(
    session: Session, project_id: int, query: GridQuery, active_samples: int | None = None
) -> GridPage:
    """A page of the grid of a project the caller was checked on (``overview.project_overview``);
    ``active_samples``, when the caller has counted them, is the total of a grid without filters.

    A page in the second half is read backwards from the end (``page_numbers.nearer_end``)."""
    tx = session.tx
    available = columns_for(*meta_keys(tx.conn, project_id))
    shown = query.shown(available)
    statement = _statement(tx, project_id, query, available)
    filtered = any(c.filterable and c.key in query.filters for c in available)
    if active_samples is not None and not filtered:
        total = active_samples
    else:
        total = int(
            tx.conn.execute(sa.select(sa.func.count()).select_from(statement.subquery())).scalar_one()
        )
    pages = max(1, math.ceil(total / query.per_page))
    if query.page > pages:
        query = replace(query, page=pages)
    part = nearer_end(total, (query.page - 1) * query.per_page, query.per_page)
    ordered = statement.order_by(*_order(query, available, backwards=part.backwards))
    fetched = list(tx.conn.execute(ordered.limit(part.limit).offset(part.offset)))
    if part.backwards:
        fetched.reverse()
    groups = _groups(tx.conn, [r.id for r in fetched]) if fetched and _shows_groups(shown) else {}
    return GridPage(shown, _rows(tx, fetched, groups, shown), total, query, available)


def _shows_groups(columns: list[Column]) -> bool:
    return any(c.key == "sequencing_groups" for c in columns)


EXPORT_CHUNK_ROWS = 2000


@dataclass
class Export:
    project: str  # the project's name, as stored
    chunks: Generator[str, None, None]


def export(session: Session, project: str, query: GridQuery, delimiter: str) -> Export:
    """The grid of a project the caller may read, as ``_export`` writes it."""
    row = session.project(project, READ)
    return Export(row["name"], _export(session.tx, row["id"], query, delimiter))


def _export(tx: Tx, project_id: int, query: GridQuery, delimiter: str) -> Generator[str, None, None]:
    """Every row the filters keep, in the grid's order, with the chosen columns, as CSV (``,``) or TSV
        (``\t``) text: the header, then one chunk per ``EXPORT_CHUNK_ROWS`` rows.

        The rows come through a server-side cursor (``stream_results``: PostgreSQL's named cursor; SQLite's
        cursor steps through the result as it is read), so memory stays bounded however many rows there are;
        each chunk reads its rows' sequencing groups (one statement per chunk). The statement runs here, before
        the first chunk, so a bad filter is an error page rather than a broken download. The chunks must be
        read, or the generator closed (which closes the cursor), inside the same transaction (the page's
    ``metadata.streamed.Streamed`` keeps it open while they stream)."""
    available = columns_for(*meta_keys(tx.conn, project_id))
    shown = query.shown(available)
    statement = _statement(tx, project_id, query, available).order_by(*_order(query, available))
    result = tx.conn.execute(statement.execution_options(stream_results=True, yield_per=EXPORT_CHUNK_ROWS))
    chunks = _chunks(tx, result, shown, delimiter)
    next(chunks)  # into its ``with result``: closing the generator from now on closes the cursor
    return chunks


def _chunks(
    tx: Tx, result: CursorResult[Any], columns: list[Column], delimiter: str
) -> Generator[str, None, None]:
    writer = SpreadsheetChunks(delimiter)

    with result:
        yield ""  # primed by ``export``
        writer.writerow([c.label for c in columns])
        yield writer.take()
        for partition in result.partitions():
            groups = _groups(tx.conn, [r.id for r in partition]) if _shows_groups(columns) else {}
            writer.writerows([row[c.key] for c in columns] for row in _rows(tx, partition, groups, columns))
            yield writer.take()
