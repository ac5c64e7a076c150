"""The small QC summary an analysis carries in ``meta.qc``, made from a ``--json`` report.

`genolog-fastqe R1 R2 --json qc.json` writes every statistic (exact per-position sums, lengths ...);
the web interface's Cohort QC page needs far less, for thousands of sequencing groups at once, so the
FastQE example's registration job stores this summary in the analysis (``meta.qc``), version 1::

    {
      "version": 1,
      "reads": 8000,                      # reads counted, over all files
      "mean_quality": 34.2,               # mean Phred over every base
      "mean_quality_last_third": 31.0,    # mean of the per-position means over the last third
      "dip": 14.1,                        # deepest mid-read dip (below), in Phred
      "dip_read": "R1", "dip_position": 70,   # where it is deepest (1-based position)
      "bin": 1,                           # positions per array value (1 unless reads are long)
      "mean_quality_by_position": {"R1": [30.1, 33.0, ...], "R2": [...]}
    }

Files are named ``R1``, ``R2`` ... in the order given (FASTA inputs, without qualities, are left out);
the last third is that of each file's positions (of its longest reads); numbers are rounded to 0.1 to keep the meta small, and arrays longer than `MAX_VALUES` are averaged
over bins of ``bin`` positions.

A *dip* is how far a position's mean falls below the quality the read recovers to afterwards: for each
position, ``min(best mean before it, best mean after it) - its mean`` (0 on a read that only decays,
which is what reads do); an instrument bubble in the middle of the read makes it large.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

VERSION = 1
MAX_VALUES = 1000
KEYS = ("mean_quality", "mean_quality_last_third", "dip")  # the scalars the Cohort QC page reads


def _r(value: float) -> float:
    return round(value, 1)


def dip_depth(means: Sequence[float]) -> tuple[float, int]:
    """The deepest dip of a per-position mean curve and its 0-based position (0.0, 0 for none)."""
    n = len(means)
    best_after = [-math.inf] * n
    running = -math.inf
    for i in range(n - 1, -1, -1):
        best_after[i] = running
        running = max(running, means[i])
    deepest, where, best_before = 0.0, 0, -math.inf
    for i, value in enumerate(means):
        depth = min(best_before, best_after[i]) - value
        if depth > deepest:
            deepest, where = depth, i
        best_before = max(best_before, value)
    return deepest, where


def binned(values: Sequence[float], width: int) -> list[float]:
    """Means of consecutive `width` values (the last bin may be shorter)."""
    return [
        sum(chunk) / len(chunk) for chunk in (values[i : i + width] for i in range(0, len(values), width))
    ]


def summarise(report: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``meta.qc`` summary of a ``--json`` report, or None when no file had qualities."""
    files = [f for f in report.get("files", []) if f.get("has_qualities") and f["per_position"]["count"]]
    if not files:
        return None
    total_sum = total_count = tail_count = 0
    tail_sum = 0.0
    curves: dict[str, list[float]] = {}
    deepest: tuple[float, str, int] = (0.0, "R1", 0)
    for number, f in enumerate(files, 1):
        name = f"R{number}"
        counts, sums = f["per_position"]["count"], f["per_position"]["sum"]
        means = [s / c if c else 0.0 for s, c in zip(sums, counts, strict=True)]
        total_sum += sum(sums)
        total_count += sum(counts)
        # every read's last third: position p of a read of length L counts when p >= 2L/3; by position,
        # with the lengths' distribution, that is the reads of length L in (p, 3p/2]
        tail = means[(2 * len(means)) // 3 :]  # the last third of the positions
        tail_sum += sum(tail)
        tail_count += len(tail)
        depth, position = dip_depth(means)
        if depth > deepest[0]:
            deepest = (depth, name, position)
        curves[name] = means
    width = max(1, math.ceil(max(len(c) for c in curves.values()) / MAX_VALUES))
    return {
        "version": VERSION,
        "reads": sum(int(f["num_seqs"]) for f in files),
        "mean_quality": _r(total_sum / total_count),
        "mean_quality_last_third": _r(tail_sum / tail_count),
        "dip": _r(deepest[0]),
        "dip_read": deepest[1],
        "dip_position": deepest[2] + 1,
        "bin": width,
        "mean_quality_by_position": {name: [_r(v) for v in binned(c, width)] for name, c in curves.items()},
    }
