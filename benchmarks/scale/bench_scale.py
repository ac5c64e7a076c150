"""Benchmark: a project of 1,000,000 samples on PostgreSQL, against the issue's targets.

    python benchmarks/scale/bench_scale.py --postgres postgresql://postgres@127.0.0.1:5432/postgres
    python benchmarks/scale/bench_scale.py --samples 50000 --postgres ...      # quick check (~2 minutes)

On a scratch database (created beside the one ``--postgres`` names, dropped afterwards) and one
``genolog serve`` subprocess, it fills a project of N participants, each with a sample (two external ids,
meta), a genome sequencing group and an assay with two read files, through the public bulk path
(``genolog.client.ingest``, NDJSON, ``--batch`` records a request), plus a project of N/10 for the
export's memory and an empty project for the writes. Then it times:

- ingest:       samples per second over the whole fill of the large project (target >= 10,000);
- GraphQL page: 1,000 sequencing groups with the seeds' fields through ``sequencingGroupsConnection``,
  the first page and the page after the last-but-1,000th group (median wall time, target < 200 ms);
- grid pages:   the web project page (sample grid, 50 rows) and ``POST /api/v1/web/{project}/participants``
  (50 participants), first and last page (median wall time, target < 200 ms each), and the web page's
  first view after an analysis was written (the analyses are counted again) and after a sample's meta
  changed (the samples' counts and the meta keys, kept while no participant, sample or group changes,
  are computed again: this one scans the project);
- export:       the web CSV export (``/projects/{p}/samples.csv``) and the API's participant CSV export
  streamed to the end, and the server's peak resident memory above what it held before (VmHWM reset
  through /proc/PID/clear_refs), for the N and the N/10 project: flat when the N project's peak is no
  more than twice the N/10 one's plus 16 MiB (ten times the rows);
- database size (``pg_database_size``);
- writes:       requests of 500 new samples as the published client's ``upsert_samples`` sends them, and
  single analysis writes (``createAnalysis`` then ``updateAnalysis``), into the full project and into the
  empty one, interleaved so that load on the machine falls on both alike: the ratio of medians (target:
  the full project no slower, within 20% for the noise of a shared machine).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

BENCHMARKS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BENCHMARKS))  # for _support
sys.path.insert(0, str(BENCHMARKS / "ingest"))  # for bench_ingest's records

from _support import Served, genolog_serve, scratch_postgres  # noqa: E402
from bench_ingest import records  # noqa: E402

from genolog.client import ingest  # noqa: E402
from genolog.client._server import ServerSettings  # noqa: E402
from genolog.metadata.db import normalise_url  # noqa: E402

INGEST_TARGET = 10_000  # samples a second
PAGE_BUDGET_MS = 200.0
WRITE_TOLERANCE = 1.2  # full/empty ratio of medians still counted "no slower" on a shared machine
CHUNK = 500  # samples per upsert request, as a client's ingest sends them
FULL, TENTH, EMPTY = "scale", "scale-tenth", "scale-empty"
GROUPS_PAGE = """query ($p: String!, $after: String) { project(name: $p) {
  sequencingGroupsConnection(first: 1000, after: $after) {
    pageInfo { hasNextPage endCursor } nodes { id externalIds assays { meta } sample { externalId } } } } }"""
GROUP_OF_SAMPLE = """query ($p: String!, $e: String!) { project(name: $p) {
  samples(externalId: {eq: $e}) { sequencingGroups { id } } } }"""

console = Console(width=max(110, Console().width))


@dataclass
class Figures:
    """What was measured, and each target's verdict, printed at the end."""

    rows: list[tuple[str, str, str, bool | None]] = field(default_factory=list)

    def add(self, what: str, value: str, target: str = "", passed: bool | None = None) -> None:
        self.rows.append((what, value, target, passed))
        verdict = "" if passed is None else ("[green]pass[/]" if passed else "[red]FAIL[/]")
        console.print(f"  {what:<46} {value:>16}  {target:<18} {verdict}")


def participant_records(samples: int, first: int = 0) -> Iterator[dict[str, Any]]:
    """bench_ingest's sample records, each in a participant of its own."""
    for i, record in enumerate(records(samples, first=first), first):
        yield {
            "participant": {
                "external_ids": {"": f"P{i:07d}"},
                "reported_sex": 1 + i % 2,
                "meta": {"cohort": f"c{i % 5}"},
                "samples": [record["sample"]],
            }
        }


def make_project(api: httpx.Client, name: str) -> None:
    api.put("/project/", params={"name": name, "dataset": name}).raise_for_status()
    api.patch(
        f"/project/{name}/members", json=[{"member": "bench", "roles": ["reader", "writer"]}]
    ).raise_for_status()


def fill(server: Served, project: str, samples: int, batch: int, progress: Progress) -> float:
    """``samples`` participants into ``project`` by ingest requests of ``batch``; the seconds it took.
    Each request's samples per second and the server's CPU time per sample are kept in ``batches``
    (whether a request slows as the project grows, apart from the machine's load)."""
    settings = ServerSettings(url=server.url, token=None)
    task = progress.add_task(f"ingest {project}", total=samples)

    def counted(first: int, n: int) -> Iterator[dict[str, Any]]:
        for record in participant_records(n, first):
            yield record
            progress.advance(task)

    started = time.perf_counter()
    for first in range(0, samples, batch):
        n = min(batch, samples - first)
        request_started, cpu = time.perf_counter(), server.cpu_seconds()
        report = ingest(project, counted(first, n), settings=settings, timeout=3600)
        assert report["counts"]["sample"]["created"] == n, report["counts"]
        seconds = time.perf_counter() - request_started
        batches.append((n / seconds, 1e6 * (server.cpu_seconds() - cpu) / n))
    return time.perf_counter() - started


batches: list[tuple[float, float]] = []  # each ingest request's samples/s and server CPU µs a sample


def median_ms(call: Callable[[], None], repeat: int) -> float:
    call()  # warm up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def ok(response: httpx.Response) -> httpx.Response:
    if response.is_error:
        raise RuntimeError(
            f"{response.request.method} {response.request.url}: {response.status_code} {response.text[:500]}"
        )
    return response


def graphql(client: httpx.Client, query: str, **variables: Any) -> dict[str, Any]:
    body: dict[str, Any] = ok(client.post("/graphql", json={"query": query, "variables": variables})).json()
    assert "errors" not in body, body["errors"]
    return body["data"]


def pages(client: httpx.Client, samples: int, repeat: int, figures: Figures) -> None:
    deep = graphql(client, GROUP_OF_SAMPLE, p=FULL, e=f"S{samples - 1001:06d}")
    after = deep["project"]["samples"][0]["sequencingGroups"][0]["id"]

    def groups_page(cursor: str | None) -> Callable[[], None]:
        def read() -> None:
            found = graphql(client, GROUPS_PAGE, p=FULL, after=cursor)["project"][
                "sequencingGroupsConnection"
            ]
            assert len(found["nodes"]) == 1000, len(found["nodes"])

        return read

    def web_page(query: str) -> Callable[[], None]:
        def read() -> None:
            ok(client.get(f"/projects/{FULL}{query}"))

        return read

    def api_grid(skip: int) -> Callable[[], None]:
        def read() -> None:
            answer = ok(
                client.post(f"/api/v1/web/{FULL}/participants", params={"limit": 50, "skip": skip}, json={})
            )
            assert len(answer.json()["participants"]) == 50

        return read

    def web_page_after(change: Callable[[], Any]) -> Callable[[], None]:
        def read() -> None:
            change()
            started = time.perf_counter()
            ok(client.get(f"/projects/{FULL}"))
            changed.append(time.perf_counter() - started)

        return read

    def analysis_written() -> None:  # the analyses are counted again, not the samples
        group = {"type": "qc", "status": "queued", "sequencing_group_ids": [after]}
        ok(client.put(f"/api/v1/analysis/{FULL}/", json=group))

    def sample_changed() -> None:  # the samples' counts and meta keys are computed again
        body = [{"external_ids": {"": "S000000"}, "meta": {"recheck": time.time()}}]
        ok(client.put(f"/api/v1/sample/{FULL}/upsert-many", json=body))

    changed: list[float] = []
    last = -(-samples // 50)
    for what, call in (
        ("GraphQL page of 1,000 groups, first", groups_page(None)),
        ("GraphQL page of 1,000 groups, last", groups_page(after)),
        ("web sample grid, first page", web_page("")),
        (f"web sample grid, last page ({last:,})", web_page(f"?page={last}")),
        ("web sample grid, after an analysis was written", web_page_after(analysis_written)),
        ("web sample grid, after a sample changed", web_page_after(sample_changed)),
        ("API participant grid, first page", api_grid(0)),
        ("API participant grid, last page", api_grid(samples - 50)),
    ):
        ms = median_ms(call, repeat)
        if changed:  # the page's own time, not the write's
            ms, changed[:] = 1000 * statistics.median(changed[1:]), []
        figures.add(what, f"{ms:,.0f} ms", f"< {PAGE_BUDGET_MS:.0f} ms", ms < PAGE_BUDGET_MS)


def export_peak(
    server: Served, client: httpx.Client, method: str, path: str, body: Any
) -> tuple[float, float, int]:
    """(seconds, peak MiB above the resident memory before, lines) of one streamed export."""
    before = server.rss_mib()
    server.reset_peak_rss()
    peak = before
    done = threading.Event()

    def sample() -> None:  # VmHWM is the figure; this is in case clear_refs is refused
        nonlocal peak
        while not done.wait(0.02):
            peak = max(peak, server.rss_mib())

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    started = time.perf_counter()
    lines = 0
    with client.stream(method, path, json=body) as response:
        ok(response)
        for chunk in response.iter_bytes():
            lines += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    done.set()
    watcher.join()
    return seconds, max(peak, server.peak_rss_mib()) - before, lines


def exports(server: Served, client: httpx.Client, samples: int, figures: Figures) -> None:
    for label, method, path, body in (
        ("web samples.csv", "GET", "/projects/{p}/samples.csv", None),
        ("API participants CSV", "POST", "/api/v1/web/{p}/participants/export/csv", {"query": {}}),
    ):
        measured = {}
        for project, rows in ((TENTH, samples // 10), (FULL, samples)):
            seconds, peak, lines = export_peak(server, client, method, path.format(p=project), body)
            assert lines >= rows, (label, project, lines, rows)
            measured[project] = peak
            figures.add(f"{label}, {rows:,} rows", f"{seconds:.1f} s, +{peak:.0f} MiB")
        flat = measured[FULL] <= 2 * measured[TENTH] + 16
        figures.add(
            f"{label}: peak at N / peak at N/10",
            f"{measured[FULL]:.0f}/{measured[TENTH]:.0f} MiB",
            "flat",
            flat,
        )


def upsert_chunk(api: httpx.Client, project: str, first: int) -> tuple[float, list[str]]:
    """500 new samples as ``upsert_samples`` sends them: (seconds, their sequencing groups' ids)."""
    body = json.dumps([record["sample"] for record in records(CHUNK, first=first)]).encode()
    started = time.perf_counter()
    answer = api.put(
        f"/sample/{project}/upsert-many", content=body, headers={"Content-Type": "application/json"}
    )
    seconds = time.perf_counter() - started
    ok(answer)
    return seconds, [group["id"] for sample in answer.json() for group in sample["sequencing_groups"]]


def analysis_write(api: httpx.Client, project: str, group: str) -> tuple[float, float]:
    """(seconds to create, seconds to update) one analysis of ``group``, as the published client does."""
    started = time.perf_counter()
    created = ok(
        api.put(
            f"/analysis/{project}/",
            json={
                "type": "cram",
                "status": "in-progress",
                "sequencing_group_ids": [group],
                "output": f"gs://bench/{group}.cram",
                "meta": {"size": 1},
            },
        )
    )
    middle = time.perf_counter()
    ok(api.patch(f"/analysis/{created.json()}/", json={"status": "completed", "meta": {"size": 2}}))
    return middle - started, time.perf_counter() - middle


def writes(api: httpx.Client, samples: int, chunks: int, analyses: int, figures: Figures) -> None:
    upserts: dict[str, list[float]] = {FULL: [], EMPTY: []}
    groups: dict[str, list[str]] = {FULL: [], EMPTY: []}
    first = {FULL: samples, EMPTY: 0}  # new samples' numbers, past those present
    for _ in range(chunks):
        for project in (FULL, EMPTY):
            seconds, made = upsert_chunk(api, project, first[project])
            first[project] += CHUNK
            upserts[project].append(seconds)
            groups[project] += made
    creates: dict[str, list[float]] = {FULL: [], EMPTY: []}
    updates: dict[str, list[float]] = {FULL: [], EMPTY: []}
    for i in range(analyses):
        for project in (FULL, EMPTY):
            create, update = analysis_write(api, project, groups[project][i])
            creates[project].append(create)
            updates[project].append(update)
    for what, times in (
        ("upsert of 500 samples", upserts),
        ("analysis create", creates),
        ("analysis update", updates),
    ):
        full, empty = (1000 * statistics.median(times[p]) for p in (FULL, EMPTY))
        ratio = full / empty
        figures.add(
            f"{what}: full / empty project",
            f"{full:.1f}/{empty:.1f} ms = {ratio:.2f}",
            f"<= {WRITE_TOLERANCE}",
            ratio <= WRITE_TOLERANCE,
        )


def run(url: str, options: argparse.Namespace) -> Figures:
    figures = Figures()
    samples = options.samples
    with genolog_serve(url) as server, httpx.Client(base_url=server.url, timeout=3600) as client:
        api = httpx.Client(base_url=f"{server.url}/api/v1", timeout=3600)
        for name in (FULL, TENTH, EMPTY):
            make_project(api, name)
        console.print(f"[bold]{samples:,} samples[/] on PostgreSQL ({url.rsplit('/', 1)[1]})")
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console) as progress:
            seconds = fill(server, FULL, samples, options.batch, progress)
            (first_rate, first_cpu), (last_rate, last_cpu) = batches[0], batches[-1]
            fill(server, TENTH, samples // 10, options.batch, progress)
        rate = samples / seconds
        figures.add(
            f"ingest of {samples:,} samples",
            f"{rate:,.0f} samples/s",
            f">= {INGEST_TARGET:,}/s",
            rate >= INGEST_TARGET,
        )
        figures.add("  first request: samples/s, server CPU", f"{first_rate:,.0f}/s, {first_cpu:.0f} µs")
        figures.add("  last request: samples/s, server CPU", f"{last_rate:,.0f}/s, {last_cpu:.0f} µs")
        figures.add("server peak RSS during the ingest", f"{server.peak_rss_mib():,.0f} MiB")
        pages(client, samples, options.repeat, figures)
        exports(server, client, samples, figures)
        engine = sa.create_engine(normalise_url(url))
        with engine.connect() as conn:
            size = conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one()
        engine.dispose()
        figures.add("database size", f"{size / 2**30:.2f} GiB")
        writes(api, samples, options.chunks, options.analyses, figures)
        api.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument(
        "--postgres",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL URL; a scratch database is made beside it",
    )
    parser.add_argument("--batch", type=int, default=100_000, help="records per ingest request")
    parser.add_argument("--repeat", type=int, default=5, help="times each page is read (the median is shown)")
    parser.add_argument("--chunks", type=int, default=7, help="upserts of 500 into each project")
    parser.add_argument(
        "--analyses", type=int, default=30, help="analyses created and updated in each project"
    )
    options = parser.parse_args()
    with scratch_postgres(options.postgres, "genolog_bench_scale") as url:
        figures = run(url, options)
    failed = [what for what, _, _, passed in figures.rows if passed is False]
    console.print(
        f"\n{len(failed)} of {sum(p is not None for *_, p in figures.rows)} targets missed"
        + (f": {', '.join(failed)}" if failed else "")
    )


if __name__ == "__main__":
    main()
