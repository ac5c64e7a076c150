"""The REST reads the published client makes most, against a `genolog serve` holding a cohort.

A project of ``--samples`` samples (each with a sequencing group and an assay with two read files, the
ingest benchmark's manifest) is ingested once; then each read is timed over ``--repeat`` calls and its
median printed: every sample of the project (``getSamples``), those whose meta matches (the REST meta
filter), one sample by id and by external id, a project's participants, and the assays of the samples
matching a meta filter. The baseline is the same script run against another revision
(``PYTHONPATH=<that checkout>/src``), as benchmarks/README.md records.

    python benchmarks/rest/bench_rest_reads.py --samples 20000 --repeat 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _support import genolog_serve, scratch_postgres
from ingest.bench_ingest import PROJECT, records

from genolog.client import ingest
from genolog.client._server import ServerSettings


def timed(call: Callable[[], httpx.Response], repeat: int) -> tuple[float, Any]:
    """The median seconds of ``repeat`` calls, and the last answer's JSON."""
    seconds, answer = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        response = call()
        seconds.append(time.perf_counter() - start)
        response.raise_for_status()
        answer = response.json()
    return statistics.median(seconds), answer


def run_backend(label: str, db_url: str, samples: int, repeat: int) -> None:
    with genolog_serve(db_url) as server:
        api = httpx.Client(base_url=f"{server.url}/api/v1", timeout=300)
        api.put("/project/", params={"name": PROJECT, "dataset": PROJECT}).raise_for_status()
        api.patch(
            f"/project/{PROJECT}/members", json=[{"member": "bench", "roles": ["reader", "writer"]}]
        ).raise_for_status()
        ingest(PROJECT, records(samples), settings=ServerSettings(url=server.url, token=None), timeout=3600)
        some = api.post("/sample/", json={"project_ids": [PROJECT], "sample_ids": None}).json()[samples // 2]
        reads: list[tuple[str, Callable[[], httpx.Response]]] = [
            ("getSamples, whole project", lambda: api.post("/sample/", json={"project_ids": [PROJECT]})),
            (
                "getSamples, meta filter (1/40)",
                lambda: api.post("/sample/", json={"project_ids": [PROJECT], "meta": {"batch": "B07"}}),
            ),
            ("getSampleById", lambda: api.get(f"/sample/{some['id']}")),
            (
                "getSampleByExternalId",
                lambda: api.get(f"/sample/{PROJECT}/{some['external_ids']['']}/details"),
            ),
            ("getParticipants", lambda: api.post(f"/participant/{PROJECT}", json={})),
            (
                "getAssaysByCriteria, sample meta (1/40)",
                lambda: api.post(
                    "/assay/criteria", json={"projects": [PROJECT], "sample_meta": {"batch": "B07"}}
                ),
            ),
        ]
        print(f"\n{label}: {samples:,} samples, median of {repeat} calls")
        print(f"  {'read':<42} {'ms':>9} {'items':>7}")
        for name, call in reads:
            seconds, answer = timed(call, repeat)
            items = len(answer) if isinstance(answer, list) else 1
            print(f"  {name:<42} {seconds * 1000:>9.1f} {items:>7}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", help="a PostgreSQL URL; a scratch database is made beside it")
    parser.add_argument("--no-sqlite", action="store_true", help="only PostgreSQL")
    args = parser.parse_args()
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            run_backend("SQLite", f"sqlite:///{tmp}/bench.db", args.samples, args.repeat)
    if args.postgres:
        with scratch_postgres(args.postgres, "genolog_bench_rest") as url:
            run_backend("PostgreSQL", url, args.samples, args.repeat)


if __name__ == "__main__":
    main()
