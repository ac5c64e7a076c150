"""Benchmark: 50 concurrent clients for 60 s against ``genolog serve --workers 2`` (and 1) on PostgreSQL.

    python benchmarks/load/bench_load.py --postgres postgresql://postgres@127.0.0.1:5432/postgres
    python benchmarks/load/bench_load.py --clients 10 --seconds 10 --workers 1     # quick check

On a scratch database (created beside the one ``--postgres`` names, dropped afterwards) it starts
``genolog serve --workers N``, fills a project of 1,000 sequencing groups through the bulk ingest
(``bench_ingest.py``'s records), and runs ``--clients`` asyncio clients (httpx, one connection each)
for ``--seconds``, each looping over a seeded mix of what users and pipelines send:

- read:    the seeds' GraphQL read of the project's 1,000 sequencing groups (``bench_graphql.SGS_QUERY``);
- create:  ``PUT /api/v1/analysis/{project}/`` (the published client's ``createAnalysis``) of one group;
- update:  ``PATCH /api/v1/analysis/{id}/`` (``updateAnalysis``) of an analysis created before;
- upsert:  ``PUT /api/v1/sample/{project}/upsert-many`` of 100 new samples, each with a sequencing group
  and an assay (``upsertSamples``), into a second project (so the read's answer keeps its size).

It prints, per kind and in all, the requests completed, their rate, the 50th and 99th percentile of the
wall time, and the errors (any answer but 2xx, or a failed request), which must be 0; then the figures of
each worker count side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

BENCHMARKS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BENCHMARKS))  # for _support
sys.path.insert(0, str(BENCHMARKS / "ingest"))  # for bench_ingest's records
sys.path.insert(0, str(BENCHMARKS / "graphql"))  # for bench_graphql's query

from _support import genolog_serve, scratch_postgres  # noqa: E402
from bench_graphql import SGS_QUERY  # noqa: E402
from bench_ingest import records  # noqa: E402

from genolog.client import ingest  # noqa: E402
from genolog.client._server import ServerSettings  # noqa: E402

GROUPS = 1000
UPSERT_SAMPLES = 100
READS, UPSERTS = "load-reads", "load-upserts"
KINDS = ("read", "create", "update", "upsert")
WEIGHTS = (4, 3, 3, 1)  # the mix: reads and analysis writes most, a sample upsert now and then

console = Console(width=max(110, Console().width))


@dataclass
class Tally:
    """Each kind's wall times and errors, and a few of the errors' texts."""

    times: dict[str, list[float]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    errors: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def failed(self, kind: str, text: str) -> None:
        self.errors[kind] += 1
        if len(self.examples) < 5:
            self.examples.append(f"{kind}: {text[:300]}")


def make_project(api: httpx.Client, name: str) -> None:
    api.put("/project/", params={"name": name, "dataset": name}).raise_for_status()
    api.patch(
        f"/project/{name}/members", json=[{"member": "bench", "roles": ["reader", "writer"]}]
    ).raise_for_status()


def prepare(url: str) -> tuple[list[str], list[int]]:
    """The read project (1,000 groups) and the upsert project; the groups' ids and 100 analyses' ids."""
    api = httpx.Client(base_url=f"{url}/api/v1", timeout=600)
    make_project(api, READS)
    make_project(api, UPSERTS)
    ingest(READS, records(GROUPS), settings=ServerSettings(url=url, token=None))
    answer = httpx.post(f"{url}/graphql", json={"query": SGS_QUERY, "variables": {"p": READS}}, timeout=600)
    groups = [g["id"] for g in answer.json()["data"]["project"]["sequencingGroups"]]
    assert len(groups) == GROUPS, len(groups)
    analyses = [
        api.put(f"/analysis/{READS}/", json=analysis(group)).raise_for_status().json()
        for group in groups[:100]
    ]
    api.close()
    return groups, analyses


def analysis(group: str) -> dict[str, Any]:
    return {
        "type": "cram",
        "status": "in-progress",
        "sequencing_group_ids": [group],
        "output": f"gs://bench/{group}.cram",
        "meta": {"size": 1},
    }


async def client_loop(
    number: int, url: str, until: float, groups: list[str], analyses: list[int], tally: Tally
) -> None:
    rng = random.Random(number)
    upserted = 0
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=httpx.Limits(max_connections=1)) as client:
        while time.perf_counter() < until:
            kind = rng.choices(KINDS, WEIGHTS)[0]
            if kind == "read":
                call = client.post("/graphql", json={"query": SGS_QUERY, "variables": {"p": READS}})
            elif kind == "create":
                call = client.put(f"/api/v1/analysis/{READS}/", json=analysis(rng.choice(groups)))
            elif kind == "update":
                status = rng.choice(("queued", "in-progress", "completed"))
                call = client.patch(
                    f"/api/v1/analysis/{rng.choice(analyses)}/",
                    json={"status": status, "meta": {"size": upserted}},
                )
            else:
                # new samples, numbered apart from every other client's
                first = 10_000_000 + number * 100_000 + upserted
                upserted += UPSERT_SAMPLES
                body = [record["sample"] for record in records(UPSERT_SAMPLES, first=first)]
                call = client.put(f"/api/v1/sample/{UPSERTS}/upsert-many", json=body)
            started = time.perf_counter()
            try:
                answer = await call
            except httpx.HTTPError as error:
                tally.failed(kind, f"{type(error).__name__}: {error}")
                continue
            seconds = time.perf_counter() - started
            if answer.is_success and (kind != "read" or b'"errors":' not in answer.content):
                tally.times[kind].append(seconds)
                if kind == "create":
                    analyses.append(answer.json())
            else:
                tally.failed(kind, f"{answer.status_code} {answer.text}")


async def load(url: str, clients: int, seconds: float, groups: list[str], analyses: list[int]) -> Tally:
    tally = Tally()
    until = time.perf_counter() + seconds
    loops = [asyncio.create_task(client_loop(n, url, until, groups, analyses, tally)) for n in range(clients)]
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[done]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"{clients} clients", total=seconds, done="")
        while not all(loop.done() for loop in loops):
            await asyncio.sleep(0.5)
            done = sum(len(times) for times in tally.times.values())
            left = max(0.0, until - time.perf_counter())
            progress.update(
                task, completed=seconds - left, done=f"{done:,} requests, {sum(tally.errors.values())} errors"
            )
    for loop in loops:
        loop.result()
    return tally


def percentile(times: list[float], q: float) -> float:
    if len(times) < 2:
        return times[0] if times else float("nan")
    return statistics.quantiles(times, n=100, method="inclusive")[round(q) - 1]


def summary(tally: Tally, seconds: float) -> dict[str, tuple[int, float, float, float, int]]:
    """Per kind and in all: (requests, per second, p50 ms, p99 ms, errors)."""
    rows = {}
    everything = [t for times in tally.times.values() for t in times]
    for kind, times in (*tally.times.items(), ("all", everything)):
        errors = sum(tally.errors.values()) if kind == "all" else tally.errors[kind]
        rows[kind] = (
            len(times),
            len(times) / seconds,
            1000 * percentile(times, 50),
            1000 * percentile(times, 99),
            errors,
        )
    return rows


def run(
    server_url: str, workers: int, options: argparse.Namespace
) -> dict[str, tuple[int, float, float, float, int]]:
    with (
        scratch_postgres(server_url, "genolog_bench_load") as url,
        genolog_serve(url, workers=workers) as server,
    ):
        groups, analyses = prepare(server.url)
        tally = asyncio.run(load(server.url, options.clients, options.seconds, groups, analyses))
    rows = summary(tally, options.seconds)
    table = Table(title=f"--workers {workers}: {options.clients} clients for {options.seconds:.0f} s")
    for column in ("kind", "requests", "per s", "p50 ms", "p99 ms", "errors"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for kind, (n, rate, p50, p99, errors) in rows.items():
        table.add_row(
            kind,
            f"{n:,}",
            f"{rate:,.1f}",
            f"{p50:,.0f}",
            f"{p99:,.0f}",
            f"[red]{errors}[/]" if errors else "0",
        )
    console.print(table)
    for example in tally.examples:
        console.print(f"  [red]error[/] {example}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--postgres",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL URL; a scratch database is made beside it",
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 1], help="worker counts, each a run")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    options = parser.parse_args()
    results = {workers: run(options.postgres, workers, options) for workers in options.workers}
    if len(results) > 1:
        table = Table(title="side by side: requests/s (p50 / p99 ms)")
        table.add_column("kind")
        for workers in results:
            table.add_column(f"--workers {workers}", justify="right")
        for kind in (*KINDS, "all"):
            table.add_row(
                kind,
                *(f"{r[kind][1]:,.1f} ({r[kind][2]:,.0f} / {r[kind][3]:,.0f})" for r in results.values()),
            )
        console.print(table)
    errors = sum(r["all"][4] for r in results.values())
    console.print(f"errors: {errors}" + ("" if errors == 0 else "  [red](must be 0)[/]"))
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
