#!/usr/bin/env python3
"""Benchmark `genolog qc` against fastqe and against plain decompression (zcat, ISA-L).

Generates (once, cached) a seeded gzip FASTQ of 1,000,000 reads x 150 bp with Illumina-like
qualities, then times each tool in a subprocess (best of --repeat runs) and prints wall time, reads/s,
peak RSS and the ratios the targets are stated in:

    genolog vs fastqe      target >= 80x faster
    genolog vs ISA-L       target within 2x of decompression alone
    peak RSS               target < 200 MB

fastqe needs ~100 s on the full file, so by default it runs on the first 100,000 reads and its time
is scaled by 10 (it is linear in reads); --fastqe-full times it on the whole file. fastqe is looked
for in --fastqe, then .cache/fastqe-0.5.2 (made by the test suite), then on PATH; without it, that row
is skipped.

    python benchmarks/qc/bench_qc.py [--reads 1000000] [--repeat 3] [--fastqe PATH] [--fastqe-full]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from isal import igzip, igzip_threaded

from genolog.qc._bgzf import write_bgzf

ROOT = Path(__file__).resolve().parents[2]
READ_LEN = 150
SEED = 20260601


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """Fixed-width decimal digits of `values` as ASCII, one row per value."""
    powers = 10 ** np.arange(width - 1, -1, -1)
    return (values[:, None] // powers % 10 + ord("0")).astype(np.uint8)


def make_batch(rng: np.random.Generator, first: int, n: int, read_len: int = READ_LEN) -> bytes:
    """`n` FASTQ records as one bytes object, built as a (records x bytes) matrix without Python loops.

    Qualities follow an Illumina-like profile: high at the start, a slow decline and a wider spread
    towards the 3' end, a per-read offset, occasional Q2 ('#') tails, and Q41 at the top.
    """
    prefix = np.frombuffer(b"@SIM:7:FCX2KLJ:1:", dtype=np.uint8)
    tile = _digits(rng.integers(1101, 2229, n), 4)
    x = _digits(rng.integers(10000, 32000, n), 5)
    y = _digits(rng.integers(10000, 99999, n), 5)
    serial = _digits(np.arange(first, first + n) % 10**7, 7)
    colon = np.full((n, 1), ord(":"), np.uint8)
    suffix = np.frombuffer(b" 1:N:0:ACGTACGT\n", dtype=np.uint8)
    header = np.hstack(
        [
            np.broadcast_to(prefix, (n, len(prefix))),
            tile,
            colon,
            x,
            colon,
            y,
            colon,
            serial,
            np.broadcast_to(suffix, (n, len(suffix))),
        ]
    )
    seq = np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, (n, read_len), dtype=np.uint8)]
    pos = np.arange(read_len) / read_len
    profile = 36.0 - 9.0 * pos**2
    spread = 2.0 + 4.0 * pos
    q = profile + rng.normal(0, 1.5, (n, 1)) + rng.normal(0, 1, (n, read_len)) * spread
    q = np.clip(np.rint(q), 2, 41)
    tail_start = np.where(rng.random(n) < 0.03, rng.integers(read_len // 2, read_len, n), read_len)
    q[np.arange(read_len) >= tail_start[:, None]] = 2
    seq[q == 2] = np.where(rng.random(int((q == 2).sum())) < 0.5, ord("N"), seq[q == 2])
    qual = (q + 33).astype(np.uint8)
    nl = np.full((n, 1), ord("\n"), np.uint8)
    plus = np.frombuffer(b"+\n", dtype=np.uint8)
    records = np.hstack([header, seq, nl, np.broadcast_to(plus, (n, 2)), qual, nl])
    return records.tobytes()


def make_fastq_gz(path: Path, reads: int, seed: int = SEED, batch: int = 100_000) -> None:
    rng = np.random.default_rng(seed)
    tmp = path.with_suffix(".partial")
    with igzip_threaded.open(tmp, "wb", compresslevel=3, threads=2) as out:
        for first in range(0, reads, batch):
            out.write(make_batch(rng, first, min(batch, reads - first)))
    tmp.rename(path)


def cached_input(reads: int) -> Path:
    cache = Path(os.environ.get("GENOLOG_BENCH_DIR", Path(tempfile.gettempdir()) / "genolog-bench-qc"))
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"sim_{reads}x{READ_LEN}_seed{SEED}.fastq.gz"
    if not path.exists():
        t = time.perf_counter()
        print(f"generating {path} ...", file=sys.stderr)
        make_fastq_gz(path, reads)
        print(f"  done in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return path


def variants(gz: Path) -> tuple[Path, Path]:
    """BGZF and uncompressed copies of the gzip input (same content), made once."""
    bgzf = gz.with_name(gz.name.replace(".fastq.gz", ".bgzf.fastq.gz"))
    plain = gz.with_name(gz.name.replace(".fastq.gz", ".fastq"))
    if not bgzf.exists() or not plain.exists():
        data = igzip.decompress(gz.read_bytes())
        plain.write_bytes(data)
        with open(bgzf.with_suffix(".partial"), "wb") as out:
            write_bgzf(data, out)
        bgzf.with_suffix(".partial").rename(bgzf)
    return bgzf, plain


@dataclass
class Timing:
    name: str
    seconds: float
    max_rss_mb: float
    note: str = ""


def _vm_hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def timed(cmd: list[str], stdout_path: str = os.devnull) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one run of `cmd`.

    Peak RSS is polled from /proc/PID/status (VmHWM): wait4's ru_maxrss would also count the memory of
    this benchmark process, which the child inherits between fork and exec.
    """
    with open(stdout_path, "wb") as out:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE)
        peak_kb = 0
        while True:
            peak_kb = max(peak_kb, _vm_hwm_kb(proc.pid))
            waited, status = os.waitpid(proc.pid, os.WNOHANG)
            if waited:
                break
            time.sleep(0.005)
        elapsed = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err}")
    return elapsed, peak_kb / 1024


def best_of(name: str, cmd: list[str], repeat: int, note: str = "") -> Timing:
    runs = [timed(cmd) for _ in range(repeat)]
    best = min(runs)
    return Timing(name, best[0], max(r[1] for r in runs), note)


def find_fastqe(given: str | None) -> str | None:
    for candidate in (
        given,
        str(ROOT / ".cache" / "fastqe-0.5.2" / "bin" / "fastqe"),
        shutil.which("fastqe"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reads", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--fastqe", help="path to a fastqe executable")
    ap.add_argument("--fastqe-full", action="store_true", help="time fastqe on the whole file (~100 s)")
    ap.add_argument("--gzip-only", action="store_true", help="skip the BGZF and uncompressed copies")
    ap.add_argument("--fastqe-subset", type=int, default=100_000, help="reads for the scaled fastqe run")
    args = ap.parse_args()

    data = cached_input(args.reads)
    size_mb = data.stat().st_size / 1e6
    print(f"input: {data} ({args.reads:,} reads x {READ_LEN} bp, {size_mb:.1f} MB gzip)")
    genolog = str(Path(sys.executable).with_name("genolog"))
    rows = [
        best_of("genolog qc", [genolog, "qc", str(data)], args.repeat),
        best_of(
            "genolog qc --min --max --html",
            [genolog, "qc", "--min", "--max", "--html", os.devnull, str(data)],
            args.repeat,
        ),
        best_of("ISA-L decompress", [sys.executable, "-m", "isal.igzip", "-d", "-c", str(data)], args.repeat),
    ]
    if not args.gzip_only:
        bgzf, plain = variants(data)
        rows.append(
            best_of("genolog qc (BGZF copy)", [genolog, "qc", str(bgzf)], args.repeat, "parallel inflate")
        )
        rows.append(best_of("genolog qc (uncompressed)", [genolog, "qc", str(plain)], args.repeat))
    if shutil.which("zcat"):
        rows.append(best_of("zcat", ["zcat", str(data)], args.repeat))
    fastqe = find_fastqe(args.fastqe)
    if fastqe:
        if args.fastqe_full or args.fastqe_subset >= args.reads:
            rows.append(best_of("fastqe 0.5.2", [fastqe, str(data)], 1))
        else:
            subset = data.with_name(f"subset_{args.fastqe_subset}.fastq.gz")
            if not subset.exists():
                rng = np.random.default_rng(SEED)
                with igzip_threaded.open(subset, "wb", compresslevel=3) as out:
                    out.write(make_batch(rng, 0, args.fastqe_subset))
            t, rss = timed([fastqe, str(subset)])
            scale = args.reads / args.fastqe_subset
            rows.append(Timing("fastqe 0.5.2", t * scale, rss, f"{args.fastqe_subset:,} reads x {scale:g}"))
    else:
        print("fastqe not found (pass --fastqe, or run the QC tests once to build .cache/fastqe-0.5.2)")

    print(f"\n{'tool':32} {'wall s':>8} {'reads/s':>11} {'MB/s in':>8} {'peak RSS':>9}  note")
    for r in rows:
        print(
            f"{r.name:32} {r.seconds:8.2f} {args.reads / r.seconds:11,.0f} {size_mb / r.seconds:8.1f} "
            f"{r.max_rss_mb:7.0f}MB  {r.note}"
        )
    g = rows[0]
    by_name = {r.name: r for r in rows}
    print("\nratios (best runs):")
    isal_t = by_name["ISA-L decompress"].seconds
    print(f"  genolog / ISA-L decompression : {g.seconds / isal_t:5.2f}x   (target <= 2x)")
    if "zcat" in by_name:
        print(f"  zcat / genolog                : {by_name['zcat'].seconds / g.seconds:5.2f}x")
    if "fastqe 0.5.2" in by_name:
        speedup = by_name["fastqe 0.5.2"].seconds / g.seconds
        print(f"  fastqe / genolog              : {speedup:5.1f}x   (target >= 80x)")
    print(f"  genolog peak RSS              : {g.max_rss_mb:5.0f} MB (target < 200 MB)")


if __name__ == "__main__":
    main()
