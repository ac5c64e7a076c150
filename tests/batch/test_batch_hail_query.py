"""Hail Query through `init_batch()` on the local backend: Spark local mode, in the venv with genolog[hail]
(``hail_venv``, the session fixture of tests/batch/conftest.py), running ``hail_query_scenario.py``.

Each figure Hail computes is checked against the same figure computed in Python over the collected
values. About a minute: Spark starts in 10-20 s, and Hail compiles each query once.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.published import hail_env, unavailable

SCENARIO = Path(__file__).with_name("hail_query_scenario.py")


@pytest.fixture(scope="module")
def hail_query_run(hail_venv: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if shutil.which("java") is None:
        unavailable("Hail Query needs a JVM (Java 11 or 17): .ci/run installs openjdk-17-jre-headless")
    workdir = tmp_path_factory.mktemp("hail-query")
    # no config file: genolog's default, the local backend and the sandbox dataset in local folders
    env = hail_env("SPARK_", "PYSPARK_")
    env["GENOLOG_DATA_DIR"] = str(workdir / "data")
    done = subprocess.run(
        [str(hail_venv / "bin" / "python"), str(SCENARIO), str(workdir)],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, (
        f"the Hail Query script failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    result: dict[str, Any] = json.loads((workdir / "result.json").read_text())
    result["stderr"] = done.stderr
    result["data_dir"] = str(workdir / "data")
    return result


def test_init_batch_starts_spark_locally_with_the_configured_reference(
    hail_query_run: dict[str, Any],
) -> None:
    run = hail_query_run
    cores = len(os.sched_getaffinity(0))
    # local[<cores>] (hail 0.2.133's SparkContext names its master local[*] whatever it was given)
    assert run["backend"] == "SparkBackend" and run["parallelism"] == cores
    # half the machine's memory for Spark's JVM, not Spark's 1 GiB
    half = max(1, os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2 // 2**30)
    assert run["driver_memory"] == f"{half}g"
    assert run["jvm_max_memory"] > 0.9 * half * 2**30
    assert run["default_reference"] == "GRCh38"  # genolog's genome_build(), not Hail's GRCh37
    assert run["locus_type"] == "locus<GRCh38>"
    # started once: the second init_batch() neither restarts Hail nor makes it warn
    assert run["stderr"].count("genolog: started Hail Query in Spark local mode") == 1
    assert "already been initialized" not in run["stderr"]


def test_the_balding_nichols_model_and_its_aggregations(hail_query_run: dict[str, Any]) -> None:
    run = hail_query_run
    assert run["count"] == [150, 40]  # variants, samples
    assert run["entries_collected"] == 150 * 40
    assert 0 < run["mean_by_hail"] < 2
    assert run["mean_by_hail"] == pytest.approx(run["mean_in_python"], rel=1e-12)
    # the entries' total, by Hail and in Python, and the sum of the rows' totals (annotate_rows)
    assert run["alt_total_by_hail"] == run["alt_total_in_python"] == run["alt_total_of_rows"]
    assert run["alt_total_by_hail"] == pytest.approx(run["mean_in_python"] * 150 * 40)
    assert run["populations_by_hail"] == run["populations_in_python"]
    assert set(run["populations_by_hail"]) <= {"0", "1", "2"}
    assert sum(run["populations_by_hail"].values()) == 40


def test_the_matrix_table_is_written_to_the_dataset_and_found_by_exists(
    hail_query_run: dict[str, Any],
) -> None:
    run = hail_query_run
    data = Path(run["data_dir"])
    # the queries above read it back (Hail's checkpoint): their figures are the written table's
    assert run["written"] == {"path": str(data / "sandbox-test" / "bn.mt"), "exists": True}
    assert (data / "sandbox-test" / "bn.mt" / "_SUCCESS").is_file()


def test_hail_keeps_its_temporary_files_and_log_in_the_dataset_tmp_folder(
    hail_query_run: dict[str, Any],
) -> None:
    run = hail_query_run
    tmp = Path(run["data_dir"]) / "sandbox-test-tmp" / "batch-tmp"
    assert run["dataset_tmp"] == str(tmp)
    assert run["tmp_dir"].removeprefix("file:").rstrip("/") == str(tmp / "hail-tmp")
    (log,) = run["logs"]
    assert Path(log).parent == tmp / "logs" and Path(log).stat().st_size > 0
    assert f"its log at {log}" in run["stderr"]
