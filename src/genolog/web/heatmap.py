"""The Cohort QC heat map, drawn on the server as inline SVG: one small picture per row, a shared axis and
a legend, on a fixed colour-blind-safe scale (viridis, Phred 0 to 40).

Each cell is a ``<rect>`` with a ``<title>`` (its read, positions and mean quality) as its tooltip; no
script is needed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from html import escape

from markupsafe import Markup

MAX_COLUMNS = 50  # per read: long reads are averaged over bins of positions
CELL_W, CELL_H, GAP = 5, 14, 10
Q_MAX = 40.0
# viridis at 0, 1/8 ... 1 (colour-blind safe, readable in greyscale): low quality dark, high bright
_VIRIDIS = (
    (68, 1, 84),
    (70, 50, 127),
    (54, 92, 141),
    (39, 127, 142),
    (31, 161, 135),
    (74, 194, 109),
    (159, 218, 58),
    (217, 227, 35),
    (253, 231, 37),
)


def _interpolated(quality: float) -> str:
    x = min(max(quality / Q_MAX, 0.0), 1.0) * (len(_VIRIDIS) - 1)
    i = min(int(x), len(_VIRIDIS) - 2)
    f = x - i
    r, g, b = (round(a + (c - a) * f) for a, c in zip(_VIRIDIS[i], _VIRIDIS[i + 1], strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


_COLOURS = [_interpolated(tenth / 10) for tenth in range(int(Q_MAX) * 10 + 1)]  # every 0.1 Phred


def colour(quality: float) -> str:
    """The scale's colour of a mean Phred quality (clamped to 0..40, to the nearest 0.1)."""
    return _COLOURS[min(max(round(quality * 10), 0), len(_COLOURS) - 1)]


@dataclass(frozen=True)
class Layout:
    """The columns of one page: reads in order, the positions each column covers, and the width."""

    reads: tuple[str, ...]
    width: int  # positions per column
    columns: dict[str, int]  # read -> number of columns

    @classmethod
    def for_rows(cls, curves: Sequence[tuple[dict[str, list[float]], int]]) -> Layout:
        """One layout for the page's rows (``(curves, bin)`` each), so columns line up across rows."""
        lengths: dict[str, int] = {}
        for by_read, bin_width in curves:
            for read, values in by_read.items():
                lengths[read] = max(lengths.get(read, 0), len(values) * bin_width)
        reads = tuple(sorted(lengths, key=lambda r: (len(r), r)))
        width = max(1, math.ceil(max(lengths.values(), default=1) / MAX_COLUMNS))
        return cls(reads, width, {r: math.ceil(lengths[r] / width) for r in reads})

    @property
    def pixel_width(self) -> int:
        return sum(n * CELL_W for n in self.columns.values()) + GAP * max(0, len(self.reads) - 1)

    def offsets(self) -> dict[str, int]:
        x, found = 0, {}
        for read in self.reads:
            found[read] = x
            x += self.columns[read] * CELL_W + GAP
        return found

    @cached_property
    def cells(self) -> dict[str, list[tuple[str, str]]]:
        """Per read, each column's markup up to its colour and from its colour to its value: the same
        for every row of the page, so a row only adds colours and values."""
        found = {}
        for read, x0 in self.offsets().items():
            name = escape(read)  # a read's name comes from the data
            found[read] = [
                (
                    f'<rect x="{x0 + j * CELL_W}" fill="',
                    f'"><title>{name} {_span(j * self.width + 1, (j + 1) * self.width)}: Q ',
                )
                for j in range(self.columns[read])
            ]
        return found

    @cached_property
    def values(self) -> dict[float, tuple[str, str]]:
        """A value's colour and text, as the page's rows find them: most values recur across rows."""
        return {}


def _span(first: int, last: int) -> str:
    return f"{first}" if first == last else f"{first}–{last}"


def binned(values: Sequence[float], bin_width: int, width: int) -> list[float]:
    """Column means: column j covers positions [j*width, (j+1)*width) of a curve whose values each cover
    ``bin_width`` positions."""
    if width == bin_width:
        return list(values)
    if width % bin_width == 0:
        per = width // bin_width
        return [sum(values[i : i + per]) / len(values[i : i + per]) for i in range(0, len(values), per)]
    positions = len(values) * bin_width
    out = []
    for j in range(math.ceil(positions / width)):
        lo = (j * width) // bin_width
        hi = max(lo + 1, math.ceil(min((j + 1) * width, positions) / bin_width))
        chunk = values[lo:hi]
        out.append(sum(chunk) / len(chunk))
    return out


def row_svg(
    layout: Layout,
    by_read: dict[str, list[float]],
    bin_width: int,
    label: str,
    dip: tuple[str, int] | None = None,
) -> Markup:
    """One row's cells; ``dip`` (read, 1-based position) outlines the cell of a flagged dip."""
    parts = [
        f'<svg class="qc-row" width="{layout.pixel_width}" height="{CELL_H}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    colours, top, known = _COLOURS, len(_COLOURS) - 1, layout.values
    for read, cells in layout.cells.items():
        values = binned(by_read.get(read) or [], bin_width, layout.width)
        marked = (dip[1] - 1) // layout.width if dip is not None and dip[0] == read else -1
        for j, ((head, middle), value) in enumerate(zip(cells, values, strict=False)):
            if (seen := known.get(value)) is None:
                seen = (colours[min(max(round(value * 10), 0), top)], f"{value:.1f}")
                if value:  # 0.0 and -0.0 are one key but two texts
                    known[value] = seen
            fill, text = seen
            if j == marked:
                parts.append(
                    f'{head}{fill}" stroke="#d00" stroke-width="2{middle}{text} (dip)</title></rect>'
                )
            else:
                parts.append(f"{head}{fill}{middle}{text}</title></rect>")
    parts.append("</svg>")
    return Markup("".join(parts))


def axis_svg(layout: Layout) -> Markup:
    """The reads' names and position ticks above the rows."""
    height = 28
    parts = [
        f'<svg class="qc-axis" width="{layout.pixel_width}" height="{height}" role="img" '
        f'aria-label="Columns: read positions of {escape(", ".join(layout.reads))}, '
        f'{layout.width} per column" xmlns="http://www.w3.org/2000/svg">'
    ]
    for read, x0 in layout.offsets().items():
        parts.append(f'<text x="{x0}" y="11" class="qc-read">{escape(read)}</text>')
        n = layout.columns[read]
        step = max(1, math.ceil(n / 5))
        for j in range(0, n, step):
            parts.append(f'<text x="{x0 + j * CELL_W}" y="25" class="qc-tick">{j * layout.width + 1}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def legend_svg() -> Markup:
    """The colour scale, Phred 0 to 40 in steps of 5, with its numbers."""
    steps = list(range(0, int(Q_MAX) + 1, 5))
    box = 28
    parts = [
        f'<svg class="qc-legend" width="{box * len(steps) + 10}" height="34" role="img" '
        'aria-label="Colour scale: mean Phred quality from 0 (dark purple) to 40 (yellow)" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, q in enumerate(steps):
        parts.append(
            f'<rect x="{i * box}" y="0" width="{box}" height="14" fill="{colour(q)}"><title>Q {q}</title></rect>'
            f'<text x="{i * box}" y="28" class="qc-tick">{q}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
