"""Runs end to end: what the driver sees, what is recorded when it starts and when it ends, logs and list."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx
import pytest

from tests.runner.conftest import DATASET, Server, cli, git, run_args

# What a driver sees: its config path variables, the config's output_path(), the server, its arguments.
PROBE = """\
import json, os, sys
from genolog.config import get_config
from genolog.paths import output_path
from genolog.client import query

print(json.dumps({
    "GENOLOG_CONFIG_PATH": os.environ.get("GENOLOG_CONFIG_PATH"),
    "CPG_CONFIG_PATH": os.environ.get("CPG_CONFIG_PATH"),
    "GENOLOG_URL": os.environ.get("GENOLOG_URL"),
    "EXTRA": os.environ.get("EXTRA"),
    "cwd": os.getcwd(),
    "argv": sys.argv[1:],
    "ar_guid": get_config()["workflow"]["ar-guid"],
    "output_path": output_path("result.txt"),
    "web_path": output_path("report.html", "web"),
    "viewer": query("{ viewer { username } }")["viewer"]["username"],
    "python": sys.executable,
}))
"""


def commit_probe(repo: Path, name: str = "probe.py", text: str = PROBE) -> None:
    (repo / "scripts" / name).write_text(text)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", f"add {name}")


def seen(stdout: str) -> dict:  # type: ignore[type-arg]
    line = next(line for line in stdout.splitlines() if line.startswith("{"))
    return dict(json.loads(line))


def test_a_successful_run_records_everything_and_the_driver_sees_its_config(
    server: Server, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # a wide terminal for the list's table
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # a shell without genolog's venv: python3 is still genolog's
    commit_probe(repo)
    command = ("python3", "scripts/probe.py", "--project", "x", "--sgids", "A", "B")
    result = cli(*run_args(*command, out="fastqe/v1/", env="EXTRA=yes"))
    assert result.exit_code == 0, result.stderr
    driver = seen(result.stdout)

    [run] = server.runs(f"{DATASET}-test")
    config_path = run["config_path"]
    assert driver["GENOLOG_CONFIG_PATH"] == driver["CPG_CONFIG_PATH"] == config_path
    assert driver["argv"] == ["--project", "x", "--sgids", "A", "B"]
    assert driver["EXTRA"] == "yes" and driver["GENOLOG_URL"] == server.url
    assert driver["viewer"] == "contrib"  # the driver reaches the same server as the caller
    # the driver ran in a clean checkout in the run's scratch folder, removed when it ended
    scratch = tmp_path / "data" / "analysis-runner-scratch"
    assert (
        Path(driver["cwd"]).parent == scratch / driver["ar_guid"] and Path(driver["cwd"]).name == "checkout"
    )
    assert not Path(driver["cwd"]).exists() and list(scratch.iterdir()) == []
    assert Path(driver["python"]).parent == Path(sys.executable).parent
    data = tmp_path / "data"
    assert driver["output_path"] == str(data / f"{DATASET}-test" / "fastqe" / "v1" / "result.txt")
    assert driver["web_path"] == str(data / f"{DATASET}-test-web" / "fastqe" / "v1" / "report.html")

    # the record: complete at the start, the outcome when the driver ended
    assert run["ar_guid"] == driver["ar_guid"] and run["ar_guid"][0].isalpha()
    assert run["commit"] == git(repo, "rev-parse", "HEAD")
    assert run["repository"] == str(repo) and run["cwd"] == "."
    assert run["script"] == " ".join(command)
    assert run["description"] == "a test run" and run["access_level"] == "test"
    assert run["submitting_user"] == "contrib" and run["environment"] == "local"
    assert run["driver_image"] and run["output_path"] == str(data / f"{DATASET}-test" / "fastqe" / "v1")
    assert run["status"] == "succeeded" and run["exit_code"] == 0
    assert run["duration_seconds"] > 0 and run["finished_at"] >= run["timestamp"]
    assert config_path == str(data / f"{DATASET}-test-tmp" / "analysis-runner" / f"{run['ar_guid']}.toml")
    config = tomllib.loads(Path(config_path).read_text())
    assert config["workflow"]["output_prefix"] == "fastqe/v1"
    assert config["workflow"]["ar-guid"] == run["ar_guid"]
    assert config["metadata"] == {"url": server.url}  # the token stays in the environment, out of files
    assert run["meta"]["branch"] == "main" and run["meta"]["dirty"] is False
    assert "diff_sha256" not in run["meta"]
    assert run["meta"]["env"] == {"EXTRA": "yes"}
    assert Path(run["meta"]["log_path"]).read_text().startswith("{")

    # GraphQL shows the outcome too
    body = server.api.ok(
        "POST",
        "/graphql",
        base="",
        json={
            "query": '{ project(name: "sandbox-test") { analysisRunner { arGuid status exitCode '
            "durationSeconds finishedAt configPath } } }"
        },
    )
    [node] = body["data"]["project"]["analysisRunner"]
    assert node["status"] == "succeeded" and node["exitCode"] == 0 and node["durationSeconds"] > 0
    assert node["configPath"] == config_path

    # logs and list
    logs = cli("analysis-runner", "logs", run["ar_guid"])
    assert logs.exit_code == 0, logs.stderr
    assert (
        "succeeded" in logs.stdout and run["commit"] in logs.stdout and '"viewer": "contrib"' in logs.stdout
    )
    listed = cli("analysis-runner", "list", "--dataset", DATASET, "--json")
    assert [r["ar_guid"] for r in json.loads(listed.stdout)] == [run["ar_guid"]]
    table = cli("analysis-runner", "list", "--dataset", DATASET)
    assert table.exit_code == 0 and run["ar_guid"] in table.stdout and "succeeded" in table.stdout


def test_a_failing_script_records_its_failure_and_exit_code(server: Server, repo: Path) -> None:
    commit_probe(repo, "fail.py", "import sys\nprint('about to fail')\nsys.exit(3)\n")
    result = cli(*run_args("--", "python3", "scripts/fail.py"))  # `--` before the script is fine too
    assert result.exit_code == 3
    assert "about to fail" in result.stdout and "failed (exit code 3)" in result.stderr
    [run] = server.runs(f"{DATASET}-test")
    assert (run["status"], run["exit_code"]) == ("failed", 3) and run["script"] == "python3 scripts/fail.py"
    assert run["duration_seconds"] is not None and run["finished_at"]


def test_standard_access_records_on_the_main_project_with_main_storage(
    server: Server, repo: Path, tmp_path: Path
) -> None:
    server.act_as("writer")
    commit_probe(repo)
    (repo / "scripts" / "untracked-notes.txt").write_text("untracked files do not block a run\n")
    result = cli(*run_args("python3", "scripts/probe.py", level="standard"))
    assert result.exit_code == 0, result.stderr
    driver = seen(result.stdout)
    assert driver["output_path"] == str(tmp_path / "data" / f"{DATASET}-main" / "out" / "v1" / "result.txt")
    [run] = server.runs(DATASET)
    assert run["access_level"] == "standard" and run["status"] == "succeeded"
    assert server.runs(f"{DATASET}-test") == []


def test_the_driver_runs_in_the_callers_folder_inside_the_repository(
    server: Server, repo: Path, monkeypatch: object
) -> None:
    commit_probe(repo)
    os.chdir(repo / "scripts")
    result = cli(*run_args("python3", "probe.py"))
    assert result.exit_code == 0, result.stderr
    ran_in = Path(seen(result.stdout)["cwd"])  # the same folder of the run's checkout
    assert ran_in.name == "scripts" and ran_in.parent.name == "checkout"
    [run] = server.runs(f"{DATASET}-test")
    assert run["cwd"] == "scripts"


def test_ctrl_c_cancels_the_driver_and_records_it(server: Server, repo: Path) -> None:
    commit_probe(repo, "slow.py", "import time\nprint('started', flush=True)\ntime.sleep(60)\n")
    args = run_args("python3", "scripts/slow.py")
    process = subprocess.Popen(
        [sys.executable, "-m", "genolog.cli", *args],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "started"
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    [run] = server.runs(f"{DATASET}-test")
    assert run["status"] == "cancelled" and run["duration_seconds"] < 30


def test_the_outcome_route_refuses_a_status_that_is_not_final(server: Server) -> None:
    response = httpx.patch(
        f"{server.url}/api/v1/analysis-runner/nosuch/outcome",
        json={"status": "succeeded"},
        headers={"Authorization": f"Bearer {server.token('contrib')}"},
    )
    assert response.status_code == 404


def test_logs_of_an_unknown_run_is_one_sentence(server: Server) -> None:
    result = cli("analysis-runner", "logs", "nosuch-guid")
    assert result.exit_code == 1
    assert (
        result.stderr.strip() == "error: There is no analysis-runner record 'nosuch-guid' that you can read."
    )


def test_list_of_an_unknown_dataset_is_one_sentence(server: Server) -> None:
    result = cli("analysis-runner", "list", "--dataset", "nosuch")
    assert result.exit_code == 1 and result.stderr.startswith("error: ") and "nosuch" in result.stderr
