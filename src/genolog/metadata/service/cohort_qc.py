"""Cohort QC: every sequencing group's latest QC summary in a project, as columns, with its outliers; the
rows of one page of it with their per-position arrays and report links.

The numbers are the QC summary an analysis carries in ``meta.qc`` (`genolog.qc.summary`, written by the
FastQE example's registration job). A sequencing group's QC is its latest (highest id) active,
completed analysis with ``meta.qc.mean_quality``; archived groups and inactive samples are left out.

Outliers are found over the whole cohort, with robust statistics (`qc_outliers`), in a fixed number of
statements whatever its size: the access check, the project's fingerprint (`_fingerprint`), the scalars of
every row read out of the JSON in SQL (only when the fingerprint has changed since this process last read
them: `_cohort_of`), and the full per-position arrays and report links of the page's rows only. The
cohort is kept as columns (`Cohort`: a few lists, not objects per row, which the garbage collector would
scan again and again).

The kept cohorts (`_cohort_of`), performance code whose rules are these:

- key: the database (its ``Engine``, held weakly: a disposed database takes its cohorts with it) and the
  project id;
- invalidation: a kept cohort is used only while the project's `_fingerprint` is the one it was read
  under: the project's latest recorded change and its analyses' highest id and count. Every write through
  the service records a change with its project, except the creation of a participant, sample, assay or
  sequencing group, which no cohort row can show before an analysis of it is made (which changes the
  fingerprint). A raw SQL write that bypasses the service records no change and may be missed until the
  next one. A project's changes commit in the order of their ids (on PostgreSQL its writers record their
  changes and commit one at a time: ``context._take_turns_per_project``; SQLite's writers always take
  turns), so a fingerprint that shows a change shows every earlier one;
- memory: at most `CACHED_PROJECTS` cohorts per database, the one read from it longest ago dropped
  first; a cohort holds a few columns of one value per row (and the outliers' reasons), nothing per page;
- sharing: cohorts are shared by every request and thread (the dictionary under one lock); a kept
  `Cohort` is never changed, except for the row orders it memoises (`Cohort.ordered`), which are the same
  whoever computes them.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine

from genolog.metadata import tables as t
from genolog.metadata.context import Tx
from genolog.metadata.gc_pause import gc_paused
from genolog.metadata.permissions import READ
from genolog.metadata.service.qc_outliers import RULES, Reason, outliers
from genolog.metadata.service.session import Session


@dataclass(slots=True)
class QcRow:
    """One row as the page shows it (only the page's rows and the flagged ones are made)."""

    sg_id: int
    sequencing_group: str
    sample: str
    sample_external_id: str
    analysis_id: int
    scalars: dict[str, float | None]
    dip_at: tuple[str, int] | None
    reasons: list[Reason] = field(default_factory=list)
    score: float = 0.0
    display_url: str | None = None  # read with the row's arrays (`_curves`)

    @property
    def mean_quality(self) -> float | None:
        return self.scalars.get("mean_quality")


def _number(value: Any) -> float | None:
    """A JSON scalar read as text (PostgreSQL) or natively (SQLite), as a number if it is one."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _numbers(values: Sequence[Any]) -> list[float | None]:
    """`_number` of each of a column's values (numbers or text, as the drivers give them): at C speed
    when every value is a finite number or the text of one, as a rule."""
    try:
        found = list(map(float, values))
    except (TypeError, ValueError):
        return [_number(v) for v in values]
    return found if math.isfinite(sum(found)) else [_number(v) for v in values]  # type: ignore[return-value]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@dataclass
class Cohort:
    """A project's QC rows as columns (a few lists, not objects per row), in sequencing-group order, with
    their outliers: rows are made as `QcRow`s only when shown."""

    sg_ids: Sequence[int]
    sample_ids: Sequence[int]
    external_ids: Sequence[str]
    analysis_ids: Sequence[int]
    dip_reads: Sequence[Any]
    dip_positions: Sequence[Any]
    scalars: dict[str, list[float | None]]  # by `Rule.key`
    sg_format: Callable[[int], str]
    sample_format: Callable[[int], str]
    scores: list[float] = field(default_factory=list)
    reasons: dict[int, list[Reason]] = field(default_factory=dict)  # the outliers'
    _orders: dict[str, list[int]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.sg_ids)

    def dip_at(self, i: int) -> tuple[str, int] | None:
        read, position = self.dip_reads[i], _number(self.dip_positions[i])
        return (read, int(position)) if isinstance(read, str) and position else None

    def dip_text(self, i: int) -> str | None:
        return f"{at[0]} position {at[1]}" if (at := self.dip_at(i)) else None

    def row(self, i: int) -> QcRow:
        return QcRow(
            sg_id=self.sg_ids[i],
            sequencing_group=self.sg_format(self.sg_ids[i]),
            sample=self.sample_format(self.sample_ids[i]),
            sample_external_id=self.external_ids[i],
            analysis_id=self.analysis_ids[i],
            scalars={rule.key: self.scalars[rule.key][i] for rule in RULES},
            dip_at=self.dip_at(i),
            reasons=self.reasons.get(i, []),
            score=self.scores[i],
        )

    def ordered(self, sort: str) -> list[int]:
        """The rows' positions in the order of ``sort`` (one of `SORTS`), ties by sequencing group."""
        if sort not in self._orders:
            self._orders[sort] = self._order(sort)
        return self._orders[sort]

    def _order(self, sort: str) -> list[int]:
        # the rows are in sequencing-group order and sorts are stable: one key each is enough
        everyone = range(len(self))
        if sort == "sg":
            return list(everyone)
        if sort == "sample":
            return sorted(everyone, key=self.external_ids.__getitem__)
        if sort == "quality":
            keys = [math.inf if v is None else v for v in self.scalars["mean_quality"]]
            return sorted(everyone, key=keys.__getitem__)
        by_score = sorted(everyone, key=[-score for score in self.scores].__getitem__)
        flagged = self.reasons
        return [i for i in by_score if i in flagged] + [i for i in by_score if i not in flagged]


def _text_at(dialect: str, json: sa.ColumnElement[Any], key: str) -> sa.ColumnElement[Any]:
    """The value of ``key`` in a JSON object as a plain SQL value: SQLite's ``json_extract`` gives
    numbers as numbers (no JSON to decode per value), PostgreSQL's ``->>`` gives text."""
    if dialect == "sqlite":
        return sa.func.json_extract(json, f"$.{key}")
    return json.op("->>", return_type=sa.Text)(sa.literal(key, sa.Text))


QC_KEYS = ("dip_read", "dip_position", *(rule.key for rule in RULES))  # read for every row


def _read_cohort(tx: Tx, project_id: int) -> Cohort:
    """Every sequencing group's latest QC summary (its scalars), its outliers found: one statement.

    The scalars are taken out of each candidate analysis' meta once, before the latest of each group is
    chosen, so the choice sorts small rows and no meta is read twice."""
    a, asg, sg, s = t.analysis, t.analysis_sequencing_group, t.sequencing_group, t.sample
    eid = t.sample_external_id
    dialect = tx.conn.dialect.name
    where = (a.c.project_id == project_id, a.c.active.is_(True), a.c.status == "completed")
    if dialect == "sqlite":  # SQLite keeps the meta it parsed last: the scalars come straight out of it
        values = sa.select(
            a.c.id, *(sa.func.json_extract(a.c.meta, f"$.qc.{key}").label(key) for key in QC_KEYS)
        )
        values = values.where(*where)
    else:  # PostgreSQL would decompress a large meta for every value taken out of it: once, here
        qc = (
            sa.select(a.c.id, a.c.meta.op("->", return_type=JSONB)(sa.literal("qc", sa.Text)).label("qc"))
            .where(*where)
            .offset(0)  # a fence: each meta is decompressed once, its ``qc`` taken out once
            .subquery()
        )
        values = sa.select(qc.c.id, *(_text_at(dialect, qc.c.qc, key).label(key) for key in QC_KEYS))
    each = values.offset(0).subquery()  # a fence: joins and the window sort small rows, not metas
    scalars = (
        sa.select(
            asg.c.sequencing_group_id, each.c.id.label("analysis_id"), *(each.c[key] for key in QC_KEYS)
        )
        .join(each, each.c.id == asg.c.analysis_id)
        .subquery()
    )
    ranked = (
        sa.select(
            scalars,
            sa.func.row_number()
            .over(partition_by=scalars.c.sequencing_group_id, order_by=scalars.c.analysis_id.desc())
            .label("rank"),
        )
        .where(scalars.c.mean_quality.is_not(None))
        .subquery()
    )
    statement = (
        sa.select(
            sg.c.id,
            s.c.id,
            eid.c.external_id,
            ranked.c.analysis_id,
            *(ranked.c[key] for key in QC_KEYS),
        )
        .select_from(ranked)
        .join(sg, sg.c.id == ranked.c.sequencing_group_id)
        .join(s, s.c.id == sg.c.sample_id)
        .outerjoin(eid, sa.and_(eid.c.sample_id == s.c.id, eid.c.name == ""))
        .where(
            ranked.c.rank == 1,
            sg.c.archived.is_(False),
            s.c.active.is_(True),
            s.c.project_id == project_id,  # only the project's own samples, whatever an analysis links
        )
        .order_by(sg.c.id)
    )
    with gc_paused():  # 10,000 rows: no collection of the whole process' objects while they are read
        rows = tx.conn.execute(statement).all()
        sg_ids, sample_ids, external_ids, analysis_ids, dip_reads, dip_positions, *columns = (
            zip(*rows, strict=True) if rows else [()] * (4 + len(QC_KEYS))
        )
        del rows
        found = Cohort(
            sg_ids,
            sample_ids,
            [e or "" for e in external_ids],
            analysis_ids,
            dip_reads,
            dip_positions,
            {rule.key: _numbers(column) for rule, column in zip(RULES, columns, strict=True)},
            tx.codecs.sequencing_group.format,
            tx.codecs.sample.format,
        )
        found.scores, found.reasons = outliers(found.scalars, len(found), found.dip_text)
    return found


def _array(values: list[Any]) -> list[float]:
    """The numbers of a JSON array (all of them, as a rule: checked at C speed by ``sum``)."""
    try:
        sum(values)
    except TypeError:
        return [v for v in values if isinstance(v, int | float)]
    return values


Curves = tuple[dict[str, list[float]], int]  # mean quality by position per read, positions per value


def _curves(tx: Tx, rows: Sequence[QcRow]) -> tuple[dict[int, Curves], dict[int, Any]]:
    """The per-position arrays of ``rows``, and their report links (``meta.display_url``), by analysis
    id: one statement (none for no rows)."""
    if not rows:
        return {}, {}
    a = t.analysis
    found: dict[int, Curves] = {}
    urls: dict[int, Any] = {}
    for analysis_id, by_read, bin_width, url in tx.conn.execute(
        sa.select(
            a.c.id,
            a.c.meta[("qc", "mean_quality_by_position")],
            a.c.meta[("qc", "bin")],
            _text_at(tx.conn.dialect.name, a.c.meta, "display_url"),
        ).where(a.c.id.in_([r.analysis_id for r in rows]))
    ):
        reads = {
            str(read): _array(values)
            for read, values in (by_read.items() if isinstance(by_read, dict) else ())
            if isinstance(values, list)
        }
        found[analysis_id] = (reads, bin_width if isinstance(bin_width, int) and bin_width > 0 else 1)
        urls[analysis_id] = url
    return found, urls


# -- the cohort of a project, kept while the project does not change (the rules: above) ------------------


CACHED_PROJECTS = 16
_cohorts: weakref.WeakKeyDictionary[Engine, OrderedDict[int, tuple[tuple[Any, ...], Cohort]]]
_cohorts = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _fingerprint(tx: Tx, project_id: int) -> tuple[Any, ...]:
    """What changes whenever the project's cohort may have: its latest recorded change (every write
    through the service records one, with its project, except the creation of a participant, sample,
    assay or sequencing group, which no cohort row can show before an analysis of it is made), and its
    analyses' count and highest id: one statement."""
    c, a = t.change, t.analysis
    mine = a.c.project_id == project_id
    row = tx.conn.execute(
        sa.select(
            sa.select(sa.func.max(c.c.id)).where(c.c.project_id == project_id).scalar_subquery(),
            sa.select(sa.func.max(a.c.id)).where(mine).scalar_subquery(),
            sa.select(sa.func.count()).select_from(a).where(mine).scalar_subquery(),
        )
    ).one()
    return tuple(row)


def _cohort_of(tx: Tx, project_id: int) -> Cohort:
    """The project's cohort: one statement when it has not changed since it was last read in this
    process, two when it has (the scalars of every row are then read again and the outliers found again,
    most of a first view's time; a page of a cohort that has not changed needs none of it)."""
    key = _fingerprint(tx, project_id)
    engine = tx.conn.engine
    with _lock:
        per_engine = _cohorts.get(engine)
        kept = per_engine.get(project_id) if per_engine is not None else None
    if kept is not None and kept[0] == key:
        return kept[1]
    found = _read_cohort(tx, project_id)
    with _lock:
        per_engine = _cohorts.setdefault(engine, OrderedDict())
        per_engine[project_id] = (key, found)
        per_engine.move_to_end(project_id)
        while len(per_engine) > CACHED_PROJECTS:
            per_engine.popitem(last=False)
    return found


# -- what the pages ask for ------------------------------------------------------------------------------


@dataclass
class ProjectCohort:
    project: str
    cohort: Cohort


@dataclass
class QcPage:
    """One page of a project's cohort in one order, its rows with their arrays and report links."""

    project: str
    cohort: Cohort
    page: int  # the page asked for, at most the last one
    pages: int
    first: int  # the position of the page's first row in the order
    rows: list[QcRow]
    curves: dict[int, Curves]  # by analysis id


def project_cohort(session: Session, project: str) -> ProjectCohort:
    """The project's cohort (the kept one while the project has not changed): two or three statements."""
    found = session.project(project, READ)
    return ProjectCohort(found["name"], _cohort_of(session.tx, found["id"]))


def page(session: Session, project: str, sort: str, number: int, per_page: int) -> QcPage:
    """Page ``number`` (from 1; a later one is the last) of the project's cohort in the order ``sort``
    (outlier, sg, sample or quality), ``per_page`` rows: `project_cohort` and one statement more."""
    known = project_cohort(session, project)
    cohort = known.cohort
    pages = max(1, math.ceil(len(cohort) / per_page))
    number = min(number, pages)
    first = (number - 1) * per_page
    shown = [cohort.row(i) for i in cohort.ordered(sort)[first : first + per_page]]
    arrays, urls = _curves(session.tx, shown)
    for row in shown:
        row.display_url = _text(urls.get(row.analysis_id))
    return QcPage(known.project, cohort, number, pages, first, shown, arrays)
