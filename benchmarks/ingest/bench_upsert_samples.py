"""Benchmark: the published client's ``upsert_samples`` in chunks of 500, as the project grows.

    python benchmarks/ingest/bench_upsert_samples.py                          # SQLite, 0 / 10k / 100k present
    python benchmarks/ingest/bench_upsert_samples.py --postgres postgresql://postgres@127.0.0.1:5432/postgres

A real ingest through Metamist's client sends its samples as ``PUT /api/v1/sample/{project}/upsert-many``
requests of a few hundred samples each, every sample with a sequencing group and an assay: the body is
what ``metamist.apis.SampleApi.upsert_samples`` serialises (only the fields set, the sample records of
``bench_ingest.py``). Each request is its own transaction, so a request's cost must not grow with what
the project already holds. Against a ``genolog serve`` subprocess, this prints:

- chunk ms at N present: the median wall time of ``--chunks`` requests of 500 new samples once the
  project holds N samples (filled through genolog's own bulk path, ``genolog.client.ingest``, up to N);
- 20,000 samples: a fresh project filled by requests of 500 only, its samples per second (over the
  requests' wall time) against Metamist's ~300 (REFERENCE 1.12: 270-370/s for upsert-many on this
  machine class), the server's CPU time, and the median chunk time of the first and of the last tenth
  of the requests (equal when a chunk's cost does not depend on the project's size).

With ``--postgres`` it creates (and afterwards drops) a scratch database next to the one the URL names.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for _support

from _support import Served, genolog_serve, scratch_postgres
from bench_ingest import records

from genolog.client import ingest
from genolog.client._server import ServerSettings

METAMIST_SAMPLES_PER_SECOND = 300
CHUNK = 500  # samples per request, as a client's ingest sends them


def make_project(api: httpx.Client, name: str) -> None:
    api.put("/project/", params={"name": name, "dataset": name}).raise_for_status()
    api.patch(
        f"/project/{name}/members", json=[{"member": "bench", "roles": ["reader", "writer"]}]
    ).raise_for_status()


def upsert_chunk(api: httpx.Client, project: str, first: int) -> float:
    """PUT 500 new samples (numbered from ``first``); returns the request's wall time in seconds (the
    body is built and encoded before, the answer decoded after: the client's own work is not timed)."""
    body = json.dumps([record["sample"] for record in records(CHUNK, first=first)]).encode()
    start = time.perf_counter()
    answer = api.put(
        f"/sample/{project}/upsert-many", content=body, headers={"Content-Type": "application/json"}
    )
    seconds = time.perf_counter() - start
    answer.raise_for_status()
    assert len(answer.json()) == CHUNK
    return seconds


def growing_project(server: Served, api: httpx.Client, sizes: list[int], chunks: int) -> None:
    """Chunk times at each size: the project bulk-filled up to it, then ``chunks`` requests timed."""
    project = "bench-upsert-grown"
    make_project(api, project)
    settings = ServerSettings(url=server.url, token=None)
    present = 0
    for size in sorted(sizes):
        if size > present:
            ingest(project, records(size - present, first=present), settings=settings, timeout=3600)
            present = size
        times = []
        for _ in range(chunks):
            times.append(upsert_chunk(api, project, present))
            present += CHUNK
        print(
            f"  chunk of {CHUNK} at {size:>7,} present: {1000 * statistics.median(times):>7.1f} ms"
            f"  ({CHUNK / statistics.median(times):>6,.0f} samples/s)"
        )


def fresh_project(server: Served, api: httpx.Client, samples: int) -> None:
    """``samples`` into a new project by requests of 500 alone: the rate and the first and last chunks."""
    project = "bench-upsert-fresh"
    make_project(api, project)
    cpu = server.cpu_seconds()
    times = [upsert_chunk(api, project, first) for first in range(0, samples, CHUNK)]
    cpu = server.cpu_seconds() - cpu
    seconds = sum(times)
    rate = samples / seconds
    tenth = max(1, len(times) // 10)
    print(
        f"  {samples:,} samples by {CHUNK}: {seconds:.2f} s, {rate:,.0f} samples/s"
        f" ({rate / METAMIST_SAMPLES_PER_SECOND:.1f}x Metamist), server CPU {cpu:.2f} s;"
        f" chunk ms, median of the first tenth {1000 * statistics.median(times[:tenth]):.1f},"
        f" of the last {1000 * statistics.median(times[-tenth:]):.1f}"
    )


def run_backend(label: str, db_url: str, options: argparse.Namespace) -> None:
    with genolog_serve(db_url) as server:
        api = httpx.Client(base_url=f"{server.url}/api/v1", timeout=600)
        print(f"\n{label}:")
        growing_project(server, api, options.sizes, options.chunks)
        fresh_project(server, api, options.samples)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[0, 10_000, 100_000])
    parser.add_argument("--chunks", type=int, default=5, help="requests timed at each size")
    parser.add_argument("--samples", type=int, default=20_000, help="samples of the fresh project")
    parser.add_argument("--postgres", help="a PostgreSQL URL; a scratch database is made beside it")
    parser.add_argument("--no-sqlite", action="store_true", help="only PostgreSQL")
    options = parser.parse_args()
    if not options.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            run_backend("SQLite", f"sqlite:///{tmp}/bench.db", options)
    if options.postgres:
        with scratch_postgres(options.postgres, "genolog_bench_upsert") as url:
            run_backend("PostgreSQL", url, options)


if __name__ == "__main__":
    main()
