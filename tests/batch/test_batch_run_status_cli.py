from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from genolog.batch import Batch, JobFailedError, LocalBackend
from genolog.cli import app


def test_run_status_lists_every_job(backend: LocalBackend) -> None:
    b = Batch(name="shown", backend=backend)
    b.new_job("good").command("true")
    bad = b.new_job("bad")
    bad.command("exit 9")
    b.new_job("child").depends_on(bad).command("true")
    with pytest.raises(JobFailedError) as err:
        b.run()
    run_dir = err.value.result.run_dir
    assert (err.value.job.log_path is not None) and err.value.job.log_path.with_suffix(".sh").exists()
    result = CliRunner().invoke(app, ["run-status", str(run_dir)])
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[2].strip(): line for line in result.stdout.splitlines() if line.count("│") > 6}
    assert "succeeded" in rows["good"] and "failed" in rows["bad"] and "9" in rows["bad"]
    assert "cancelled" in rows["child"]


def test_run_status_on_a_wrong_folder_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["run-status", str(tmp_path)])
    assert result.exit_code == 1
    assert "does not exist: give a run directory" in result.stderr
