"""The self-contained HTML report: emoji rows with tooltips, a per-position plot and a summary table.

Everything (styles, the tooltip script, the SVG plots) is inlined, so the file renders offline and
makes no network request, unlike FastQE's Bootstrap-from-a-CDN page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources

import jinja2
import numpy as np
from numpy.typing import NDArray

from genolog import __version__
from genolog.qc.emoji import SymbolTable
from genolog.qc.stats import FileStats

_PLOT_W, _PLOT_H, _PLOT_PAD = 720, 180, 28
_PLOT_QMAX = 42
MAX_CELLS = 2000  # emoji per row before positions are grouped automatically
MAX_PLOT_POINTS = 1500


@dataclass
class Cell:
    """One emoji in a row: a position (or a `--window` block) with its three statistics."""

    pos: str
    mean: str
    max: str
    min: str
    mean_q: int
    max_q: int
    min_q: int


def _windowed(values: NDArray[np.int64], window: int) -> NDArray[np.int64]:
    """FastQE's window value: the mean of the per-position values in each block, truncated to int."""
    if window <= 1:
        return values
    pad = -len(values) % window
    padded = np.concatenate([values.astype(np.float64), np.full(pad, np.nan)]).reshape(-1, window)
    return np.trunc(np.nanmean(padded, axis=1)).astype(np.int64)


def cells(stats: FileStats, table: SymbolTable, window: int = 1) -> list[Cell]:
    if stats.format != "fastq":
        return []
    window = max(window, 1)
    mean = _windowed(stats.mean_rounded, window)
    mx = _windowed(stats.phred_max, window)
    mn = _windowed(stats.phred_min, window)
    n = len(stats.mean_rounded)
    out = []
    for i, (a, b, c) in enumerate(zip(mean.tolist(), mx.tolist(), mn.tolist(), strict=True)):
        first = i * window + 1
        pos = str(first) if window == 1 else f"{first}-{min(first + window - 1, n)}"
        out.append(Cell(pos, table.symbol(a), table.symbol(b), table.symbol(c), a, b, c))
    return out


def _x(n: int) -> NDArray[np.float64]:
    return _PLOT_PAD + np.arange(n) * (_PLOT_W - 2 * _PLOT_PAD) / max(n - 1, 1)


def _y(q: NDArray[np.float64]) -> NDArray[np.float64]:
    return _PLOT_H - _PLOT_PAD - np.clip(q, 0, _PLOT_QMAX) * (_PLOT_H - 2 * _PLOT_PAD) / _PLOT_QMAX


def _points(xs: NDArray[np.float64], ys: NDArray[np.float64]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs.tolist(), ys.tolist(), strict=True))


def _blocks(values: NDArray[np.float64], size: int, how: str) -> NDArray[np.float64]:
    """Aggregate consecutive runs of `size` values (the last may be shorter) by max, min or mean."""
    if size <= 1:
        return values
    padded = np.concatenate([values, np.full(-len(values) % size, np.nan)]).reshape(-1, size)
    if how == "max":
        return np.nanmax(padded, axis=1)
    if how == "min":
        return np.nanmin(padded, axis=1)
    return np.nanmean(padded, axis=1)


def plot(stats: FileStats) -> dict[str, object] | None:
    """Coordinates for the inline SVG: the mean line over a min-max band, with Q20/Q30/Q40 guides.

    Long reads are drawn from blocks of positions (max of maxima, min of minima, mean of means) so the
    plot has at most about MAX_PLOT_POINTS points.
    """
    if stats.format != "fastq" or not len(stats.coverage):
        return None
    n = len(stats.coverage)
    size = math.ceil(n / MAX_PLOT_POINTS)
    top = _blocks(stats.phred_max.astype(np.float64), size, "max")
    bottom = _blocks(stats.phred_min.astype(np.float64), size, "min")
    mean = _blocks(stats.mean, size, "mean")
    centres = np.arange(len(mean)) * size + (size - 1) / 2  # in positions from 0
    xs = _PLOT_PAD + centres * (_PLOT_W - 2 * _PLOT_PAD) / max(n - 1, 1)
    upper = _points(xs, _y(top))
    lower = _points(xs[::-1], _y(bottom)[::-1])
    step = max(10, (n // 8) // 10 * 10)
    ticks = [1, *range(step, n + 1, step)]
    return {
        "w": _PLOT_W,
        "h": _PLOT_H,
        "pad": _PLOT_PAD,
        "band": f"{upper} {lower}",
        "mean": _points(xs, _y(mean)),
        "guides": [{"q": q, "y": round(float(_y(np.array([float(q)]))[0]), 1)} for q in (20, 30, 40)],
        "xticks": [{"pos": t, "x": round(float(_x(n)[t - 1]), 1)} for t in ticks],
    }


def summary(stats: FileStats) -> dict[str, object]:
    has_q = stats.format == "fastq" and len(stats.coverage) > 0
    total = float(stats.qual_sum.sum()) if has_q else 0.0
    bases = int(stats.coverage.sum()) if has_q else 0
    mean = stats.mean if has_q else np.zeros(0)
    return {
        "mean_quality": f"{total / bases:.1f}" if bases else "–",
        "positions_q30": f"{int((mean >= 30).sum())} / {len(mean)}" if has_q else "–",
        "lowest_position_mean": f"{float(mean.min()):.1f}" if has_q else "–",
    }


def _template() -> jinja2.Template:
    source = resources.files("genolog.qc").joinpath("templates/report.html.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return env.from_string(source)


def auto_window(positions: int, window: int) -> int:
    """The requested window, or for very long reads without one, a window that keeps the row readable
    (and the page light: one element per position would be 100,000 elements for 100 kb reads)."""
    if window > 1 or positions <= MAX_CELLS:
        return max(window, 1)
    return math.ceil(positions / (MAX_CELLS // 2))


def render_report(
    stats_list: list[FileStats],
    table: SymbolTable,
    window: int = 1,
    errors: list[tuple[str, str]] | None = None,
) -> str:
    files = []
    for st in stats_list:
        w = auto_window(len(st.coverage), window)
        files.append(
            {
                "stats": st,
                "window": w,
                "auto_window": w != max(window, 1),
                "cells": cells(st, table, w),
                "plot": plot(st),
                "summary": summary(st),
            }
        )
    return _template().render(
        files=files,
        errors=errors or [],
        table=table,
        window=window,
        version=__version__,
    )
