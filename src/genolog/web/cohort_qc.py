"""Cohort QC: the per-position mean quality of every sequencing group's latest QC, as one heat map with
the outliers flagged (``/projects/{project}/qc``), and its summary as TSV (``/projects/{project}/qc.tsv``).

The numbers are the QC summary an analysis carries in ``meta.qc`` (`genolog.qc.summary`, written by the
FastQE example's registration job). A sequencing group's QC is its latest (highest id) active,
completed analysis with ``meta.qc.mean_quality``; archived groups and inactive samples are left out.

Outliers are found over the whole cohort, with robust statistics, in a fixed number of statements
whatever its size: the access check, the project's fingerprint (`fingerprint`), the scalars of every
row read out of the JSON in SQL (only when the fingerprint has changed since this process last read
them: `cohort_of`), and the full per-position arrays of the page's rows only.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
import threading
import urllib.parse
import weakref
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.engine import Engine

from genolog.metadata import access
from genolog.metadata import tables as t
from genolog.metadata.context import Tx
from genolog.metadata.errors import BadRequest
from genolog.metadata.permissions import READ
from genolog.web import heatmap
from genolog.web.render import PageRoute, link_target, page_read, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

# -- the outlier rule ------------------------------------------------------------------------------------

THRESHOLD = 3.5  # scaled MADs from the cohort median
MAD_SCALE = 1.4826  # a MAD times this estimates a normal distribution's standard deviation
MAD_FLOOR = 0.5  # Phred: a cohort of near-identical rows must not flag a row 0.2 below them
MIN_COHORT = 5  # fewer rows are no cohort to compare with: only the absolute dip rule applies
DIP_MIN = 5.0  # Phred: a smaller dip is never flagged


@dataclass(frozen=True)
class Rule:
    key: str  # the ``meta.qc`` scalar
    label: str
    low: bool  # True: low values are bad; False: high ones


RULES = (
    Rule("mean_quality", "mean quality", low=True),
    Rule("mean_quality_last_third", "mean quality over the last third", low=True),
    Rule("dip", "mid-read dip", low=False),
)


def centre(values: Sequence[float]) -> tuple[float, float]:
    """The median and the scaled MAD (at least `MAD_FLOOR`) of ``values``."""
    median = statistics.median(values)
    mad = statistics.median(abs(v - median) for v in values) * MAD_SCALE
    return median, max(mad, MAD_FLOOR)


@dataclass(frozen=True)
class Reason:
    """Why a row is an outlier: in full (the list of outliers, the TSV) and in short (its row)."""

    full: str
    short: str

    def __str__(self) -> str:
        return self.full


def find_outliers(
    rows: Sequence[Mapping[str, float | None]], dips_at: Sequence[str | None] | None = None
) -> list[tuple[list[Reason], float]]:
    """For each row (scalars by `Rule.key`): the reasons it is an outlier (none: it is not) and its score,
    the most scaled MADs any of its values lies on the bad side of the cohort median. ``dips_at`` (where
    each row's dip is, as text) completes the dip's reason.

    A value is an outlier when it lies more than `THRESHOLD` scaled MADs on its rule's bad side of the
    median of the cohort's values (for a cohort of at least `MIN_COHORT`); a dip must also be at least
    `DIP_MIN` deep, and one that deep is flagged in any cohort."""
    scores = [0.0] * len(rows)
    reasons: dict[int, list[Reason]] = {}
    for rule in RULES:
        where: list[int] = []
        values: list[float] = []
        for i, row in enumerate(rows):
            if (v := row.get(rule.key)) is not None:
                where.append(i)
                values.append(v)
        if not values:
            continue
        median, mad = centre(values)
        cohort = len(values) >= MIN_COHORT
        for i, value in zip(where, values, strict=True):
            score = (median - value if rule.low else value - median) / mad
            if score > scores[i]:
                scores[i] = score
            if rule.low:
                if cohort and score > THRESHOLD:
                    full = (
                        f"{rule.label} {value:.1f} is {score:.1f} scaled MADs below the cohort median "
                        f"{median:.1f}"
                    )
                    short = f"low {rule.label} {value:.1f} (median {median:.1f})"
                    reasons.setdefault(i, []).append(Reason(full, short))
            elif value >= DIP_MIN and (not cohort or score > THRESHOLD):
                at = f" at {dips_at[i]}" if dips_at and dips_at[i] else ""
                reasons.setdefault(i, []).append(
                    Reason(f"{rule.label} of {value:.1f} Phred{at}", f"{rule.label} {value:.1f}{at}")
                )
    return [(reasons.get(i, []), score) for i, score in enumerate(scores)]


# -- the rows --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class QcRow:
    sg_id: int
    sequencing_group: str
    sample: str
    sample_external_id: str
    analysis_id: int
    scalars: dict[str, float | None]
    dip_at: tuple[str, int] | None
    display_url: str | None
    reasons: list[Reason] = field(default_factory=list)
    score: float = 0.0

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


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _scalar(dialect: str, meta: sa.ColumnElement[Any], *path: str) -> sa.ColumnElement[Any]:
    """``meta`` at ``path`` as a plain SQL value: SQLite's ``json_extract`` gives numbers as numbers
    (no JSON to decode per value), PostgreSQL's ``#>>`` gives text."""
    if dialect == "sqlite":
        return sa.func.json_extract(meta, "$." + ".".join(path))
    return meta.op("#>>", return_type=sa.Text)(sa.cast(sa.literal(list(path)), ARRAY(sa.Text)))


def _slim(dialect: str) -> sa.ColumnElement[Any]:
    """An analysis' meta without its QC arrays, read once per row. PostgreSQL keeps a large meta
    compressed out of line and would decompress all of it for every value taken out of it; SQLite
    keeps the meta it parsed last, so it takes the meta as it is."""
    meta = t.analysis.c.meta
    if dialect == "sqlite":
        return meta
    arrays = sa.cast(sa.literal(["qc", "mean_quality_by_position"]), ARRAY(sa.Text))
    return meta.op("#-", return_type=JSONB)(arrays)


def cohort(tx: Tx, project_id: int) -> list[QcRow]:
    """Every sequencing group's latest QC summary (its scalars): one statement."""
    a, asg, sg, s = t.analysis, t.analysis_sequencing_group, t.sequencing_group, t.sample
    eid = t.sample_external_id
    dialect = tx.conn.dialect.name
    candidates = (
        sa.select(asg.c.sequencing_group_id, a.c.id.label("analysis_id"), _slim(dialect).label("meta"))
        .join(a, a.c.id == asg.c.analysis_id)
        .where(a.c.project_id == project_id, a.c.active.is_(True), a.c.status == "completed")
        .offset(0)  # a fence: each row's meta is slimmed once, not once per value taken from it
        .subquery()
    )
    ranked = (
        sa.select(
            candidates,
            sa.func.row_number()
            .over(partition_by=candidates.c.sequencing_group_id, order_by=candidates.c.analysis_id.desc())
            .label("rank"),
        )
        .where(_scalar(dialect, candidates.c.meta, "qc", "mean_quality").is_not(None))
        .subquery()
    )
    meta = ranked.c.meta
    statement = (
        sa.select(
            sg.c.id.label("sg_id"),
            s.c.id.label("sample_id"),
            eid.c.external_id,
            ranked.c.analysis_id,
            _scalar(dialect, meta, "display_url").label("display_url"),
            _scalar(dialect, meta, "qc", "dip_read").label("dip_read"),
            _scalar(dialect, meta, "qc", "dip_position").label("dip_position"),
            *(_scalar(dialect, meta, "qc", rule.key).label(rule.key) for rule in RULES),
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
    )
    sg_format, sample_format = tx.codecs.sequencing_group.format, tx.codecs.sample.format
    rows = []
    for sg_id, sample_id, external_id, analysis_id, url, dip_read, dip_position, *values in tx.conn.execute(
        statement
    ):
        position = _number(dip_position)
        rows.append(
            QcRow(
                sg_id=sg_id,
                sequencing_group=sg_format(sg_id),
                sample=sample_format(sample_id),
                sample_external_id=external_id or "",
                analysis_id=analysis_id,
                scalars={rule.key: _number(v) for rule, v in zip(RULES, values, strict=True)},
                dip_at=(dip_read, int(position)) if isinstance(dip_read, str) and position else None,
                display_url=_text(url),
            )
        )
    dips_at = [f"{r.dip_at[0]} position {r.dip_at[1]}" if r.dip_at else None for r in rows]
    for row, (reasons, score) in zip(rows, find_outliers([r.scalars for r in rows], dips_at), strict=True):
        row.reasons, row.score = reasons, score
    return rows


def _numbers(values: list[Any]) -> list[float]:
    """The numbers of a JSON array (all of them, as a rule: checked at C speed by ``sum``)."""
    try:
        sum(values)
    except TypeError:
        return [v for v in values if isinstance(v, int | float)]
    return values


Curves = tuple[dict[str, list[float]], int]  # mean quality by position per read, positions per value


def curves(tx: Tx, rows: Sequence[QcRow]) -> dict[int, Curves]:
    """The per-position arrays of ``rows`` by analysis id: one statement (none for no rows)."""
    if not rows:
        return {}
    a = t.analysis
    found: dict[int, Curves] = {}
    for analysis_id, by_read, bin_width in tx.conn.execute(
        sa.select(a.c.id, a.c.meta[("qc", "mean_quality_by_position")], a.c.meta[("qc", "bin")]).where(
            a.c.id.in_([r.analysis_id for r in rows])
        )
    ):
        reads = {
            str(read): _numbers(values)
            for read, values in (by_read.items() if isinstance(by_read, dict) else ())
            if isinstance(values, list)
        }
        found[analysis_id] = (reads, bin_width if isinstance(bin_width, int) and bin_width > 0 else 1)
    return found


# -- the cohort of a project, kept while the project does not change ------------------------------------


@dataclass
class Cohort:
    rows: list[QcRow]
    _orders: dict[str, list[QcRow]] = field(default_factory=dict)

    def ordered(self, sort: str) -> list[QcRow]:
        if sort not in self._orders:
            self._orders[sort] = sorted(self.rows, key=_sort_key(sort))
        return self._orders[sort]


CACHED_PROJECTS = 16
_cohorts: weakref.WeakKeyDictionary[Engine, OrderedDict[int, tuple[tuple[Any, ...], Cohort]]]
_cohorts = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def fingerprint(tx: Tx, project_id: int) -> tuple[Any, ...]:
    """What changes whenever the project's cohort may have: its latest recorded change (every write
    through the service records one, with its project), and its analyses' count and highest id: one
    statement."""
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


def cohort_of(tx: Tx, project_id: int) -> Cohort:
    """The project's cohort: one statement when it has not changed since it was last read in this
    process, two when it has (the scalars of every row are then read again and the outliers found again).

    Reading 10,000 rows' scalars out of their JSON costs SQLite most of a page's budget; a page of a
    cohort that has not changed needs none of it."""
    key = fingerprint(tx, project_id)
    engine = tx.conn.engine
    with _lock:
        per_engine = _cohorts.get(engine)
        kept = per_engine.get(project_id) if per_engine is not None else None
    if kept is not None and kept[0] == key:
        return kept[1]
    found = Cohort(cohort(tx, project_id))
    with _lock:
        per_engine = _cohorts.setdefault(engine, OrderedDict())
        per_engine[project_id] = (key, found)
        per_engine.move_to_end(project_id)
        while len(per_engine) > CACHED_PROJECTS:
            per_engine.popitem(last=False)
    return found


# -- the page --------------------------------------------------------------------------------------------

SORTS = {
    "outlier": "outliers first",
    "sg": "sequencing group",
    "sample": "sample external id",
    "quality": "mean quality, lowest first",
}
PER_PAGE_CHOICES = (25, 50, 100, 200)


@dataclass(frozen=True)
class QcQuery:
    sort: str = "outlier"
    page: int = 1
    per_page: int = 200

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> QcQuery:
        try:
            page = max(1, int(params.get("page", "1")))
            per_page = int(params.get("per", "200"))
        except ValueError:
            raise BadRequest("'page' and 'per' must be whole numbers") from None
        sort = params.get("sort", "outlier")
        return cls(
            sort if sort in SORTS else "outlier", page, per_page if per_page in PER_PAGE_CHOICES else 200
        )

    def params(self, **changes: Any) -> str:
        q = replace(self, **changes)
        pairs = [
            (k, str(v))
            for k, v, default in (("sort", q.sort, "outlier"), ("page", q.page, 1), ("per", q.per_page, 200))
            if v != default
        ]
        return urllib.parse.urlencode(pairs)


def _sort_key(sort: str) -> Any:
    if sort == "sg":
        return lambda r: r.sg_id
    if sort == "sample":
        return lambda r: (r.sample_external_id, r.sg_id)
    if sort == "quality":
        return lambda r: (r.mean_quality if r.mean_quality is not None else math.inf, r.sg_id)
    return lambda r: (not r.reasons, -r.score, r.sg_id)


@router.get("/projects/{project}/qc", response_class=HTMLResponse)
def cohort_qc_page(request: Request, project: str) -> HTMLResponse:
    query = QcQuery.from_params(request.query_params)
    with page_read(request) as (caller, tx):
        found = access.project_by_name(tx, caller, project, READ)
        known = cohort_of(tx, found["id"])
        rows = known.ordered(query.sort)
        pages = max(1, math.ceil(len(rows) / query.per_page))
        query = replace(query, page=min(query.page, pages))
        first = (query.page - 1) * query.per_page
        shown = rows[first : first + query.per_page]
        arrays = curves(tx, shown)
    empty: Curves = ({}, 1)
    layout = heatmap.Layout.for_rows([arrays.get(r.analysis_id, empty) for r in shown])
    drawn = [
        (
            row,
            heatmap.row_svg(
                layout,
                *arrays.get(row.analysis_id, empty),
                f"Mean quality by position of {row.sequencing_group}",
                row.dip_at if any("dip" in reason.full for reason in row.reasons) else None,
            ),
            link_target(row.display_url),
        )
        for row in shown
    ]
    return render(
        request,
        "cohort_qc.html",
        caller,
        project=found["name"],
        query=query,
        total=len(rows),
        pages=pages,
        first_row=first + 1,
        rows=drawn,
        flagged=[r for r in known.ordered("outlier") if r.reasons],
        sorts=SORTS,
        per_page_choices=PER_PAGE_CHOICES,
        axis=heatmap.axis_svg(layout),
        legend=heatmap.legend_svg(),
        columns_per_read=layout.columns,
        positions_per_column=layout.width,
    )


@router.get("/projects/{project}/qc.tsv")
def cohort_qc_export(request: Request, project: str) -> Response:
    query = QcQuery.from_params(request.query_params)
    with page_read(request) as (caller, tx):
        found = access.project_by_name(tx, caller, project, READ)
        rows = cohort_of(tx, found["id"]).ordered(query.sort)
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(
        [
            "sequencing_group",
            "sample",
            "sample_external_id",
            "analysis",
            *(r.key for r in RULES),
            "outlier",
            "reasons",
        ]
    )
    for row in rows:
        writer.writerow(
            [
                row.sequencing_group,
                row.sample,
                row.sample_external_id,
                row.analysis_id,
                *("" if (v := row.scalars[r.key]) is None else f"{v:.1f}" for r in RULES),
                "yes" if row.reasons else "no",
                "; ".join(map(str, row.reasons)),
            ]
        )
    return Response(
        out.getvalue(),
        media_type="text/tab-separated-values; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{found["name"]}-qc.tsv"'},
    )
