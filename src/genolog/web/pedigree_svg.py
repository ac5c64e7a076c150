"""A family's pedigree drawn as SVG on the server, in standard pedigree notation.

Squares are males, circles females, diamonds unknown sex; a filled shape is affected, an open one
unaffected, a ``?`` inside marks an unknown affection status. A mating line joins two parents; from its
middle (or from a single parent) a line drops to the sibship line above the children. Generations are
rows: a person's generation is one below their deeper parent, and partners share a row (so a founder who
married into the family is drawn beside their partner, not at the top).

Plain string building with every text and attribute escaped; the SVG is inlined in the family page and
also served on its own.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass

SIZE = 36  # a shape's width and height
GAP = 30  # between the shapes of one row
ROW = 110  # from one generation's shapes to the next
MARGIN = 24
LABEL = 16  # room for the external id under a shape
INK = "#1b1f24"
AFFECTED_FILL = "#1b1f24"
OPEN_FILL = "#ffffff"
STAGGER = (0, -1, 1, -2, 2)  # heights of overlapping sibship lines, in steps of 9 px


@dataclass(frozen=True)
class Person:
    """One pedigree row: ``sex`` 1 male, 2 female, else unknown; ``affected`` 2 affected, 1 unaffected,
    else unknown (PED: 0 or -9)."""

    id: int
    label: str
    sex: int | None
    affected: int | None
    father: int | None = None
    mother: int | None = None


def sex_name(sex: int | None) -> str:
    return {1: "male", 2: "female"}.get(sex or 0, "unknown sex")


def affection_name(affected: int | None) -> str:
    return {2: "affected", 1: "unaffected"}.get(affected or 0, "affection unknown")


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _parents(person: Person, known: dict[int, Person]) -> tuple[int, ...]:
    """The person's parents that are members of the family (a parent outside it is not drawn)."""
    return tuple(p for p in (person.father, person.mother) if p is not None and p in known and p != person.id)


def generations(people: Sequence[Person]) -> dict[int, int]:
    """Each person's row: founders 0, children one below their deeper parent, partners in one row.

    Rows only ever grow, and the loop is bounded, so an odd pedigree (a parent who is also a descendant)
    still ends with some layout instead of looping."""
    known = {p.id: p for p in people}
    depth = dict.fromkeys(known, 0)
    couples = {_parents(p, known) for p in people if len(_parents(p, known)) == 2}
    for _ in range(len(known) + 1):
        changed = False
        for p in people:
            parents = _parents(p, known)
            if parents:
                wanted = max(depth[q] for q in parents) + 1
                if depth[p.id] < wanted:
                    depth[p.id], changed = wanted, True
        for a, b in couples:
            level = max(depth[a], depth[b])
            if depth[a] != level or depth[b] != level:
                depth[a] = depth[b] = level
                changed = True
        if not changed:
            break
    return depth


@dataclass
class Layout:
    x: dict[int, float]  # shape centres
    y: dict[int, float]
    width: float
    height: float


def layout(people: Sequence[Person]) -> Layout:
    """Shape centres: rows by generation; children ordered under their parents' midpoint, each married-in
    founder beside their partner; no two shapes of a row closer than SIZE + GAP."""
    known = {p.id: p for p in people}
    depth = generations(people)
    partners: dict[int, list[int]] = {i: [] for i in known}
    for p in people:
        parents = _parents(p, known)
        if len(parents) == 2:
            a, b = parents
            if b not in partners[a]:
                partners[a].append(b)
                partners[b].append(a)
    step = SIZE + GAP
    x: dict[int, float] = {}
    for row in range(max(depth.values(), default=-1) + 1):
        sequence = _row_order([p for p in people if depth[p.id] == row], known, partners, x)
        desired = _desired_centres(sequence, known, partners, x)
        previous: float | None = None
        for pid in sequence:
            centre = desired[pid] if previous is None else max(desired[pid], previous + step)
            x[pid] = previous = centre
    if x:
        shift = MARGIN + SIZE / 2 - min(x.values())
        x = {pid: value + shift for pid, value in x.items()}
    y = {pid: MARGIN + SIZE / 2 + depth[pid] * ROW for pid in known}
    width = (max(x.values()) + SIZE / 2 + MARGIN) if x else 2 * MARGIN
    height = (max(y.values()) + SIZE / 2 + LABEL + MARGIN) if y else 2 * MARGIN
    return Layout(x, y, width, height)


def _row_order(
    members: list[Person], known: dict[int, Person], partners: dict[int, list[int]], x: dict[int, float]
) -> list[int]:
    """A row left to right: children in order of their parents' midpoint (sibships together, in the
    file's order within), each with the partners who married in beside them (outside the sibship for its
    first and last child); then founders, couples side by side (a chain of partners kept together)."""
    in_row = {p.id for p in members}
    order = {p.id: i for i, p in enumerate(members)}
    blood = [p for p in members if _parents(p, known)]
    blood.sort(
        key=lambda p: (sum(x.get(q, 0.0) for q in _parents(p, known)) / len(_parents(p, known)), order[p.id])
    )
    sibships: dict[tuple[int, ...], list[int]] = {}
    for p in blood:
        sibships.setdefault(_parents(p, known), []).append(p.id)
    eldest = {sibs[0] for sibs in sibships.values() if len(sibs) > 1}
    younger = {i for sibs in sibships.values() if len(sibs) > 1 for i in sibs[1:]}
    sequence: list[int] = []
    placed: set[int] = set()
    for person in [*blood, *members]:
        if person.id in placed:
            continue
        spouses = [
            s
            for s in partners[person.id]
            if s not in placed and s in in_row and not _parents(known[s], known)
        ]
        if len(spouses) >= 2:  # between the first two partners, any others after
            left, rest = [spouses[0]], spouses[1:]
        elif person.id in eldest:
            left, rest = spouses, []
        elif person.id in younger:
            left, rest = [], spouses
        elif spouses and known[spouses[0]].sex == 1 and person.sex != 1:
            left, rest = spouses, []  # a couple: the male on the left
        else:
            left, rest = [], spouses
        for s in (*left, person.id, *rest):
            if s not in placed:
                placed.add(s)
                sequence.append(s)
    return sequence


def _desired_centres(
    sequence: list[int], known: dict[int, Person], partners: dict[int, list[int]], x: dict[int, float]
) -> dict[int, float]:
    """Where each shape of a row would like to be: a sibship, with the partners placed beside its
    children, with its first and last child centred under the parents; anyone else after the shape before.
    """
    step = SIZE + GAP

    def anchor(i: int) -> tuple[int, ...]:
        # a married-in partner goes with the sibship of the partner beside them
        own = _parents(known[sequence[i]], known)
        if own:
            return own
        for j in (i - 1, i + 1):
            if 0 <= j < len(sequence) and sequence[j] in partners[sequence[i]]:
                theirs = _parents(known[sequence[j]], known)
                if theirs:
                    return theirs
        return ()

    anchors = [anchor(i) for i in range(len(sequence))]
    desired: dict[int, float] = {}
    i = 0
    while i < len(sequence):
        j = i + 1
        while j < len(sequence) and anchors[j] == anchors[i]:
            j += 1
        parents = anchors[i]
        if parents:
            children = [k for k in range(i, j) if _parents(known[sequence[k]], known)]
            centre = sum(x.get(q, 0.0) for q in parents) / len(parents)
            start = centre - ((children[0] + children[-1]) / 2 - i) * step
        else:
            start = desired[sequence[i - 1]] + step if i else 0.0
        for k, pid in enumerate(sequence[i:j]):
            desired[pid] = start + k * step
        i = j
    return desired


def _shape(person: Person, cx: float, cy: float) -> str:
    half = SIZE / 2
    fill = AFFECTED_FILL if person.affected == 2 else OPEN_FILL
    classes = f"{sex_name(person.sex).replace(' ', '-')} {affection_name(person.affected).replace(' ', '-')}"
    common = f'class="{classes}" fill="{fill}" stroke="{INK}" stroke-width="2"'
    if person.sex == 1:
        shape = f'<rect x="{cx - half:g}" y="{cy - half:g}" width="{SIZE}" height="{SIZE}" {common}/>'
    elif person.sex == 2:
        shape = f'<circle cx="{cx:g}" cy="{cy:g}" r="{half:g}" {common}/>'
    else:
        points = f"{cx:g},{cy - half:g} {cx + half:g},{cy:g} {cx:g},{cy + half:g} {cx - half:g},{cy:g}"
        shape = f'<polygon points="{points}" {common}/>'
    if person.affected not in (1, 2):
        shape += (
            f'<text x="{cx:g}" y="{cy + 6:g}" text-anchor="middle" font-size="18" fill="{INK}" '
            f'aria-hidden="true">?</text>'
        )
    return shape


def _line(x1: float, y1: float, x2: float, y2: float, kind: str) -> str:
    return f'<line class="{kind}" x1="{x1:g}" y1="{y1:g}" x2="{x2:g}" y2="{y2:g}" stroke="{INK}" stroke-width="2"/>'


def _lines(people: Sequence[Person], at: Layout) -> list[str]:
    """Mating lines, and for each sibship the drop from its parents and the sibship line with a short line
    to each child. Sibship lines of one row that would overlap are drawn at different heights, so each
    still shows whose children hang from it."""
    known = {p.id: p for p in people}
    half = SIZE / 2
    out: list[str] = []
    sibships: dict[tuple[int, ...], list[int]] = {}
    for p in people:
        parents = _parents(p, known)
        if parents:
            sibships.setdefault(tuple(sorted(parents)), []).append(p.id)
    drawn: list[tuple[float, float, list[int]]] = []  # where the drop starts, the children
    for parents, children in sibships.items():
        if len(parents) == 2:
            a, b = sorted(parents, key=lambda q: at.x[q])
            ya, yb = at.y[a], at.y[b]
            out.append(_line(at.x[a] + half, ya, at.x[b] - half, yb, "mating"))
            drawn.append(((at.x[a] + at.x[b]) / 2, (ya + yb) / 2, children))
        else:
            drawn.append((at.x[parents[0]], at.y[parents[0]] + half, children))
    taken: dict[tuple[float, int], list[tuple[float, float]]] = {}  # (row, level) -> spans
    for top_x, top_y, children in sorted(drawn, key=lambda d: min(d[0], *(at.x[c] for c in d[2]))):
        xs = [at.x[c] for c in children]
        left, right = min(*xs, top_x), max(*xs, top_x)
        child_top = min(at.y[c] for c in children) - half
        level = next(
            (
                n
                for n in STAGGER
                if all(right + 4 < lo or left - 4 > hi for lo, hi in taken.get((child_top, n), []))
            ),
            0,
        )
        taken.setdefault((child_top, level), []).append((left, right))
        bar = child_top - (ROW - SIZE - LABEL) / 2 + level * 9
        out.append(_line(top_x, top_y, top_x, bar, "descent"))
        out.append(_line(left, bar, right, bar, "sibship"))
        out.extend(_line(at.x[c], bar, at.x[c], at.y[c] - half, "child") for c in children)
    return out


def _legend(left: float, top: float) -> tuple[str, float, float]:
    """The key to the symbols, as a column; its SVG, width and height."""
    entries = [
        (Person(0, "", 1, 1), "male"),
        (Person(0, "", 2, 1), "female"),
        (Person(0, "", 0, 1), "unknown sex"),
        (Person(0, "", 1, 2), "affected (filled)"),
        (Person(0, "", 1, 1), "unaffected (open)"),
        (Person(0, "", 1, 0), "affection unknown (?)"),
    ]
    scale, line = 0.5, 26
    parts = [f'<g class="legend" transform="translate({left:g} {top:g})">']
    parts.append('<text x="0" y="12" font-size="13" font-weight="bold">Key</text>')
    for i, (person, text) in enumerate(entries):
        cy = 30 + i * line
        parts.append(
            f'<g transform="translate(10 {cy:g}) scale({scale})">{_shape(person, 0, 0)}</g>'
            f'<text x="26" y="{cy + 4:g}" font-size="13">{_e(text)}</text>'
        )
    parts.append("</g>")
    return "".join(parts), 170.0, 30 + len(entries) * line


def pedigree_svg(
    people: Sequence[Person], title: str, href: Callable[[Person], str], standalone: bool = False
) -> str:
    """The pedigree of ``people`` as an SVG document (``standalone``: with the XML declaration)."""
    at = layout(people)
    legend_x = at.width + 10
    legend, legend_w, legend_h = _legend(legend_x, MARGIN)
    width = legend_x + legend_w
    height = max(at.height, legend_h + 2 * MARGIN)
    affected = sum(1 for p in people if p.affected == 2)
    summary = (
        f"{title}: {len(people)} {'person' if len(people) == 1 else 'people'} in "
        f"{len(set(generations(people).values()))} generation(s), {affected} affected"
    )
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n' if standalone else "",
        f'<svg xmlns="http://www.w3.org/2000/svg" class="pedigree" role="img" aria-label="{_e(summary)}" '
        f'width="{width:g}" height="{height:g}" viewBox="0 0 {width:g} {height:g}" '
        f'font-family="system-ui, sans-serif">',
        f"<title>{_e(title)}</title><desc>{_e(summary)}</desc>",
        f'<g class="lines">{"".join(_lines(people, at))}</g>',
        '<g class="people">',
    ]
    for p in people:
        cx, cy = at.x[p.id], at.y[p.id]
        parts.append(
            f'<a class="person" href="{_e(href(p))}" data-participant="{p.id}">'
            f"<title>{_e(p.label)}: {sex_name(p.sex)}, {affection_name(p.affected)}</title>"
            f"{_shape(p, cx, cy)}"
            f'<text class="label" x="{cx:g}" y="{cy + SIZE / 2 + LABEL - 2:g}" text-anchor="middle" '
            f'font-size="12" fill="{INK}">{_e(p.label)}</text></a>'
        )
    parts += ["</g>", legend, "</svg>"]
    return "".join(parts)
