"""What QC computes for one input (FileStats), and the running sums it is built from."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

PHRED_OFFSET = 33

U8 = NDArray[np.uint8]
I64 = NDArray[np.int64]


class FormatError(Exception):
    """The content is not valid FASTQ/FASTA; the message names the line."""


@dataclass
class FileStats:
    """Everything computed for one input: read-length distribution and per-position quality sums.

    Quality arrays are indexed by 0-based position and cover every position that at least one counted
    read reaches; `qual_sum` holds Phred scores (not ASCII codes).
    """

    name: str
    format: str = "fastq"  # "fastq" or "fasta" (FASTA has no qualities)
    compression: str = "none"
    minlen: int = 0
    num_seqs: int = 0
    num_skipped_short: int = 0
    length_counts: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    qual_sum: NDArray[np.uint64] = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    qual_min: U8 = field(default_factory=lambda: np.zeros(0, dtype=np.uint8))
    qual_max: U8 = field(default_factory=lambda: np.zeros(0, dtype=np.uint8))

    @property
    def num_bases(self) -> int:
        lengths = np.arange(len(self.length_counts), dtype=np.int64)
        return int((lengths * self.length_counts).sum())

    @property
    def min_len(self) -> int | None:
        nz = np.flatnonzero(self.length_counts)
        return int(nz[0]) if len(nz) else None

    @property
    def max_len(self) -> int | None:
        nz = np.flatnonzero(self.length_counts)
        return int(nz[-1]) if len(nz) else None

    @property
    def mean_len(self) -> int | None:
        """Mean read length, floored (as FastQE reports it)."""
        return self.num_bases // self.num_seqs if self.num_seqs else None

    @property
    def coverage(self) -> I64:
        """Number of counted reads reaching each position (reads longer than p, for p = 0, 1, ...)."""
        if self.format != "fastq" or len(self.length_counts) < 2:
            return np.zeros(0, dtype=np.int64)
        return np.cumsum(self.length_counts[::-1])[::-1][1:].astype(np.int64)

    @property
    def mean(self) -> NDArray[np.float64]:
        """Unrounded per-position mean Phred score over the reads covering each position."""
        cov = self.coverage
        return self.qual_sum[: len(cov)].astype(np.float64) / cov

    @property
    def mean_rounded(self) -> I64:
        """Per-position mean as FastQE prints it: float mean, numpy round (half to even), int."""
        return np.round(self.mean).astype(np.int64)

    @property
    def phred_min(self) -> I64:
        return self.qual_min[: len(self.coverage)].astype(np.int64)

    @property
    def phred_max(self) -> I64:
        return self.qual_max[: len(self.coverage)].astype(np.int64)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready summary (exact integer sums, so files can be merged later)."""
        mean = self.mean if self.format == "fastq" else np.zeros(0)
        return {
            "name": self.name,
            "format": self.format,
            "compression": self.compression,
            "has_qualities": self.format == "fastq",
            "minlen": self.minlen,
            "num_seqs": self.num_seqs,
            "num_skipped_short": self.num_skipped_short,
            "num_bases": self.num_bases,
            "min_len": self.min_len,
            "max_len": self.max_len,
            "mean_len": self.mean_len,
            "length_counts": {str(n): int(c) for n, c in enumerate(self.length_counts) if c},
            "phred_offset": PHRED_OFFSET,
            "per_position": {
                "count": self.coverage.tolist(),
                "sum": [int(x) for x in self.qual_sum[: len(self.coverage)]],
                "min": self.phred_min.tolist(),
                "max": self.phred_max.tolist(),
                "mean": [round(float(x), 4) for x in mean],
                "mean_rounded": self.mean_rounded.tolist() if self.format == "fastq" else [],
            },
        }
