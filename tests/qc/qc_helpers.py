"""Seeded FASTQ generation and a naive reference implementation for the read-QC tests."""

from __future__ import annotations

import numpy as np

Record = tuple[str, str, str]  # (name, sequence, qualities)


def fastq_text(records: list[Record], newline: str = "\n") -> str:
    return "".join(f"@{n}{newline}{s}{newline}+{newline}{q}{newline}" for n, s, q in records)


def random_records(
    seed: int,
    n: int,
    lengths: tuple[int, int] = (150, 150),
    qual_range: tuple[int, int] = (2, 41),
    binned: bool = False,
) -> list[Record]:
    """Seeded reads with an Illumina-like quality decline; `binned` snaps qualities to 2/12/23/37."""
    rng = np.random.default_rng(seed)
    records = []
    lo, hi = qual_range
    for i in range(n):
        length = int(rng.integers(lengths[0], lengths[1] + 1))
        pos = np.arange(length) / max(length, 1)
        q = 36 - 10 * pos**2 + rng.normal(0, 4, length)
        q = np.clip(np.rint(q), lo, hi).astype(int)
        if binned:
            q = np.array([2, 12, 23, 37])[np.searchsorted([7, 18, 30], q)]
        seq = "".join(rng.choice(list("ACGTN"), length, p=[0.24, 0.24, 0.24, 0.24, 0.04]))
        records.append((f"r{i} sample", seq, "".join(chr(x + 33) for x in q)))
    return records


def naive_stats(records: list[Record], minlen: int = 0) -> dict[str, list[int]]:
    """Per-position statistics the slow, obvious way (the reference the vectorised code must match)."""
    quals = [[ord(c) - 33 for c in q] for _, _, q in records if len(q) >= minlen]
    width = max((len(q) for q in quals), default=0)
    out: dict[str, list[int]] = {"count": [], "sum": [], "min": [], "max": [], "mean": []}
    for p in range(width):
        column = [q[p] for q in quals if len(q) > p]
        out["count"].append(len(column))
        out["sum"].append(sum(column))
        out["min"].append(min(column))
        out["max"].append(max(column))
        out["mean"].append(int(np.round(sum(column) / len(column))))
    return out
