"""Deterministic synthetic paired FASTQ files with realistic, varied quality profiles.

Each sample has its own profile: a starting quality, a decay along the read (steeper on read 2, as on
Illumina instruments), per-read offsets and noise, and a chance of a read ending in Q2 (``#``) bases
called as ``N``. A few samples are poor (low start, steep decay), one has a mid-read dip (a bubble).
The same seed always gives the same bytes (gzip without a timestamp), so re-running the demo leaves
the files, their checksums and the ingested metadata unchanged.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

READ_LENGTH = 150
READS_PER_FILE = 4000
BASES = np.frombuffer(b"ACGT", dtype=np.uint8)


@dataclass(frozen=True)
class Profile:
    start: float  # mean Phred quality at the first base
    decay: float  # quality lost per base, read 1 (read 2 loses 30% more)
    noise: float  # per-base standard deviation
    q2_tail_rate: float  # share of reads whose end turns to Q2 (#) bases
    dip: tuple[int, int] | None = None  # a stretch of low quality (an instrument bubble)

    @property
    def label(self) -> str:
        if self.dip:
            return "mid-read dip"
        end = self.start - self.decay * READ_LENGTH
        return "poor" if end < 20 else ("fair" if end < 28 else "good")


@dataclass(frozen=True)
class DemoSample:
    participant: str
    sample: str
    sex: int
    profile: Profile

    def files(self) -> tuple[str, str]:
        return f"{self.sample}_R1.fastq.gz", f"{self.sample}_R2.fastq.gz"


def demo_samples(count: int = 10, seed: int = 2024) -> list[DemoSample]:
    """`count` samples with profiles drawn from `seed`: mostly good, two poor, one with a dip."""
    rng = np.random.default_rng(seed)
    samples = []
    for i in range(1, count + 1):
        poor = i in (4, 9)
        profile = Profile(
            start=float(rng.uniform(30.0, 33.0) if poor else rng.uniform(36.0, 39.0)),
            decay=float(rng.uniform(0.10, 0.14) if poor else rng.uniform(0.02, 0.06)),
            noise=float(rng.uniform(2.0, 4.0)),
            q2_tail_rate=float(rng.uniform(0.08, 0.15) if poor else rng.uniform(0.0, 0.03)),
            dip=(60, 80) if i == 7 else None,
        )
        samples.append(DemoSample(f"DEMO{i:02d}", f"DEMO{i:02d}-DNA", 1 + i % 2, profile))
    return samples


def qualities(profile: Profile, mate: int, reads: int, rng: np.random.Generator) -> np.ndarray:
    """Phred scores, `reads` x READ_LENGTH, for read `mate` (1 or 2) of a sample."""
    pos = np.arange(READ_LENGTH, dtype=np.float64)
    decay = profile.decay * (1.3 if mate == 2 else 1.0)
    mean = profile.start - decay * pos - 0.0004 * pos**2  # slightly faster at the end
    mean[:5] -= np.array([4.0, 2.0, 1.0, 0.5, 0.2])  # the first cycles are a little worse
    if profile.dip:
        a, b = profile.dip
        mean[a:b] -= 15.0
    q = mean + rng.normal(0.0, 2.0, size=(reads, 1)) + rng.normal(0.0, profile.noise, (reads, READ_LENGTH))
    tails = rng.random(reads) < profile.q2_tail_rate
    starts = rng.integers(READ_LENGTH // 2, READ_LENGTH, size=reads)
    mask = tails[:, None] & (pos[None, :] >= starts[:, None])
    q = np.clip(np.rint(q), 2, 41).astype(np.uint8)
    q[mask] = 2
    return q


def write_pair(sample: DemoSample, folder: Path, index: int, reads: int = READS_PER_FILE) -> list[Path]:
    """Write the sample's R1 and R2 (skipping files that exist); returns their paths."""
    paths = [folder / name for name in sample.files()]
    if all(p.exists() for p in paths):
        return paths
    rng = np.random.default_rng(10_000 + index)
    sequence = BASES[rng.integers(0, 4, size=(reads, READ_LENGTH))]  # the fragment; R2 is its mate
    for mate, path in enumerate(paths, 1):
        q = qualities(sample.profile, mate, reads, rng)
        seq = sequence.copy() if mate == 1 else BASES[3 - np.searchsorted(BASES, sequence[:, ::-1])]
        seq[q == 2] = ord("N")
        _write_fastq(path, sample.sample, mate, seq, q + 33)
    return paths


def _write_fastq(path: Path, name: str, mate: int, seq: np.ndarray, qual: np.ndarray) -> None:
    reads, length = seq.shape
    column = np.full((reads, 1), ord("\n"), dtype=np.uint8)
    plus = np.full((reads, 1), ord("+"), dtype=np.uint8)
    body = np.hstack([seq, column, plus, column, qual, column]).tobytes()  # sequence, +, quality
    width = 2 * length + 4
    records = b"".join(
        f"@{name}:1:FC01:1:{1101 + i // 1000}:{1000 + i % 1000}:{2000 + i} {mate}:N:0:ACGTACGT\n".encode()
        + body[i * width : (i + 1) * width]
        for i in range(reads)
    )
    partial = path.with_name(f".{path.name}.partial")
    with (
        open(partial, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as out,
    ):
        out.write(records)
    partial.replace(path)


def write_manifest(samples: list[DemoSample], folder: Path) -> Path:
    """A sample-file map (TSV) naming each sample's pair, as a sequencing facility would send it."""
    path = folder / "manifest.tsv"
    rows = ["participant id\tsample id\tfilenames\tsex\tsample type\tsequencing type"]
    rows += [f"{s.participant}\t{s.sample}\t{','.join(s.files())}\t{s.sex}\tblood\tgenome" for s in samples]
    text = "\n".join(rows) + "\n"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path
