"""The Hail Batch backends: genolog batches replayed as hailtop.batch batches.

hail pins rich<13 and the dev tools here need a newer rich, so these tests run their batches in a venv
of their own with ``genolog[hail]`` (built once under .cache/, about 2 minutes), through
``hailtop_scenarios.py``. Each scenario runs on genolog's LocalBackend and, replayed, on hailtop's
own LocalBackend (jobs without images); both must write the same files. The service scenario checks
what the Hail Batch service would be sent, with a dry run and no network.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.published import hail_env

SCENARIOS = Path(__file__).with_name("hailtop_scenarios.py")


def run_scenario(venv: Path, scenario: str, workdir: Path) -> dict[str, Any]:
    env = hail_env()
    # hailtop's local Python jobs run the `python3` on PATH, which must have dill: the venv's
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["GENOLOG_DATA_DIR"] = str(workdir / "data")
    workdir.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [str(venv / "bin" / "python"), str(SCENARIOS), scenario, str(workdir)],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"{scenario} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    result: dict[str, Any] = json.loads((workdir / "result.json").read_text())
    return result


EXPECTED: dict[str, dict[str, Any]] = {
    "chain": {"files": {"chain.txt": "0\n1\n2\n"}, "error": None},
    "scatter_gather": {
        "files": {"gathered.txt": "part-0\npart-1\npart-2\npart-3\npart-4\n", "selected.txt": "part-3\n"},
        "error": None,
    },
    "resource_groups": {
        "files": {"copy.bed": "bed data\n", "copy.bim": "BIM DATA\n", "bim-size.txt": "9\n"},
        "error": None,
    },
    "failures": {
        # the failed job's child and grandchild never run; always_run and unrelated jobs do
        "files": {"cleanup.txt": "partial\n", "unrelated.txt": "fine\n"},
        "error": {"is_called_process_error": True},
    },
    "paths_and_shells": {
        "files": {
            "with spaces (and parentheses).txt": "from outside\nhello\n",
            "ext.vcf": "vcf\n",
            "input-copied.txt": "from outside\n",
        },
        "error": None,
    },
    "second_run": {
        # the second run() runs only the job added since the first
        "files": {"one.txt": "one\n", "two.txt": "two\n", "first-runs.txt": "ran\n"},
        "error": None,
    },
}


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_replayed_batch_writes_what_genolog_writes(hail_venv: Path, tmp_path: Path, scenario: str) -> None:
    result = run_scenario(hail_venv, scenario, tmp_path)
    assert result["genolog"] == EXPECTED[scenario]
    assert result["hailtop"] == EXPECTED[scenario]


def test_python_jobs_pass_values_and_files_on_both(hail_venv: Path, tmp_path: Path) -> None:
    """bash -> python -> python -> bash: a file read by a Python job, results passed on by value,
    and as_str/as_json/as_repr files read by a bash job and written out."""
    result = run_scenario(hail_venv, "python_pipeline", tmp_path)
    assert result["genolog"] == result["hailtop"]
    files = result["hailtop"]["files"]
    assert files["pipeline.txt"].split() == ["3", "5", "30", '{"x":', "3,", '"y":', "5}"]
    assert files["thirty-repr.txt"].strip() == "30"


def test_service_submission_carries_every_job_option(hail_venv: Path, tmp_path: Path) -> None:
    result = run_scenario(hail_venv, "service", tmp_path)
    assert result["backend"] == "ServiceBackend"
    # from [hail]: billing project and regions; the tmpdir defaults to the dataset's tmp storage
    assert result["service"] == {
        "billing_project": "cohort-billing",
        "remote_tmpdir": "gs://cohort-tmp/batch-tmp",
        "regions": ["europe-west2", "europe-west1"],
    }
    assert result["batch"] == {"name": "cohort-qc", "attributes": {"ar-guid": "guid-123"}}
    align, summarise, report = result["jobs"]
    assert align["name"] == "CPGAAA: align"  # named like cpg_utils' Batch
    assert align["attributes"] == {"sequencing_group": "CPGAAA", "tool": "bwa", "ar-guid": "guid-123"}
    assert {k: align[k] for k in ("image", "cpu", "memory", "storage", "timeout", "regions", "spot")} == {
        "image": "localhost/genolog/fastqe:0.5.2",
        "cpu": "4",
        "memory": "8Gi",
        "storage": "50Gi",
        "timeout": 3600.0,
        "regions": ["europe-west2"],
        "spot": False,
    }
    assert align["n_max_attempts"] == 3
    assert align["outputs"] == ["gs://cohort-main/aligned.txt"]
    assert summarise["image"] == "localhost/genolog/driver:1"
    assert summarise["parents"] == ["CPGAAA: align"]
    assert report["always_run"] is True and report["parents"] == ["summarise"]
    assert report["outputs"] == ["gs://cohort-main/report.txt"]
    # a dry run prints the jobs' scripts, submits nothing and leaves the jobs to a later run
    printed = result["dry_run"]["printed"]
    assert result["dry_run"]["returned"] == "None"
    assert "echo aligned > ${BATCH_TMPDIR}/CPGAAA__align-" in printed
    assert "def add_two(path: str) -> int:" in printed
    assert result["unsubmitted_after_dry_run"] == 3
    # a real run points the jobs at the merged config, uploaded beside the batch's scratch
    url = result["job_env"]["GENOLOG_CONFIG_PATH"]
    assert url.startswith("gs://cohort-tmp/batch-tmp/config/") and url.endswith(".toml")
    assert result["job_env"]["CPG_CONFIG_PATH"] == url
    # set at the run, so the jobs a dry run replayed with this machine's config path get the upload
    assert all(job["env"]["GENOLOG_CONFIG_PATH"] == url for job in result["jobs"])
    assert 'billing_project = "cohort-billing"' in result["uploaded_config"]
    assert 'ar-guid = "guid-123"' in result["uploaded_config"]


def test_service_refusals_are_clear(hail_venv: Path, tmp_path: Path) -> None:
    refusals = run_scenario(hail_venv, "service", tmp_path)["refusals"]
    assert "workers cannot write to this machine's folders" in refusals["local_output"]
    assert str(tmp_path / "local.txt") in refusals["local_output"]
    assert refusals["no_billing_project"].startswith("cannot use the Hail Batch service: the billing_project")
    assert "[hail] billing_project" in refusals["no_billing_project"]


def test_batch_pool_executor_runs_on_hailtops_local_backend(hail_venv: Path, tmp_path: Path) -> None:
    """BatchPoolExecutor through HailtopBackend: hailtop runs the jobs (dill), the futures are the same."""
    result = run_scenario(hail_venv, "pool", tmp_path)
    expected = {
        "tripled": [0, 3, 6, 9],
        "joined": "polyethylene",
        "error": ["KeyError", ["S1"]],
        "cleaned": True,
    }
    assert result == {"genolog": expected, "hailtop": expected}
