"""`genolog demo --no-serve` end to end, as a user runs it; then its results over HTTP from `genolog serve`."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from genolog.demo.run import SEEDS_ANALYSES_QUERY
from tests.demo.support import GENOLOG, demo_env, run_demo_headless, serve
from tests.metadata.live import free_port

pytestmark = pytest.mark.slow

SAMPLES_QUERY = """
query { project(name: "sandbox-test") {
  sequencingGroups { id sample { externalId } assays { meta }
    analyses { id status active output meta } } } }
"""


def graphql(url: str, query: str) -> dict[str, object]:
    response = httpx.post(f"{url}/graphql", json={"query": query}, timeout=30)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    data: dict[str, object] = body["data"]
    return data


RUNS_QUERY = """
query { project(name: "sandbox-test") { analysisRunner {
  arGuid commit repository script configPath accessLevel outputPath status exitCode durationSeconds
  submittingUser } } }
"""

FAMILIES_QUERY = '{ project(name: "sandbox-test") { families { externalId participants { id } } } }'


@contextmanager
def serving_demo(data: Path, port: int) -> Iterator[tuple[str, list[str], float]]:
    """`genolog demo` as the Quickstart runs it (serving at the end); yields when it says it serves,
    and stops it with Ctrl-C (SIGINT) afterwards, which must end it cleanly."""
    command = [*GENOLOG, "demo", "--data-dir", str(data), "--port", str(port)]
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, env=demo_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    lines: list[str] = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Serving on"):
                break
        else:
            pytest.fail("the demo ended before serving:\n" + "".join(lines))
        yield f"http://127.0.0.1:{port}", lines, time.perf_counter() - started
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, "".join(lines) + rest
    assert "Stopping." in rest


def test_the_demo_runs_the_tutorial_end_to_end(tmp_path: Path) -> None:
    data, port = tmp_path / "genolog data", free_port()
    with serving_demo(data, port) as (url, lines, seconds):
        output = "".join(lines)
        assert seconds < 60, f"the demo took {seconds:.1f} s to serve its results"
        for text in ("[6/6]", "FastQE reports", "all reports", f"{url}/graphql"):
            assert text in output, output

        groups = graphql(url, SAMPLES_QUERY)["project"]["sequencingGroups"]  # type: ignore[index]
        demo_groups = {g["id"]: g for g in groups if g["sample"]["externalId"].startswith("DEMO")}
        assert sorted(g["sample"]["externalId"] for g in demo_groups.values()) == [
            f"DEMO{i:02d}-DNA" for i in range(1, 11)
        ]
        seeds = graphql(url, SEEDS_ANALYSES_QUERY)["project"]["analyses"]  # type: ignore[index]
        assert len(seeds) == 10 and all(a["type"] == "web" and a["active"] for a in seeds)
        by_id = {a["id"]: a for a in seeds}
        for sgid, group in demo_groups.items():
            [analysis] = group["analyses"]
            assert analysis["status"] == "COMPLETED" and analysis["active"]
            assert by_id[analysis["id"]]["output"] == analysis["output"]
            assert analysis["output"] == str(data / "sandbox-test-web" / "fastqe" / f"{sgid}.html")
            display_url = analysis["meta"]["display_url"]
            assert display_url == f"{url}/web/sandbox-test/fastqe/{sgid}.html"
            assert display_url in output  # printed in the table
            qc = analysis["meta"]["qc"]  # the QC summary for the Cohort QC page: 150 positions per read
            assert {read: len(v) for read, v in qc["mean_quality_by_position"].items()} == {
                "R1": 150,
                "R2": 150,
            }
            assert qc["reads"] == 8000 and 0 < qc["mean_quality"] < 41
            report = httpx.get(display_url, timeout=30)
            assert report.status_code == 200
            assert report.headers["content-type"] == "text/html; charset=utf-8"
            reads = [f["basename"] for pair in group["assays"][0]["meta"]["reads"] for f in pair]
            assert all(name in report.text for name in reads), (sgid, reads)
        # the demo's pedigree: a trio and a three-generation family of the same participants
        assert "10 pedigree rows imported into sandbox-test; 2 families and 0 participants created" in output
        families = graphql(url, FAMILIES_QUERY)["project"]["families"]  # type: ignore[index]
        sizes = {f["externalId"]: len(f["participants"]) for f in families}
        assert sizes == {"DEMO-TRIO": 3, "DEMO-KINDRED": 7}
        index = httpx.get(f"{url}/web/sandbox-test/fastqe/", timeout=30)
        assert index.status_code == 200 and index.text.count("<li>") == 10

        # the run went through the analysis runner, recorded with its commit and config
        [run] = graphql(url, RUNS_QUERY)["project"]["analysisRunner"]  # type: ignore[index]
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=data / "demo-workspace", capture_output=True, text=True
        )
        assert run["commit"] == head.stdout.strip() and len(run["commit"]) == 40
        assert run["status"] == "succeeded" and run["exitCode"] == 0 and run["durationSeconds"] > 0
        assert (run["accessLevel"], run["outputPath"]) == ("test", str(data / "sandbox-test" / "fastqe"))
        assert "fastqe_analysis.py" in run["script"] and run["submittingUser"] == "demo-tester"
        assert run["configPath"] and Path(run["configPath"]).is_file()
        assert run["repository"] and run["arGuid"] in output

    # a second run reuses everything: no new samples, no new analyses, no QC job
    second = run_demo_headless(data, port)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "10 already reported (skipped), 0 to register, 0 to run" in second.stdout
    assert "analysis-runner: succeeded" in second.stderr
    assert "both exist" in second.stdout and "Serving on" not in second.stdout
    assert "2 families" not in second.stdout and "0 families and 0 participants created" in second.stdout
    with serve(data, port, dev_user="demo-tester") as url:
        assert len(graphql(url, SEEDS_ANALYSES_QUERY)["project"]["analyses"]) == 10  # type: ignore[index]
        samples = graphql(url, '{ project(name: "sandbox-test") { samples { id } } }')
        assert len(samples["project"]["samples"]) == 10  # type: ignore[index]
        assert len(graphql(url, FAMILIES_QUERY)["project"]["families"]) == 2  # type: ignore[index]
