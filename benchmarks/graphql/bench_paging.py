"""Benchmark: paging through a large project holds one page in memory, not the project.

    python benchmarks/graphql/bench_paging.py                        # SQLite, 100,000 sequencing groups
    python benchmarks/graphql/bench_paging.py --groups 20000 --page 1000 --postgres postgresql://postgres@127.0.0.1/postgres

It builds a project as bench_graphql.py does (each sequencing group has a sample with an external id and
an assay with two read files), starts genolog's server in this process, and reads every sequencing group
with the seeds' fields twice: once unpaged, and once page by page through
``sequencingGroupsConnection(first: N, after: cursor)``. For each it prints the wall time and the peak
Python memory allocated meanwhile (tracemalloc: server and client both run here, so the figure covers
building the answer, serialising it and receiving it). The baseline is the unpaged read: the paged
read's peak should be about page/groups of it, whatever the project's size.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for _support

from _support import scratch_postgres  # noqa: E402
from bench_graphql import populate  # noqa: E402

from genolog.metadata.db import Database  # noqa: E402
from genolog.metadata.service import Service  # noqa: E402
from genolog.metadata.settings import ServerSettings  # noqa: E402
from tests.metadata.live import live_server  # noqa: E402

FIELDS = "id externalIds assays { meta } sample { externalId }"
UNPAGED = f"query ($p: String!) {{ project(name: $p) {{ sequencingGroups {{ {FIELDS} }} }} }}"
# totalCount is asked for on the first page only, as a client would (counting scans the whole list)
PAGED = f"""query ($p: String!, $first: Int!, $after: String, $count: Boolean!) {{ project(name: $p) {{
  sequencingGroupsConnection(first: $first, after: $after) {{
    totalCount @include(if: $count) pageInfo {{ hasNextPage endCursor }} nodes {{ {FIELDS} }} }} }} }}"""


def measured(read: Callable[[], int]) -> tuple[float, float, int]:
    """(seconds, peak MB allocated, groups read) of a read: timed untraced, then traced for its memory
    (tracemalloc slows Python several times over)."""
    started = time.perf_counter()
    groups = read()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    try:
        read()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return seconds, peak / 1e6, groups


def bench(url: str, label: str, groups: int, page: int) -> None:
    db = Database(url)
    db.migrate()
    svc = Service.create(ServerSettings(db=url, dev_user="bench"), db)
    name = f"paging-{uuid.uuid4().hex[:6]}"
    populate(db, name, groups)
    with live_server(svc) as base, httpx.Client(base_url=base, timeout=600) as client:

        def post(query: str, **variables: Any) -> dict[str, Any]:
            response = client.post("/graphql", json={"query": query, "variables": {"p": name, **variables}})
            response.raise_for_status()
            body: dict[str, Any] = orjson.loads(response.content)
            assert "errors" not in body, body["errors"]
            return body["data"]

        def unpaged() -> int:
            return len(post(UNPAGED)["project"]["sequencingGroups"])

        def paged() -> int:
            seen, after = 0, None
            while True:
                connection = post(PAGED, first=page, after=after, count=after is None)["project"][
                    "sequencingGroupsConnection"
                ]
                assert connection.get("totalCount", groups) == groups
                seen += len(connection["nodes"])
                if not connection["pageInfo"]["hasNextPage"]:
                    return seen
                after = connection["pageInfo"]["endCursor"]

        post(PAGED, first=page, after=None, count=True)  # warm up
        whole_s, whole_mb, whole_n = measured(unpaged)
        paged_s, paged_mb, paged_n = measured(paged)
    db.dispose()
    assert whole_n == paged_n == groups
    pages = -(-groups // page)
    print(
        f"{label:9} {groups:>7,} groups | unpaged {whole_s:6.2f} s, peak {whole_mb:7.1f} MB | "
        f"{pages} pages of {page:,}: {paged_s:6.2f} s ({paged_s / pages * 1000:.0f} ms a page), "
        f"peak {paged_mb:6.1f} MB = {paged_mb / whole_mb:.1%} of unpaged",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--groups", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=1000)
    parser.add_argument("--postgres", help="PostgreSQL URL of a server to create a scratch database on")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        bench(f"sqlite:///{scratch}/paging.sqlite", "sqlite", args.groups, args.page)
    if args.postgres:
        with scratch_postgres(args.postgres, "genolog_paging") as url:
            bench(url, "postgres", args.groups, args.page)


if __name__ == "__main__":
    main()
