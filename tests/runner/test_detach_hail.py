"""``--detach`` to the Hail Batch service: what the service would be sent (a dry run in a venv with
genolog[hail], no network), the job's script run here against a repository, and the refusals, which
come before anything is recorded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from genolog.runner import detach_hail
from genolog.runner.checkout import SCRATCH_FOLDER
from genolog.runner.gitinfo import Checkout
from tests.published import hail_env
from tests.runner.conftest import DATASET, Server, cli, git, run_args

SCENARIO = Path(__file__).with_name("hail_detach_scenario.py")
RUN = Path(__file__).with_name("hail_detach_run.py")


def test_the_service_is_sent_one_driver_job_that_clones_the_commit(hail_venv: Path, tmp_path: Path) -> None:
    env = hail_env()
    done = subprocess.run(
        [str(hail_venv / "bin" / "python"), str(SCENARIO), str(tmp_path)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["service"] == {
        "billing_project": "cohort-billing",
        "remote_tmpdir": "gs://cohort-tmp/batch-tmp",  # the dataset's tmp storage
        "regions": ["europe-west2"],
    }
    guid = "a1b2c3d4-0000-4000-8000-000000000001"
    assert result["batch"]["attributes"] == {"ar-guid": guid}
    job = result["job"]
    assert {k: job[k] for k in ("image", "cpu", "memory", "storage", "spot")} == {
        "image": "europe-docker.pkg.dev/cohort/images/driver:3",
        "cpu": "2",
        "memory": "8Gi",
        "storage": "20Gi",
        "spot": False,  # --no-preemptible
    }
    config_url = f"gs://cohort-tmp/analysis-runner/{guid}.toml"
    # the runner's variables and the user's -e ones, nothing else of the submitting machine's
    assert job["env"] == {
        "GENOLOG_CONFIG_PATH": config_url,
        "CPG_CONFIG_PATH": config_url,
        "GENOLOG_URL": "https://genolog.example.org",
        "GENOLOG_TOKEN": "secret-genolog-token-7f3a",
        "GENOLOG_AR_GUID": guid,
        "PYTHONUNBUFFERED": "1",
        "EXTRA": "yes",
    }
    assert result["job_env_on_submit"] == {}  # the submitting process's config does not replace the run's
    [script] = job["command"]
    lines = script.splitlines()
    sha = "0123456789abcdef0123456789abcdef01234567"
    assert lines[2] == 'git clone --quiet -- https://github.com/example/analysis.git "$scratch/code"'
    assert lines[3].endswith(f"checkout --quiet {sha}")
    assert lines[4] == "cd \"$scratch/code\"/'pipelines/qc dir'"
    assert lines[5].startswith(f"exec python3 -m genolog.runner._detached --ar-guid {guid} --log gs://")
    assert lines[5].endswith("-- ./scripts/qc.py --samples 'a b'")
    assert "secret-genolog-token-7f3a" not in script and "secret-genolog-token-7f3a" not in result["printed"]
    assert "cannot reach to record the run's outcome" in result["refusals"]["local_server"]


def test_a_submission_the_service_refuses_leaves_a_failed_hail_record(
    hail_venv: Path,
    server: Server,
    repo: Path,
    tmp_path: Path,
) -> None:
    """The whole --detach path to the service, up to hailtop's submission, which fails here (no Hail
    login): the record says where it was going and that it failed; the run's config is in the bucket."""
    git(repo, "remote", "add", "origin", "https://git.example.org/analysis.git")
    config = tmp_path / "batch.toml"
    config.write_text(
        '[hail]\nbackend = "batch"\n[storage.sandbox]\ndefault = "gs://sandbox-main"\ntmp = "gs://sandbox-tmp"\n'
    )
    args = run_args("python3", "scripts/hello.py", config=str(config), image="driver:9", no_preemptible=True)
    env = {**hail_env(), "HOME": str(tmp_path / "home")}  # no Hail login
    done = subprocess.run(
        [str(hail_venv / "bin" / "python"), str(RUN), "analysis-runner", "--detach", *args[1:]],
        env=env,
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr[-3000:]
    assert "error: The run " in done.stderr
    assert "was not submitted: The Hail Batch service did not take the driver: You are not authenticated" in (
        done.stderr
    )
    [run] = server.runs(f"{DATASET}-test")
    assert run["status"] == "failed" and run["environment"] == "hail"
    assert run["repository"] == "https://git.example.org/analysis.git" and run["cwd"] == "."
    assert run["config_path"].startswith("gs://sandbox-tmp/") and run["config_path"].endswith(".toml")
    meta = run["meta"]
    assert meta["backend"] == "hail" and meta["detached"] is True and meta["in_container"] is True
    assert meta["preemptible"] is False and "batch_id" not in meta
    data = Path(os.environ["GENOLOG_DATA_DIR"])
    assert not any((data / SCRATCH_FOLDER).glob("*"))


def test_the_jobs_script_runs_the_recorded_commit_in_the_recorded_folder(repo: Path, tmp_path: Path) -> None:
    """The service job's script, run here: the clone is checked out at the older commit, the driver runs
    in its folder, its output goes to the log, and the clone is removed."""
    (repo / "scripts" / "version.py").write_text(
        "import os\nprint('version 1 in', os.path.basename(os.getcwd()))\n"
    )
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "v1")
    first = git(repo, "rev-parse", "HEAD")
    (repo / "scripts" / "version.py").write_text("print('version 2')\n")
    git(repo, "commit", "-qam", "v2")
    code = Checkout(tmp_path / "unused", f"file://{repo}", first, "main", "version.py", "scripts", False)
    log = tmp_path / "run.log"
    script = detach_hail.job_script("guid-1", str(log), code, ["python3", "version.py"])
    scratch_root = tmp_path / "tmp"
    scratch_root.mkdir()
    env = {
        **os.environ,
        "TMPDIR": str(scratch_root),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    env["GENOLOG_URL"] = "http://127.0.0.1:9"  # nowhere: the outcome cannot be recorded here
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert log.read_text() == "version 1 in scripts\n"
    assert (
        done.returncode == 1 and "the run ended (succeeded) but its outcome was not recorded" in done.stdout
    )
    assert list(scratch_root.iterdir()) == []


@pytest.mark.parametrize(
    ("case", "problem"),
    [
        ("local repository", "cannot clone {repo}: it is a folder on this machine"),
        ("local storage", "The run's config would be at {data}"),
        ("uncommitted", "cannot use --allow-uncommitted: its workers clone the repository"),
    ],
)
def test_what_the_service_cannot_run_is_refused_before_anything_is_recorded(
    server: Server, repo: Path, tmp_path: Path, case: str, problem: str
) -> None:
    config = tmp_path / "batch.toml"
    config.write_text('[hail]\nbackend = "batch"\n')
    if case != "local repository":
        git(repo, "remote", "add", "origin", "https://git.example.org/analysis.git")
    if case == "uncommitted":
        (repo / "scripts" / "hello.py").write_text("print('changed')\n")
        args = run_args("python3", "scripts/hello.py", config=str(config), allow_uncommitted=True)
    else:
        args = run_args("python3", "scripts/hello.py", config=str(config))
    result = cli("analysis-runner", "--detach", *args[1:])
    data = Path(os.environ["GENOLOG_DATA_DIR"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and problem.format(repo=repo, data=data) in result.stderr
    assert server.runs(f"{DATASET}-test") == []
    assert not any((data / SCRATCH_FOLDER).glob("*"))  # the run's checkout is gone too
