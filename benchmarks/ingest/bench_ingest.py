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
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # for tests.metadata.live

from genolog.client import ingest  # noqa: E402
from genolog.client._server import ServerSettings  # noqa: E402
from genolog.metadata.db import normalise_url  # noqa: E402
from tests.metadata.live import free_port, wait_until_healthy  # noqa: E402

METAMIST_SAMPLES_PER_SECOND = 300
PROJECT = "bench-ingest"


def records(samples: int, *, changed_every: int = 0, seed: int = 11) -> Iterator[dict[str, Any]]:
    """The manifest as records; with ``changed_every`` every n-th sample gets different meta."""
    rng = random.Random(seed)
    for i in range(samples):
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


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_backend(label: str, db_url: str, samples: int) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from genolog.cli import app; app()",
            "serve",
            "--port",
            str(port),
            "--db",
            db_url,
            "--dev-user",
            "bench",
        ],
        env={**os.environ, "GENOLOG_CONFIG_PATH": ""},
    )
    try:
        wait_until_healthy(url, alive=lambda: server.poll() is None, timeout=60)
        api = httpx.Client(base_url=f"{url}/api/v1", timeout=60)
        api.put("/project/", params={"name": PROJECT, "dataset": PROJECT}).raise_for_status()
        api.patch(
            f"/project/{PROJECT}/members", json=[{"member": "bench", "roles": ["reader", "writer"]}]
        ).raise_for_status()
        settings = ServerSettings(url=url, token=None)
        print(f"\n{label}: {samples:,} samples (server idle: {peak_rss_mib(server.pid):.0f} MiB peak RSS)")
        print(
            f"  {'phase':<12} {'seconds':>8} {'samples/s':>10} {'x Metamist':>11}  counts (created/updated/unchanged)"
        )
        for phase, changed_every in (("ingest", 0), ("re-ingest", 0), ("10% changed", 10)):
            start = time.perf_counter()
            report = ingest(
                PROJECT, records(samples, changed_every=changed_every), settings=settings, timeout=3600
            )
            seconds = time.perf_counter() - start
            rate = samples / seconds
            shown = ", ".join(
                f"{kind} {c['created']}/{c['updated']}/{c['unchanged']}"
                for kind, c in report["counts"].items()
                if kind != "participant"
            )
            print(
                f"  {phase:<12} {seconds:>8.2f} {rate:>10,.0f} {rate / METAMIST_SAMPLES_PER_SECOND:>10.1f}x  {shown}"
            )
        print(f"  server peak RSS: {peak_rss_mib(server.pid):.0f} MiB")
    finally:
        server.terminate()
        server.wait(timeout=30)


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
        admin = sa.create_engine(normalise_url(args.postgres), isolation_level="AUTOCOMMIT")
        scratch = f"genolog_bench_ingest_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{scratch}"')
        try:
            run_backend(
                "PostgreSQL",
                str(
                    sa.make_url(normalise_url(args.postgres))
                    .set(database=scratch)
                    .render_as_string(hide_password=False)
                ),
                args.samples,
            )
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
            admin.dispose()


if __name__ == "__main__":
    main()
