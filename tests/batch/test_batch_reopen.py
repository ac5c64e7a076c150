"""`Batch.from_batch_id` on the local and Slurm backends: a batch reopened from its run record takes new
jobs, which run into the same record with their ids going on, as hailtop appends to a service batch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import genolog.batch as hb
from genolog.batch.batch import Batch
from genolog.cli import app
from tests.published import ROOT


def record(batch: Batch) -> dict:
    assert batch.batch_id is not None
    return json.loads((Path(batch.batch_id) / "jobs.json").read_text())


def test_a_batch_run_twice_keeps_one_record(backend: hb.LocalBackend) -> None:
    b = Batch(name="twice", backend=backend)
    assert b.batch_id is None
    b.new_job("one").command("true")
    first = b.run()
    b.new_job("two").command("true")
    second = b.run()
    assert first is not None and second is not None and first.run_dir == second.run_dir
    assert [j.job_id for j in second.jobs] == [2]  # the result covers this run's jobs
    saved = record(b)
    assert [(j["job_id"], j["name"]) for j in saved["jobs"]] == [(1, "one"), (2, "two")]
    assert saved["counts"] == {"succeeded": 2} and saved["runs"] == 2


def test_reopening_a_local_run_appends_to_it(tmp_path: Path) -> None:
    """A separate process reopens the batch by its id alone (the backend comes from the record)."""
    scratch, out = tmp_path / "scratch", tmp_path / "out"
    b = Batch(name="reopened", backend=hb.LocalBackend(tmp_dir=str(scratch)), attributes={"cohort": "c1"})
    j = b.new_job("make")
    j.command(f"echo 41 > {j.ofile}")
    b.write_output(j.ofile, str(out / "made.txt"))
    b.run()
    later = f"""
import sys
import genolog.batch as hb
b = hb.Batch.from_batch_id(sys.argv[1])
assert b.name == "reopened" and b.attributes == {{"cohort": "c1"}}, (b.name, b.attributes)
assert isinstance(b._backend, hb.LocalBackend) and b._backend._tmp_dir == {str(scratch)!r}
given = b.read_input({str(out / "made.txt")!r})
j = b.new_job("use")
j.command(f"echo $(( $(cat {{given}}) + 1 )) > {{j.ofile}}")
b.write_output(j.ofile, {str(out / "used.txt")!r})
b.new_job("fail").command("exit 4")
try:
    b.run()
except hb.JobFailedError as e:
    print(e.job.job_id, e.job.name)
"""
    answer = subprocess.run(
        [sys.executable, "-c", later, str(b.batch_id)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.split() == ["3", "fail"]  # its ids went on from the record's
    assert (out / "used.txt").read_text() == "42\n"
    saved = record(b)
    assert [(j["job_id"], j["name"], j["status"]) for j in saved["jobs"]] == [
        (1, "make", "succeeded"),
        (2, "use", "succeeded"),
        (3, "fail", "failed"),
    ]
    assert saved["counts"] == {"succeeded": 2, "failed": 1} and saved["runs"] == 2
    logs = sorted(p.name for p in (Path(str(b.batch_id)) / "jobs").glob("*.log"))
    assert logs[0].startswith("1-") and logs[2].startswith("3-")
    shown = CliRunner().invoke(app, ["run-status", str(b.batch_id)])  # the status shows all of them
    assert shown.exit_code == 0 and "make" in shown.stdout and "fail" in shown.stdout


def test_a_batch_id_is_found_by_name_in_the_runs_folder(backend: hb.LocalBackend) -> None:
    b = Batch(name="named", backend=backend)
    b.new_job().command("true")
    b.run()
    name = Path(str(b.batch_id)).name
    again = Batch.from_batch_id(name, backend=backend)
    assert again.batch_id == b.batch_id and again.name == "named"
    again.new_job("more").command("true")
    result = again.run()
    assert result is not None and [j.job_id for j in result.jobs] == [2]


def test_bad_batch_ids_are_clear(backend: hb.LocalBackend, tmp_path: Path) -> None:
    with pytest.raises(hb.BatchException, match=r"no batch 'nothing-here'.*not a run directory"):
        Batch.from_batch_id("nothing-here", backend=backend)
    old = tmp_path / "old-run"
    old.mkdir()
    (old / "jobs.json").write_text(
        json.dumps({"batch": "x", "jobs": []})
    )  # written before the backend was kept
    with pytest.raises(hb.BatchException, match="does not say which backend ran it"):
        Batch.from_batch_id(old)
    assert Batch.from_batch_id(old, backend=backend).name == "x"  # naming the backend is enough
    (old / "jobs.json").write_text("{")
    with pytest.raises(hb.BatchException, match="is not a run record"):
        Batch.from_batch_id(old, backend=backend)
    with pytest.raises(hb.BatchException, match="got name twice"):
        Batch.from_batch_id(old, "a", name="b")


@pytest.mark.slow
def test_reopening_a_slurm_run(slurm: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    b = Batch(name="on-slurm", backend=hb.SlurmBackend(scratch=shared, poll_interval=0.2))
    j = b.new_job("first")
    j.command(f"echo $SLURM_JOB_ID > {j.ofile}")
    b.write_output(j.ofile, str(tmp_path / "first.txt"))
    b.run(disable_progress_bar=True)
    again = Batch.from_batch_id(str(b.batch_id))  # the Slurm backend is made again from the record
    assert isinstance(again._backend, hb.SlurmBackend) and again._backend._tmp_dir == str(shared)
    k = again.new_job("second")
    k.command(f"echo $SLURM_JOB_ID > {k.ofile}")
    again.write_output(k.ofile, str(tmp_path / "second.txt"))
    result = again.run(disable_progress_bar=True)
    assert result is not None and [j.job_id for j in result.jobs] == [2]
    first, second = ((tmp_path / f).read_text().strip() for f in ("first.txt", "second.txt"))
    assert first and second and first != second  # both ran under Slurm, as separate jobs
    saved = record(again)
    assert [j["name"] for j in saved["jobs"]] == ["first", "second"] and saved["backend"]["kind"] == "slurm"
