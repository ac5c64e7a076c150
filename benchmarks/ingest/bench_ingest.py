"""Benchmark: bulk ingest of 100,000 samples through the public API, on SQLite and PostgreSQL.

    python benchmarks/ingest/bench_ingest.py                                   # SQLite, 100,000 samples
    python benchmarks/ingest/bench_ingest.py --samples 20000 --postgres postgresql://postgres@127.0.0.1/postgres

Each sample (seeded) has a primary and a second external id, meta, one sequencing group and one assay with
two read files. The records stream as NDJSON through ``genolog.client.ingest`` to a ``genolog serve``
subprocess (one process, as a laptop runs it), in three phases:

- ingest:      every sample new
- re-ingest:   the same records again: everything unchanged, nothing written
- 10% changed: the same records with one sample in ten carrying new meta

It prints samples per second for each phase, the ratio to Metamist's ~300 samples a second (REFERENCE
1.12: 270-370/s for upsert-many on this machine class) and the server's peak resident memory. With
``--postgres`` it creates (and afterwards drops) a scratch database next to the one the URL names.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for _support

from _support import genolog_serve, scratch_postgres

from genolog.client import ingest
from genolog.client._server import ServerSettings

METAMIST_SAMPLES_PER_SECOND = 300
PROJECT = "bench-ingest"


def records(
    samples: int, *, first: int = 0, changed_every: int = 0, seed: int = 11
) -> Iterator[dict[str, Any]]:
    """The manifest as records, samples numbered from ``first``; with ``changed_every`` every n-th sample
    gets different meta."""
    rng = random.Random(seed + first)
    for i in range(first, first + samples):
        batch = f"B{rng.randrange(40):02d}"
        meta: dict[str, Any] = {"batch": batch, "collected": f"2026-{1 + i % 12:02d}-01", "consent": "full"}
        if changed_every and i % changed_every == 0:
            meta["qc_flag"] = "recheck"
        reads = [
            {
                "location": f"gs://cohort-upload/S{i:06d}_R{r}.fastq.gz",
                "basename": f"S{i:06d}_R{r}.fastq.gz",
                "class": "File",
                "checksum": f"md5:{rng.getrandbits(128):032x}",
                "size": rng.randrange(10**9, 3 * 10**9),
            }
            for r in (1, 2)
        ]
        yield {
            "sample": {
                "external_ids": {"": f"S{i:06d}", "lab": f"LAB-{i:07d}"},
                "type": "blood",
                "meta": meta,
                "sequencing_groups": [
                    {
                        "type": "genome",
                        "technology": "short-read",
                        "platform": "illumina",
                        "assays": [
                            {
                                "type": "sequencing",
                                "meta": {
                                    "reads": [reads],
                                    "reads_type": "fastq",
                                    "sequencing_type": "genome",
                                    "sequencing_technology": "short-read",
                                    "sequencing_platform": "illumina",
                                    "sequencing_facility": "KCCG",
                                    "read_length": 150,
                                },
                            }
                        ],
                    }
                ],
            }
        }


def run_backend(label: str, db_url: str, samples: int) -> None:
    with genolog_serve(db_url) as server:
        api = httpx.Client(base_url=f"{server.url}/api/v1", timeout=60)
        api.put("/project/", params={"name": PROJECT, "dataset": PROJECT}).raise_for_status()
        api.patch(
            f"/project/{PROJECT}/members", json=[{"member": "bench", "roles": ["reader", "writer"]}]
        ).raise_for_status()
        settings = ServerSettings(url=server.url, token=None)
        print(f"\n{label}: {samples:,} samples (server idle: {server.peak_rss_mib():.0f} MiB peak RSS)")
        print(
            f"  {'phase':<12} {'seconds':>8} {'samples/s':>10} {'x Metamist':>11} {'server CPU':>11}"
            "  counts (created/updated/unchanged)"
        )
        for phase, changed_every in (("ingest", 0), ("re-ingest", 0), ("10% changed", 10)):
            start, cpu = time.perf_counter(), server.cpu_seconds()
            report = ingest(
                PROJECT, records(samples, changed_every=changed_every), settings=settings, timeout=3600
            )
            seconds = time.perf_counter() - start
            cpu = server.cpu_seconds() - cpu
            rate = samples / seconds
            shown = ", ".join(
                f"{kind} {c['created']}/{c['updated']}/{c['unchanged']}"
                for kind, c in report["counts"].items()
                if kind != "participant"
            )
            print(
                f"  {phase:<12} {seconds:>8.2f} {rate:>10,.0f} {rate / METAMIST_SAMPLES_PER_SECOND:>10.1f}x {cpu:>10.2f}s  {shown}"
            )
        print(f"  server peak RSS: {server.peak_rss_mib():.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--postgres", help="a PostgreSQL URL; a scratch database is made beside it")
    parser.add_argument("--no-sqlite", action="store_true", help="only PostgreSQL")
    args = parser.parse_args()
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            run_backend("SQLite", f"sqlite:///{tmp}/bench.db", args.samples)
    if args.postgres:
        with scratch_postgres(args.postgres, "genolog_bench_ingest") as url:
            run_backend("PostgreSQL", url, args.samples)


if __name__ == "__main__":
    main()
