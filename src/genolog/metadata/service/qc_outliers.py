"""Cohort QC's outlier rule: robust statistics over a whole cohort's QC scalars.

A value is an outlier when it lies more than `THRESHOLD` scaled MADs on its rule's bad side of the
median of the cohort's values (for a cohort of at least `MIN_COHORT`); a dip must also be at least
`DIP_MIN` deep, and one that deep is flagged in any cohort.

The cohort is taken as columns (one list of values per rule) so that 10,000 rows cost a few lists, not
an object per row; only a flagged row gets objects of its own (its `Reason`s).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

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
    mad = statistics.median([abs(v - median) for v in values]) * MAD_SCALE
    return median, max(mad, MAD_FLOOR)


@dataclass(frozen=True)
class Reason:
    """Why a row is an outlier: in full (the list of outliers, the TSV) and in short (its row)."""

    full: str
    short: str

    def __str__(self) -> str:
        return self.full


Columns = Mapping[str, Sequence[float | None]]  # per `Rule.key`, one value per row


def outliers(
    columns: Columns, count: int, dip_at: Callable[[int], str | None] | None = None
) -> tuple[list[float], dict[int, list[Reason]]]:
    """The score of each of ``count`` rows (the most scaled MADs any of its values lies on the bad side
    of the cohort median, at least 0) and, by row, the reasons of the rows that are outliers. ``dip_at``
    (where a row's dip is, as text) completes the dip's reason; it is asked for flagged rows only."""
    scores = [0.0] * count
    reasons: dict[int, list[Reason]] = {}
    for rule in RULES:
        column = columns.get(rule.key) or [None] * count
        where: Sequence[int]
        if None in column:
            where = [i for i, v in enumerate(column) if v is not None]
            values: Sequence[float] = [column[i] for i in where]  # type: ignore[misc]
        else:
            where, values = range(count), column  # type: ignore[assignment]
        if not values:
            continue
        median, mad = centre(values)
        cohort = len(values) >= MIN_COHORT
        if rule.low:
            found = [(median - v) / mad for v in values]
            hits = [j for j, score in enumerate(found) if score > THRESHOLD] if cohort else []
        else:
            found = [(v - median) / mad for v in values]
            hits = [j for j, v in enumerate(values) if v >= DIP_MIN and (not cohort or found[j] > THRESHOLD)]
        if isinstance(where, range):
            scores = list(map(max, scores, found))  # the first unless the second is higher, as below
        else:
            for i, score in zip(where, found, strict=True):
                if score > scores[i]:
                    scores[i] = score
        for j in hits:
            i, value, score = where[j], values[j], found[j]
            if rule.low:
                full = f"{rule.label} {value:.1f} is {score:.1f} scaled MADs below the cohort median {median:.1f}"
                reason = Reason(full, f"low {rule.label} {value:.1f} (median {median:.1f})")
            else:
                at = f" at {place}" if dip_at is not None and (place := dip_at(i)) else ""
                reason = Reason(f"{rule.label} of {value:.1f} Phred{at}", f"{rule.label} {value:.1f}{at}")
            reasons.setdefault(i, []).append(reason)
    return scores, reasons


def find_outliers(
    rows: Sequence[Mapping[str, float | None]], dips_at: Sequence[str | None] | None = None
) -> list[tuple[list[Reason], float]]:
    """`outliers` of rows given one by one (scalars by `Rule.key`; ``dips_at``: each row's dip as text):
    for each row, its reasons (none: it is not an outlier) and its score."""
    columns = {rule.key: [row.get(rule.key) for row in rows] for rule in RULES}
    scores, reasons = outliers(columns, len(rows), dips_at.__getitem__ if dips_at else None)
    return [(reasons.get(i, []), score) for i, score in enumerate(scores)]
