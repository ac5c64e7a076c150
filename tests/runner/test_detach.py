"""``--detach``: the driver as a background process or a Slurm job, followed with ``logs --follow`` to its
end, its record completed by the job itself; refusals before anything is recorded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from genolog.runner import follow
from tests.runner.conftest import DATASET, Server, cli, git, run_args

STEPS = """\
import os, sys, time
for i in range(3):
    print(f"step {i}", flush=True)
    time.sleep(0.5)
print("slurm job", os.environ.get("SLURM_JOB_ID"), "memory", os.environ.get("SLURM_MEM_PER_NODE"))
print("token given", bool(os.environ.get("GENOLOG_TOKEN")))
sys.exit(int(sys.argv[1]))
"""


def commit(repo: Path, name: str, text: str) -> None:
    (repo / "scripts" / name).write_text(text)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", f"add {name}")


def backend_config(tmp_path: Path, backend: str) -> Path:
    path = tmp_path / f"{backend}.toml"
    path.write_text(f'[hail]\nbackend = "{backend}"\n')
    return path


def submit(*command: str, **options: str) -> str:
    """Run with --detach; returns the ar-guid it printed, after checking it returned at once."""
    started = time.monotonic()
    result = cli("analysis-runner", "--detach", *run_args(*command, **options)[1:])
    assert result.exit_code == 0, result.stderr
    assert time.monotonic() - started < 10  # it did not wait for the driver (1.5 s and more)
    ar_guid = result.stdout.strip()
    assert f"genolog analysis-runner logs {ar_guid} --follow" in result.stderr
    return ar_guid


def test_a_detached_local_run_is_followed_to_its_end(server: Server, repo: Path, tmp_path: Path) -> None:
    commit(repo, "steps.py", STEPS)
    ar_guid = submit("python3", "scripts/steps.py", "0")
    [run] = server.runs(f"{DATASET}-test")
    assert run["ar_guid"] == ar_guid and run["status"] == "running"  # the command returned before the end
    assert run["environment"] == "local" and run["meta"]["backend"] == "local"
    assert run["meta"]["detached"] is True and int(run["meta"]["pid"]) > 0

    followed = cli("analysis-runner", "logs", ar_guid, "--follow")
    assert followed.exit_code == 0, followed.stderr
    assert followed.stdout.splitlines() == [
        "step 0",
        "step 1",
        "step 2",
        "slurm job None memory None",
        "token given True",
    ]
    assert f"run {ar_guid} is running (local process {run['meta']['pid']})" in followed.stderr
    assert "succeeded (exit code 0)" in followed.stderr
    [run] = server.runs(f"{DATASET}-test")
    assert run["status"] == "succeeded" and run["exit_code"] == 0 and run["duration_seconds"] >= 1.5
    assert run["finished_at"] >= run["timestamp"]
    # following a finished run shows its whole log and its status at once
    again = cli("analysis-runner", "logs", ar_guid, "-f")
    assert again.exit_code == 0 and again.stdout == followed.stdout


def test_a_detached_failure_is_recorded_by_the_job_and_sets_follows_exit_code(
    server: Server, repo: Path
) -> None:
    commit(repo, "steps.py", STEPS)
    ar_guid = submit("python3", "scripts/steps.py", "4")
    followed = cli("analysis-runner", "logs", ar_guid, "--follow")
    assert followed.exit_code == 4 and "step 2" in followed.stdout
    assert "failed (exit code 4)" in followed.stderr
    [run] = server.runs(f"{DATASET}-test")
    assert (run["status"], run["exit_code"]) == ("failed", 4)


def test_a_detached_run_stopped_with_sigterm_is_recorded_cancelled(server: Server, repo: Path) -> None:
    commit(repo, "slow.py", "import time\nprint('started', flush=True)\ntime.sleep(60)\n")
    ar_guid = submit("python3", "scripts/slow.py")
    [run] = server.runs(f"{DATASET}-test")
    log = Path(run["meta"]["log_path"])
    deadline = time.monotonic() + 20
    while "started" not in (log.read_text() if log.exists() else "") and time.monotonic() < deadline:
        time.sleep(0.1)
    os.kill(int(run["meta"]["pid"]), signal.SIGTERM)  # what `kill PID` does
    followed = cli("analysis-runner", "logs", ar_guid, "--follow")
    assert followed.exit_code == 130, followed.stderr
    [run] = server.runs(f"{DATASET}-test")
    assert run["status"] == "cancelled" and run["duration_seconds"] < 30


def test_follow_notices_a_job_that_died_without_an_outcome(
    server: Server, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(follow, "ENDED_GRACE_S", 0.5)
    commit(repo, "slow.py", "import time\nprint('started', flush=True)\ntime.sleep(60)\n")
    ar_guid = submit("python3", "scripts/slow.py")
    [run] = server.runs(f"{DATASET}-test")
    time.sleep(1)
    os.killpg(int(run["meta"]["pid"]), signal.SIGKILL)  # the job and its driver, with no chance to record
    followed = cli("analysis-runner", "logs", ar_guid, "--follow")
    assert followed.exit_code == 1
    assert "the process running the driver has ended without recording an outcome" in followed.stderr
    assert server.runs(f"{DATASET}-test")[0]["status"] == "running"


@pytest.mark.slow
def test_a_detached_run_on_slurm_is_followed_to_its_end(
    server: Server, repo: Path, tmp_path: Path, slurm: Path
) -> None:
    commit(repo, "steps.py", STEPS)
    config = backend_config(tmp_path, "slurm")
    ar_guid = submit("python3", "scripts/steps.py", "0", config=str(config), memory="200Mi", cpu="1")
    [run] = server.runs(f"{DATASET}-test")
    assert run["environment"] == "slurm" and run["meta"]["backend"] == "slurm"
    job_id = run["meta"]["job_id"]
    assert job_id.isdigit()

    followed = cli("analysis-runner", "logs", ar_guid, "--follow")
    assert followed.exit_code == 0, followed.stdout + followed.stderr
    assert followed.stdout.splitlines() == [
        "step 0",
        "step 1",
        "step 2",
        f"slurm job {job_id} memory 200",  # the driver ran in that job, with --memory as its request
        "token given True",
    ]
    assert f"(slurm job {job_id})" in followed.stderr
    [run] = server.runs(f"{DATASET}-test")
    assert run["status"] == "succeeded" and run["exit_code"] == 0 and run["duration_seconds"] >= 1.5


@pytest.mark.slow
def test_a_detached_failure_on_slurm_is_recorded(
    server: Server, repo: Path, tmp_path: Path, slurm: Path
) -> None:
    commit(repo, "steps.py", STEPS)
    config = backend_config(tmp_path, "slurm")
    ar_guid = submit("python3", "scripts/steps.py", "3", config=str(config))
    followed = cli("analysis-runner", "logs", ar_guid, "--follow")
    assert followed.exit_code == 3 and "failed (exit code 3)" in followed.stderr
    [run] = server.runs(f"{DATASET}-test")
    assert (run["status"], run["exit_code"]) == ("failed", 3) and run["duration_seconds"] >= 1.5


def test_a_backend_that_cannot_take_the_run_is_refused_before_anything_is_recorded(
    server: Server, repo: Path, tmp_path: Path
) -> None:
    config = backend_config(tmp_path, "cloud")
    problem = "error: [hail] backend is 'cloud'; a detached run goes to 'local', 'slurm' or 'batch'"
    result = cli(
        "analysis-runner", "--detach", *run_args("python3", "scripts/hello.py", config=str(config))[1:]
    )
    assert result.exit_code == 1 and result.stderr.startswith(problem)
    assert server.runs(f"{DATASET}-test") == []


def test_follow_of_a_foreground_run_shows_its_log_and_exit_status(server: Server, repo: Path) -> None:
    commit(repo, "fail.py", "import sys\nprint('about to fail')\nsys.exit(5)\n")
    assert cli(*run_args("python3", "scripts/fail.py")).exit_code == 5
    [run] = server.runs(f"{DATASET}-test")
    followed = cli("analysis-runner", "logs", run["ar_guid"], "--follow")
    assert followed.exit_code == 5 and followed.stdout == "about to fail\n"
    assert cli("analysis-runner", "logs", run["ar_guid"], "--follow", "--json").exit_code == 1


def test_follow_notices_a_foreground_runner_that_was_killed(
    server: Server, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(follow, "ENDED_GRACE_S", 0.5)
    commit(repo, "slow.py", "import time\nprint('started', flush=True)\ntime.sleep(60)\n")
    runner = subprocess.Popen(
        [sys.executable, "-m", "genolog.cli", *run_args("python3", "scripts/slow.py")],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    assert runner.stdout is not None and runner.stdout.readline().strip() == b"started"
    [run] = server.runs(f"{DATASET}-test")
    assert run["meta"]["pid"] == str(runner.pid) and run["meta"]["detached"] is False
    os.killpg(runner.pid, signal.SIGKILL)  # the runner and its driver, with no chance to record
    runner.wait()
    runner.stdout.close()
    followed = cli("analysis-runner", "logs", run["ar_guid"], "--follow")
    assert followed.exit_code == 1 and followed.stdout == "started\n"
    assert "the process running the driver has ended without recording an outcome" in followed.stderr
