"""`genolog demo`: the steps, each shown as it happens.

1. start the metadata service on SQLite in the data dir (development mode, on 127.0.0.1);
2. create the ``sandbox`` project and its ``sandbox-test`` twin when missing;
3. write synthetic paired FASTQ files for 10 sequencing groups into the test upload storage;
4. ingest them with ``genolog ingest manifest`` into ``sandbox-test``, and the demo's pedigree (a trio
   and a three-generation family of the same participants) with ``genolog ingest pedigree``;
5. run the FastQE example (`examples/fastqe/`) at test access, from a git workspace in the data dir;
6. print the project's analyses (the seeds' final GraphQL query) and the URLs to open;
7. keep serving until Ctrl-C (unless ``--no-serve``).

Everything is reused on a second run: the files exist, the ingests change nothing, and the example
skips sequencing groups whose report exists.
"""

from __future__ import annotations

import getpass
import html
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from genolog.demo import analysis, fastq, pedigree
from genolog.demo.service import DemoError, RunningServer, ensure_projects, start
from genolog.demo.workspace import WorkspaceError, prepare_workspace
from genolog.metadata.settings import ServerSettings
from genolog.paths import local_storage_config

DATASET = "sandbox"
PROJECT = f"{DATASET}-test"  # test access runs on the test project
OUTPUT_DIR = "fastqe"

#: The seeds' final query (section 6), as written there.
SEEDS_ANALYSES_QUERY = """
query MyQuery {
  project(name: "sandbox-test") {
    analyses {
      active
      id
      output
      type
      meta
    }
  }
}
"""

#: The same, with what the demo's table shows besides: status and the linked sequencing groups.
ANALYSES_TABLE_QUERY = """
query ($project: String!) {
  project(name: $project) {
    analyses(type: {eq: "web"}) {
      id active output type meta status
      sequencingGroups { id sample { externalId } }
    }
  }
}
"""

SG_QUERY = """
query ($project: String!) {
  project(name: $project) { sequencingGroups { id sample { externalId } } }
}
"""


@dataclass
class DemoOptions:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8000
    serve: bool = True
    force: bool = False
    allow_dev_user_on_network: bool = False
    samples: int = 10
    user: str = field(default_factory=lambda: os.environ.get("USER") or getpass.getuser() or "dev")


@dataclass
class DemoResult:
    url: str
    analyses: list[dict[str, Any]]
    seconds: float


class Steps:
    """Numbered progress lines with the time each step took."""

    def __init__(self, console: Console, total: int) -> None:
        self.console, self.total, self.n = console, total, 0

    @contextmanager
    def step(self, title: str) -> Iterator[None]:
        self.n += 1
        self.console.print(f"[bold cyan][{self.n}/{self.total}][/] {title}")
        started = time.perf_counter()
        yield
        self.console.print(f"      [green]done[/] in {time.perf_counter() - started:.1f} s")


def run_demo(options: DemoOptions, console: Console) -> DemoResult:
    started = time.perf_counter()
    data_dir = options.data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = ServerSettings(
        data_dir=data_dir,
        host=options.host,
        port=options.port,
        dev_user=options.user,
        allow_dev_user_on_network=options.allow_dev_user_on_network,
    )
    steps = Steps(console, 6)
    with steps.step(f"Starting the metadata service on SQLite in {data_dir}"):
        server = start(settings)
        console.print(f"      {server.url}  (development mode: requests act as {options.user!r})")
    try:
        result = _steps(options, data_dir, server, steps, console)
        result.seconds = time.perf_counter() - started
        console.print(f"[bold green]The demo took {result.seconds:.1f} s.[/]")
        if options.serve:
            console.print(f"Serving on {server.url}; press [bold]Ctrl-C[/] to stop.")
            try:
                server.wait()
            except KeyboardInterrupt:
                console.print("Stopping.")
        return result
    finally:
        server.stop()


def _steps(
    options: DemoOptions, data_dir: Path, server: RunningServer, steps: Steps, console: Console
) -> DemoResult:
    env = {**os.environ, "GENOLOG_URL": server.url, "GENOLOG_DATA_DIR": str(data_dir)}
    env.pop("GENOLOG_TOKEN", None)  # development mode: no token needed, and a stale one would be refused
    os.environ.update({"GENOLOG_URL": server.url})
    os.environ.pop("GENOLOG_TOKEN", None)
    with steps.step(f"Projects {DATASET} and {PROJECT}"):
        created = ensure_projects(server.svc, DATASET, options.user)
        console.print(f"      {'created ' + ', '.join(created) if created else 'both exist'}")

    storage = local_storage_config(data_dir, [DATASET], "test", server_url=server.url)[DATASET]
    upload = Path(storage["upload"]) / "demo"
    upload.mkdir(parents=True, exist_ok=True)
    samples = fastq.demo_samples(options.samples)
    with steps.step(f"Synthetic paired FASTQ for {len(samples)} sequencing groups in {upload}"):
        for i, sample in enumerate(samples, 1):
            fastq.write_pair(sample, upload, i)
        manifest = fastq.write_manifest(samples, upload)
        kinds = ", ".join(sorted({f"{s.profile.label}" for s in samples}))
        console.print(
            f"      {len(samples) * 2} files, {fastq.READS_PER_FILE} reads of {fastq.READ_LENGTH} bp each ({kinds})"
        )

    ped = pedigree.write_pedigree(samples, upload)
    title = f"genolog ingest manifest {PROJECT} {manifest.name}"
    with steps.step(title + (f", then genolog ingest pedigree {PROJECT} {ped.name}" if ped else "")):
        for kind, path in (("manifest", manifest), ("pedigree", ped)):
            if path is None:
                continue
            code = subprocess.call(
                [sys.executable, "-m", "genolog.cli", "ingest", kind, PROJECT, str(path)], env=env
            )
            if code != 0:
                raise DemoError(f"`genolog ingest {kind}` failed (exit code {code})")

    wanted = {s.sample for s in samples}
    groups = analysis.query(SG_QUERY, {"project": PROJECT})["project"]["sequencingGroups"]
    sgids = sorted(g["id"] for g in groups if g["sample"]["externalId"] in wanted)
    with steps.step(f"The FastQE analysis on {len(sgids)} sequencing groups (test access, -o {OUTPUT_DIR})"):
        try:
            script, commit = prepare_workspace(data_dir / "demo-workspace")
        except WorkspaceError as e:
            raise DemoError(str(e)) from None
        console.print(f"      {script} at commit {commit[:10]}")
        code = analysis.run_fastqe_analysis(script, sgids=sgids, force=options.force, env=env)
        if code != 0:
            console.print(
                f"      [yellow]the analysis exited with code {code}[/] (failed QC jobs are registered as failed)"
            )

    with steps.step(f"The analyses of {PROJECT}"):
        rows = analysis.query(ANALYSES_TABLE_QUERY, {"project": PROJECT})["project"]["analyses"]
        console.print(results_table(rows, wanted), soft_wrap=False)
        index = write_index(Path(storage["web"]) / OUTPUT_DIR, rows)
        print_urls(console, server.url, rows, index)
    return DemoResult(server.url, rows, 0.0)


def results_table(rows: list[dict[str, Any]], samples: set[str]) -> Table:
    table = Table("id", "seq. group", "sample", "status", title="FastQE reports (active analyses)")
    table.add_column("display URL", overflow="fold")  # never cut: wrapped in a narrow terminal

    def sample_of(row: dict[str, Any]) -> str:
        return min((g["sample"]["externalId"] for g in row["sequencingGroups"]), default="")

    for row in sorted(rows, key=lambda r: (sample_of(r), r["id"])):
        groups = [g for g in row["sequencingGroups"] if g["sample"]["externalId"] in samples]
        if not groups or not row["active"]:
            continue
        status = row["status"].lower()
        colour = {"completed": "green", "failed": "red"}.get(status, "yellow")
        table.add_row(
            str(row["id"]),
            ", ".join(g["id"] for g in groups),
            ", ".join(g["sample"]["externalId"] for g in groups),
            f"[{colour}]{status}[/]",
            (row["meta"] or {}).get("display_url", ""),
        )
    return table


def write_index(folder: Path, rows: list[dict[str, Any]]) -> str | None:
    """An index.html beside the reports (the web storage serves it for the folder); its URL."""
    reports = sorted(
        (g["sample"]["externalId"], g["id"], r["meta"]["display_url"])
        for r in rows
        if r["active"] and (r["meta"] or {}).get("display_url") and r["status"].lower() == "completed"
        for g in r["sequencingGroups"]
    )
    if not reports or not folder.is_dir():
        return None
    items = "\n".join(
        f'<li><a href="{html.escape(url.rsplit("/", 1)[-1])}">{html.escape(sample)}</a> ({html.escape(sg)})</li>'
        for sample, sg, url in reports
    )
    (folder / "index.html").write_text(
        f'<!doctype html>\n<html><head><meta charset="utf-8"><title>FastQE reports</title></head>\n'
        f"<body><h1>FastQE reports of {PROJECT}</h1>\n<ul>\n{items}\n</ul></body></html>\n"
    )
    return reports[0][2].rsplit("/", 1)[0] + "/"


def print_urls(console: Console, url: str, rows: list[dict[str, Any]], index: str | None) -> None:
    shown = [r for r in rows if r["active"] and (r["meta"] or {}).get("display_url")]
    console.print("Open in a browser:")
    if index:
        console.print(f"  all reports  {index}")
    if shown:
        console.print(f"  a report     {shown[0]['meta']['display_url']}")
    console.print(
        f'  GraphiQL     {url}/graphql  (try the seeds\' query: project(name: "{PROJECT}") {{ analyses {{ meta }} }})'
    )
    console.print(f"  REST         {url}/api/v1/analysis/{PROJECT}/web/latest-complete")
    console.print(f"  API docs     {url}/docs")
