"""Read files: their kind from the name, and FASTQ R1/R2 pairing by Metamist's rules.

A FASTQ's basename must end in a separator (``_`` or ``-``), an optional read token (``1``, ``2``,
``R1``, ``R2``), an optional ``_<digits>`` chunk and a FASTQ/ORA extension. Files are grouped by
(prefix, chunk, extension), whatever their folder; each group must hold exactly two files, which form
one pair in sorted order, and pairs are sorted by their first basename.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

Kind = Literal["fastq", "fastq_ora", "bam", "cram", "gvcf"]
READ_KINDS: tuple[Kind, ...] = ("fastq", "fastq_ora", "bam", "cram")
EXPECTED_EXTENSIONS = ".fastq(.gz), .fq(.gz), .fastq.ora, .fq.ora, .bam, .cram or .g.vcf.gz"

_KINDS: tuple[tuple[str, Kind], ...] = (
    (".fastq.gz", "fastq"),
    (".fq.gz", "fastq"),
    (".fastq", "fastq"),
    (".fq", "fastq"),
    (".fastq.ora", "fastq_ora"),
    (".fq.ora", "fastq_ora"),
    (".bam", "bam"),
    (".cram", "cram"),
    (".g.vcf.gz", "gvcf"),
)
FASTQ_NAME = re.compile(
    r"^(?P<prefix>.*?)[_-](?:R?[12])?(?P<chunk>_\d+)?(?P<ext>\.(?:fastq|fq)(?:\.gz|\.ora)?)$", re.IGNORECASE
)
FASTQ_NAME_HELP = "expected a name ending _R1/_R2 or _1/_2, optionally then _001, before the extension"


def kind_of(basename: str) -> Kind | None:
    lower = basename.lower()
    return next((kind for suffix, kind in _KINDS if lower.endswith(suffix)), None)


def fastq_group_key(basename: str) -> tuple[str, str, str] | None:
    """(prefix, chunk, extension) of a FASTQ name, or None when the name cannot be paired."""
    match = FASTQ_NAME.match(basename)
    if match is None:
        return None
    return match["prefix"], match["chunk"] or "", match["ext"].lower()


T = TypeVar("T")


@dataclass
class Pairing(Generic[T]):
    pairs: list[tuple[T, T]]
    #: groups that are not exactly two files (single-end reads, a missing mate, or too many files)
    bad_groups: list[list[T]]
    #: files whose name has no recognisable read token
    unnamed: list[T]


def pair_fastqs(files: Sequence[T], basename: Callable[[T], str], location: Callable[[T], str]) -> Pairing[T]:
    groups: dict[tuple[str, str, str], list[T]] = {}
    unnamed: list[T] = []
    for f in sorted(files, key=lambda f: (basename(f), location(f))):
        key = fastq_group_key(basename(f))
        if key is None:
            unnamed.append(f)
        else:
            groups.setdefault(key, []).append(f)
    pairs: list[tuple[T, T]] = []
    bad: list[list[T]] = []
    for group in groups.values():
        if len(group) == 2:
            pairs.append((group[0], group[1]))
        else:
            bad.append(group)
    pairs.sort(key=lambda p: (basename(p[0]), location(p[0])))
    return Pairing(pairs, bad, unnamed)
