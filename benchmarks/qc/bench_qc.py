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


def make_long_reads(path: Path, lengths: np.ndarray, seed: int = SEED) -> None:
    """Plain FASTQ of reads with the given lengths (random bases, Q5-Q40), for the per-base cost check."""
    rng = np.random.default_rng(seed)
    with open(path, "wb") as out:
        for i, n in enumerate(lengths.tolist()):
            seq = np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, n)].tobytes()
            qual = rng.integers(5 + 33, 41 + 33, n, dtype=np.uint8).tobytes()
            out.write(b"@long%d\n%s\n+\n%s\n" % (i, seq, qual))


def long_read_check(
    genolog: str, fastqe: str | None, short_plain: Path, short_reads: int, repeat: int
) -> None:
    """Per-base cost for long reads against 150 bp reads, and fastqe's quadratic case (reference 6.6.3)."""
    cache = short_plain.parent
    rng = np.random.default_rng(SEED)
    long_path = cache / "long_10000x1-20kb.fastq"
    long_lengths = rng.integers(1_000, 20_001, 10_000)
    if not long_path.exists():
        make_long_reads(long_path, long_lengths)
    rows = run_rounds(
        [
            ("genolog qc, 150 bp reads", [genolog, "qc", str(short_plain)], "uncompressed"),
            (
                "genolog qc, 1-20 kb reads",
                [genolog, "qc", str(long_path)],
                f"{long_lengths.sum() / 1e6:.0f} Mbases",
            ),
        ],
        repeat,
    )
    bases = [short_reads * READ_LEN, float(long_lengths.sum())]
    print("\nlong reads (uncompressed; startup included):")
    for r, b in zip(rows, bases, strict=True):
        rate = b / r.seconds / 1e6
        print(f"  {r.name:28} {r.seconds:6.2f} s  {rate:6.1f} Mbases/s  {r.max_rss_mb:5.0f} MB  {r.note}")
    if fastqe:
        quad = cache / "long_200x1000.fastq"
        if not quad.exists():
            make_long_reads(quad, np.full(200, 1000))
        slow = run_rounds([("fastqe, 200 x 1000 bp", [fastqe, str(quad)], "")], 1)[0]
        fast = run_rounds([("fastqe --long 1000", [fastqe, "--long", "1000", str(quad)], "")], 1)[0]
        ours = run_rounds([("genolog qc", [genolog, "qc", str(quad)], "")], repeat)[0]
        print(
            f"  fastqe on 200 x 1000 bp: {slow.seconds:.2f} s without --long, {fast.seconds:.2f} s with "
            f"--long 1000; genolog {ours.seconds:.2f} s (no option needed)"
        )


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
    seconds: float  # best wall time
    cpu: float  # user + system seconds of that run
    max_rss_mb: float
    note: str = ""
    scale: float = 1.0  # fastqe on a subset: its figures are multiplied by this


def _vm_hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def timed(cmd: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one run of `cmd` (stdout to /dev/null).

    Peak RSS is polled from /proc/PID/status (VmHWM): wait4's ru_maxrss would also count the memory of
    this benchmark process, which the child inherits between fork and exec.
    """
    with open(os.devnull, "wb") as out:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE)
        peak_kb = 0
        while True:
            peak_kb = max(peak_kb, _vm_hwm_kb(proc.pid))
            waited, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if waited:
                break
            time.sleep(0.005)
        elapsed = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err}")
    return elapsed, usage.ru_utime + usage.ru_stime, peak_kb / 1024


def run_rounds(tools: list[tuple[str, list[str], str]], repeat: int) -> list[Timing]:
    """Best of `repeat` runs per tool, taken in interleaved rounds so that changing machine load
    (CI machines are shared) hits every tool alike."""
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name, _, _ in tools}
    for round_no in range(repeat):
        for name, cmd, _ in tools:
            runs[name].append(timed(cmd))
        print(f"  round {round_no + 1}/{repeat} done", file=sys.stderr)
    out = []
    for name, _, note in tools:
        best = min(runs[name])
        out.append(Timing(name, best[0], best[1], max(r[2] for r in runs[name]), note))
    return out


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
    ap.add_argument("--long-reads", action="store_true", help="also check per-base cost on 1-20 kb reads")
    ap.add_argument("--fastqe-subset", type=int, default=100_000, help="reads for the scaled fastqe run")
    args = ap.parse_args()

    data = cached_input(args.reads)
    size_mb = data.stat().st_size / 1e6
    print(f"input: {data} ({args.reads:,} reads x {READ_LEN} bp, {size_mb:.1f} MB gzip)")
    genolog = str(Path(sys.executable).with_name("genolog"))
    tools = [
        ("genolog qc", [genolog, "qc", str(data)], ""),
        (
            "genolog qc --min --max --html",
            [genolog, "qc", "--min", "--max", "--html", os.devnull, str(data)],
            "",
        ),
        (
            "ISA-L decompress",
            [sys.executable, "-m", "isal.igzip", "-d", "-c", str(data)],
            "python -m isal.igzip",
        ),
    ]
    if not args.gzip_only:
        bgzf, plain = variants(data)
        tools.append(("genolog qc (BGZF copy)", [genolog, "qc", str(bgzf)], "parallel inflate"))
        tools.append(("genolog qc (uncompressed)", [genolog, "qc", str(plain)], ""))
    if shutil.which("zcat"):
        tools.append(("zcat", ["zcat", str(data)], ""))
    fastqe = find_fastqe(args.fastqe)
    scale = 1.0
    if fastqe:
        target = data
        if not (args.fastqe_full or args.fastqe_subset >= args.reads):
            target = data.with_name(f"subset_{args.fastqe_subset}.fastq.gz")
            if not target.exists():
                rng = np.random.default_rng(SEED)
                with igzip_threaded.open(target, "wb", compresslevel=3) as out:
                    out.write(make_batch(rng, 0, args.fastqe_subset))
            scale = args.reads / args.fastqe_subset
        note = (
            "whole file"
            if scale == 1
            else f"{args.fastqe_subset:,} reads; (time - startup) x {scale:g} + startup"
        )
        # one fastqe run per round would take minutes: it runs once, in the middle of the rounds
        tools.insert(len(tools) // 2, ("fastqe 0.5.2", [fastqe, str(target)], note))
    else:
        print("fastqe not found (pass --fastqe, or run the QC tests once to build .cache/fastqe-0.5.2)")

    slow = [t for t in tools if t[0] == "fastqe 0.5.2"]
    rows = run_rounds([t for t in tools if t[0] != "fastqe 0.5.2"][:3], args.repeat)
    rows += run_rounds(slow, 1)
    rows += run_rounds([t for t in tools if t[0] != "fastqe 0.5.2"][3:], args.repeat)
    if fastqe and scale != 1:
        # fastqe is linear in reads after a fixed start-up (imports): scale only the per-read part
        empty = data.with_name("empty.fastq")
        empty.write_bytes(b"")
        startup = run_rounds([("fastqe start-up", [fastqe, str(empty)], "")], args.repeat)[0]
        for r in rows:
            if r.name == "fastqe 0.5.2":
                r.seconds = startup.seconds + (r.seconds - startup.seconds) * scale
                r.cpu = startup.cpu + (r.cpu - startup.cpu) * scale
                r.scale = scale

    load = os.getloadavg()[0]
    print(f"\n{'tool':32} {'wall s':>7} {'CPU s':>7} {'reads/s':>11} {'MB/s in':>8} {'peak RSS':>9}  note")
    for r in rows:
        print(
            f"{r.name:32} {r.seconds:7.2f} {r.cpu:7.2f} {args.reads / r.seconds:11,.0f} "
            f"{size_mb / r.seconds:8.1f} {r.max_rss_mb:7.0f}MB  {r.note}"
        )
    g = rows[0]
    by_name = {r.name: r for r in rows}
    isal = by_name["ISA-L decompress"]
    print(f"\nratios (best runs; 1-minute load average at the end: {load:.1f} on {os.cpu_count()} CPUs):")
    print(
        f"  genolog / ISA-L decompression : {g.seconds / isal.seconds:5.2f}x wall, "
        f"{g.cpu / isal.cpu:4.2f}x CPU   (target <= 2x)"
    )
    if "zcat" in by_name:
        print(f"  zcat / genolog                : {by_name['zcat'].seconds / g.seconds:5.2f}x wall")
    if "fastqe 0.5.2" in by_name:
        fq = by_name["fastqe 0.5.2"]
        print(
            f"  fastqe / genolog              : {fq.seconds / g.seconds:5.1f}x wall, "
            f"{fq.cpu / g.cpu:5.1f}x CPU   (target >= 80x)"
        )
    print(f"  genolog peak RSS              : {g.max_rss_mb:5.0f} MB (target < 200 MB)")
    if args.long_reads:
        long_read_check(genolog, fastqe, variants(data)[1], args.reads, args.repeat)


if __name__ == "__main__":
    main()
