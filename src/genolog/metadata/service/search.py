"""The search box's lookup: any internal id, external id or read file name, across the projects the caller
may read.

``search`` looks for, at once:

- internal ids: a sample (``XPG…``), a sequencing group (``CPG…``), a cohort (``COH…``), and for a number
  a participant, a family or an analysis with that id;
- external ids of participants, samples and families, in every organisation (``*_external_id``);
- read files: an assay's ``meta.reads`` file (or secondary file) whose basename or full location is ``q``.

When nothing matches exactly it lists up to ``NEAR_LIMIT`` external ids that start with or contain the
text (case ignored).

Three statements at most after the caller's projects, whatever the projects' size: one ``UNION ALL`` of
every exact lookup (primary keys and the external-id tables' unique ``(project_id, external_id)`` index),
one for read files, and the near matches only when nothing matched exactly. Read files sit in assays'
JSON meta: the files statement keeps the assays whose meta *text* holds the name as a whole JSON string
or as the last part of a path (``LIKE`` on the text, one pass over the project's assays, the same on
SQLite and PostgreSQL) and Python then checks the reads themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from genolog.metadata import tables as t
from genolog.metadata.context import Tx
from genolog.metadata.errors import BadRequest
from genolog.metadata.ids import IdCodec
from genolog.metadata.read_files import read_files
from genolog.metadata.service.session import Session

MAX_QUERY = 300  # characters; longer text is no id, external id or file name of ours
NEAR_LIMIT = 50  # near matches listed when nothing matches exactly
FILE_CANDIDATES = 1000  # assays whose meta text holds the name, checked in Python
MAX_INT = 2**31 - 1  # the ids' SQL type: a larger number is no id (and would overflow on PostgreSQL)


@dataclass
class Hit:
    """One entity that matched, with how it matched (several ways merge into one hit)."""

    kind: str  # sample, sequencing_group, participant, family, analysis or cohort
    project: str
    id: str  # as the pages show it: XPG…, CPG…, COH… or the number
    label: str  # its primary external id, type or name
    how: list[str] = field(default_factory=list)


@dataclass
class Results:
    query: str
    exact: list[Hit]
    near: list[Hit]  # only when nothing matched exactly
    near_truncated: bool = False


def _internal_id(codec: IdCodec, text: str) -> int | None:
    """The raw id of ``text`` formatted by ``codec`` (any case), or None: a bad id is simply no match."""
    for candidate in dict.fromkeys((text, text.upper())):
        try:
            raw = codec.parse(candidate)
        except BadRequest:
            continue
        return raw if raw <= MAX_INT else None
    return None


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _primary_eid(entity: str, id_column: sa.ColumnElement[int]) -> sa.ScalarSelect[Any]:
    """The entity's external id in the primary organisation ('')."""
    table = t.metadata.tables[f"{entity}_external_id"]
    return (
        sa.select(table.c.external_id)
        .where(table.c[f"{entity}_id"] == id_column, table.c.name == "")
        .scalar_subquery()
    )


def _exact_statement(tx: Tx, projects: list[int], q: str) -> sa.CompoundSelect[Any]:
    """Every exact lookup as one UNION ALL of (kind, id, project_id, label, org): ``org`` is the
    organisation of a matching external id, null for a match by internal id."""
    s, sg, p, f, a, c = t.sample, t.sequencing_group, t.participant, t.family, t.analysis, t.cohort

    def row(kind: str, id_: Any, project_id: Any, label: Any) -> list[Any]:
        return [
            sa.literal(kind).label("kind"),
            id_.label("id"),
            project_id.label("project_id"),
            sa.cast(label, sa.Text).label("label"),
            sa.cast(sa.null(), sa.Text).label("org"),  # None: matched by its internal id
        ]

    parts: list[sa.Select[Any]] = []
    sample_id = _internal_id(tx.codecs.sample, q)
    if sample_id is not None:
        parts.append(
            sa.select(*row("sample", s.c.id, s.c.project_id, _primary_eid("sample", s.c.id))).where(
                s.c.id == sample_id, s.c.active.is_(True), s.c.project_id.in_(projects)
            )
        )
    group_id = _internal_id(tx.codecs.sequencing_group, q)
    if group_id is not None:
        parts.append(
            sa.select(*row("sequencing_group", sg.c.id, s.c.project_id, sg.c.type))
            .join(s, s.c.id == sg.c.sample_id)
            .where(
                sg.c.id == group_id,
                sg.c.archived.is_(False),
                s.c.active.is_(True),
                s.c.project_id.in_(projects),
            )
        )
    cohort_id = _internal_id(tx.codecs.cohort, q)
    if cohort_id is not None:
        parts.append(
            sa.select(*row("cohort", c.c.id, c.c.project_id, c.c.name)).where(
                c.c.id == cohort_id, c.c.project_id.in_(projects)
            )
        )
    if q.isascii() and q.isdigit() and int(q) <= MAX_INT:
        number = int(q)
        parts += [
            sa.select(*row("participant", p.c.id, p.c.project_id, _primary_eid("participant", p.c.id))).where(
                p.c.id == number, p.c.project_id.in_(projects)
            ),
            sa.select(*row("family", f.c.id, f.c.project_id, _primary_eid("family", f.c.id))).where(
                f.c.id == number, f.c.project_id.in_(projects)
            ),
            sa.select(*row("analysis", a.c.id, a.c.project_id, a.c.type + " " + a.c.status)).where(
                a.c.id == number, a.c.project_id.in_(projects)
            ),
        ]
    parts += [
        _external_ids(entity, projects, lambda column: column == q)
        for entity in ("sample", "participant", "family")
    ]
    return sa.union_all(*parts)


def _external_ids(
    entity: str, projects: list[int], matches: Callable[[sa.ColumnElement[str]], sa.ColumnElement[bool]]
) -> sa.Select[Any]:
    """(kind, id, project_id, label: the external id, org: its organisation) of the matching ones."""
    table = t.metadata.tables[f"{entity}_external_id"]
    statement = sa.select(
        sa.literal(entity).label("kind"),
        table.c[f"{entity}_id"].label("id"),
        table.c.project_id.label("project_id"),
        sa.cast(table.c.external_id, sa.Text).label("label"),
        sa.cast(table.c.name, sa.Text).label("org"),
    ).where(matches(table.c.external_id), table.c.project_id.in_(projects))
    if entity == "sample":  # the sample pages show active samples only
        s = t.sample
        statement = statement.where(sa.exists().where(s.c.id == table.c.sample_id, s.c.active.is_(True)))
    return statement


def _near_statement(projects: list[int], q: str) -> sa.Select[Any]:
    """External ids containing ``q`` (case ignored), those starting with it first; one more than the limit,
    to tell whether there were more."""
    pattern = f"%{_like_escaped(q.lower())}%"
    starts = f"{_like_escaped(q.lower())}%"
    union = sa.union_all(
        *(
            _external_ids(entity, projects, lambda c: sa.func.lower(c).like(pattern, escape="\\"))
            for entity in ("sample", "participant", "family")
        )
    ).subquery()
    prefix_first = sa.case((sa.func.lower(union.c.label).like(starts, escape="\\"), 0), else_=1)
    return (
        sa.select(union).order_by(prefix_first, union.c.label, union.c.kind, union.c.id).limit(NEAR_LIMIT + 1)
    )


def _file_statement(dialect: str, projects: list[int], q: str) -> sa.Select[Any]:
    """Active samples' assays whose reads' JSON text holds ``"q"`` or ``/q"`` (a JSON string equal to q,
    or ending in a path part q), at most FILE_CANDIDATES of them; ``reads`` is that JSON text.

    SQLite keeps meta as text: it is read as it is. PostgreSQL keeps jsonb: only ``meta -> 'reads'`` is
    turned into text, once per assay (``LIKE ANY`` of both patterns; its default escape is the backslash)."""
    a, s = t.assay, t.sample
    encoded = _like_escaped(orjson.dumps(q).decode()[1:-1])  # q as it is written inside a JSON string
    patterns = [f'%"{encoded}"%', f'%/{encoded}"%']
    text: sa.ColumnElement[str]
    holds: sa.ColumnElement[bool]
    if dialect == "postgresql":
        text = sa.cast(a.c.meta["reads"], sa.Text)
        holds = text.like(sa.any_(sa.cast(sa.bindparam("file_patterns", patterns), ARRAY(sa.Text))))
    else:
        text = sa.func.json_extract(a.c.meta, "$.reads")
        holds = sa.or_(*(sa.cast(a.c.meta, sa.Text).like(p, escape="\\") for p in patterns))
    return (
        sa.select(
            a.c.sample_id,
            s.c.project_id,
            text.label("reads"),
            _primary_eid("sample", s.c.id).label("external_id"),
        )
        .join(s, s.c.id == a.c.sample_id)
        .where(s.c.project_id.in_(projects), s.c.active.is_(True), holds)
        .order_by(a.c.sample_id, a.c.id)
        .limit(FILE_CANDIDATES)
    )


def _read_named(reads_json: str | None, q: str) -> str | None:
    """The location (or basename) of the read file in an assay's ``meta.reads`` that ``q`` names, if any."""
    try:
        reads = orjson.loads(reads_json) if isinstance(reads_json, str) else None
    except orjson.JSONDecodeError:  # SQLite's json_extract gives a bare string unquoted: no files
        return None
    for read in read_files({"meta": {"reads": reads}}):
        location = read.get("location")
        basename = read.get("basename")
        named = isinstance(location, str) and (location == q or location.rsplit("/", 1)[-1] == q)
        if named or basename == q:
            return str(location if isinstance(location, str) else basename)
    return None


def _collect(
    rows: Iterable[Any], names: dict[int, str], tx: Tx, hits: dict[tuple[str, str, str], Hit]
) -> None:
    formats = {
        "sample": tx.codecs.sample.format,
        "sequencing_group": tx.codecs.sequencing_group.format,
        "cohort": tx.codecs.cohort.format,
    }
    for r in rows:
        shown = formats.get(r.kind, str)(r.id)
        key = (r.kind, names[r.project_id], shown)
        hit = hits.get(key)
        if hit is None:
            hit = hits[key] = Hit(r.kind, names[r.project_id], shown, r.label or "")
        how = f"{r.kind.replace('_', ' ')} id" if r.org is None else _organisation(r.org)
        if how not in hit.how:
            hit.how.append(how)


def _organisation(name: str) -> str:
    return "external id" if name == "" else f"external id ({name})"


def search(session: Session, q: str) -> Results:
    """What ``q`` names in the projects the caller may read."""
    if not q:  # the empty search box: not even the caller's projects are read
        return Results(q, [], [])
    return _search(session.tx, session.readable_projects(), q)


def _search(tx: Tx, projects: dict[int, str], q: str) -> Results:
    """What ``q`` names in ``projects`` (id -> name)."""
    if not projects or not q or len(q) > MAX_QUERY or any(ord(ch) < 32 for ch in q):
        return Results(q, [], [])
    ids = list(projects)
    hits: dict[tuple[str, str, str], Hit] = {}
    _collect(tx.conn.execute(_exact_statement(tx, ids, q)), projects, tx, hits)
    for r in tx.conn.execute(_file_statement(tx.conn.dialect.name, ids, q)):
        location = _read_named(r.reads, q)
        if location is None:
            continue
        key = ("sample", projects[r.project_id], tx.codecs.sample.format(r.sample_id))
        hit = hits.setdefault(key, Hit(*key, r.external_id or ""))
        if f"read file {location}" not in hit.how:
            hit.how.append(f"read file {location}")
    if hits:
        return Results(q, sorted(hits.values(), key=lambda h: (h.project, h.label, h.id)), [])
    near: dict[tuple[str, str, str], Hit] = {}
    found = tx.conn.execute(_near_statement(ids, q)).all()
    _collect(found[:NEAR_LIMIT], projects, tx, near)
    return Results(q, [], list(near.values()), near_truncated=len(found) > NEAR_LIMIT)
