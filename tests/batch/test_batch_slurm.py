"""`SlurmBackend` against a real single-node Slurm (munge, slurmctld, slurmd started for the session):
chains, fan-out and fan-in, failure propagation, always_run, timeouts, retries, Python jobs,
cancel_after_n_failures, Ctrl-C, refusals, and the `[hail] backend = "slurm"` switch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import genolog.batch as hb
from genolog import config
from genolog.batch import helpers

pytestmark = pytest.mark.slow


@pytest.fixture
def backend(slurm: Path, tmp_path: Path) -> hb.SlurmBackend:
    return hb.SlurmBackend(scratch=tmp_path / "scratch", poll_interval=0.2)


def _our_jobs() -> list[str]:
    answer = subprocess.run(["squeue", "--noheader", "--format=%i %T"], capture_output=True, text=True)
    return [line for line in answer.stdout.splitlines() if line.strip()]


def test_a_chain_passes_files_and_writes_outputs(backend: hb.SlurmBackend, tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    source.write_text("genomes\n")
    b = hb.Batch("chain", backend=backend)
    given = b.read_input(str(source))
    first = b.new_job("upper")
    first.command(f"tr a-z A-Z < {given} > {first.ofile}")
    second = b.new_job("count").cpu(2).memory("100Mi").storage("10Mi").timeout(60)
    second.command(f"wc -c < {first.ofile} > {second.ofile}; echo $SLURM_CPUS_PER_TASK > {second.cpus}")
    b.write_output(first.ofile, str(tmp_path / "out" / "upper.txt"))
    b.write_output(second.ofile, str(tmp_path / "out" / "count.txt"))
    b.write_output(second.cpus, str(tmp_path / "out" / "cpus.txt"))
    result = b.run(disable_progress_bar=True)
    assert result is not None and [j.status for j in result.jobs] == ["succeeded", "succeeded"]
    assert (tmp_path / "out" / "upper.txt").read_text() == "GENOMES\n"
    assert (tmp_path / "out" / "count.txt").read_text().strip() == "8"
    assert (tmp_path / "out" / "cpus.txt").read_text().strip() == "2"  # cpu() became --cpus-per-task
    assert all(j.log_path is not None and j.log_path.exists() for j in result.jobs)
    assert (result.run_dir / "jobs.json").exists()


def test_fan_out_and_in(backend: hb.SlurmBackend, tmp_path: Path) -> None:
    b = hb.Batch("fan", backend=backend)
    parts = []
    for i in range(6):
        j = b.new_job(f"part {i}")
        j.command(f"echo {i * i} > {j.ofile}")
        parts.append(j)
    merge = b.new_job("merge")
    merge.command(f"cat {' '.join(str(p.ofile) for p in parts)} | paste -sd+ | bc > {merge.ofile}")
    b.write_output(merge.ofile, str(tmp_path / "sum.txt"))
    result = b.run(disable_progress_bar=True)
    assert result is not None and result.succeeded and len(result.jobs) == 7
    assert (tmp_path / "sum.txt").read_text().strip() == str(sum(i * i for i in range(6)))


def test_a_failure_cancels_descendants_but_not_always_run(backend: hb.SlurmBackend, tmp_path: Path) -> None:
    b = hb.Batch("failing", backend=backend)
    bad = b.new_job("bad")
    bad.command("echo about to fail; exit 3")
    child = b.new_job("child").depends_on(bad)
    child.command(f"touch {tmp_path / 'child-ran'}")
    grandchild = b.new_job("grandchild").depends_on(child)
    grandchild.command(f"touch {tmp_path / 'grandchild-ran'}")
    cleanup = b.new_job("cleanup").depends_on(child).always_run()
    cleanup.command(f"touch {tmp_path / 'cleanup-ran'}")
    independent = b.new_job("independent")
    independent.command("true")
    with pytest.raises(hb.JobFailedError) as failure:
        b.run(disable_progress_bar=True)
    result = failure.value.result
    by_name = {j.name: j for j in result.jobs}
    assert by_name["bad"].status == "failed" and by_name["bad"].exit_code == 3
    assert "about to fail" in by_name["bad"].log_path.read_text()  # type: ignore[union-attr]
    assert by_name["child"].status == "cancelled" and by_name["grandchild"].status == "cancelled"
    assert by_name["child"].message == "a parent failed or was cancelled"
    assert by_name["cleanup"].status == "succeeded" and by_name["independent"].status == "succeeded"
    assert not (tmp_path / "child-ran").exists() and not (tmp_path / "grandchild-ran").exists()
    assert (tmp_path / "cleanup-ran").exists()
    assert not _our_jobs()  # nothing left pending in Slurm


def test_timeout_and_retries(backend: hb.SlurmBackend, tmp_path: Path) -> None:
    b = hb.Batch("timeouts", backend=backend)
    slow = b.new_job("slow").timeout(2)
    slow.command("sleep 60")
    counter = tmp_path / "attempts"
    flaky = b.new_job("flaky")
    flaky._n_max_attempts = 3
    flaky.command(f'echo x >> {counter}; [ "$(wc -l < {counter})" -ge 2 ]')
    started = time.monotonic()
    with pytest.raises(hb.JobFailedError) as failure:
        b.run(disable_progress_bar=True)
    assert time.monotonic() - started < 40  # not Slurm's 30-second limit checks
    by_name = {j.name: j for j in failure.value.result.jobs}
    assert by_name["slow"].status == "timed_out" and by_name["slow"].exit_code is None
    assert by_name["slow"].message == "killed after the 2 s timeout"
    assert by_name["flaky"].status == "succeeded" and by_name["flaky"].attempts == 2


def _square(x: int) -> int:
    return x * x


def _boom() -> None:
    raise ValueError("python job failed on purpose")


def test_python_jobs_run_with_the_submitting_interpreter(backend: hb.SlurmBackend, tmp_path: Path) -> None:
    b = hb.Batch("python", backend=backend)
    py = b.new_python_job("square")
    squared = py.call(_square, 12)
    where = b.new_python_job("where").call(lambda: sys.executable)
    show = b.new_job("show")
    show.command(f"cat {squared.as_str()} {where.as_str()} > {show.ofile}")
    b.write_output(show.ofile, str(tmp_path / "python.txt"))
    result = b.run(disable_progress_bar=True)
    assert result is not None and result.succeeded
    assert (tmp_path / "python.txt").read_text().split() == ["144", sys.executable]

    b2 = hb.Batch("python failing", backend=backend)
    b2.new_python_job("boom").call(_boom)
    with pytest.raises(hb.JobFailedError) as failure:
        b2.run(disable_progress_bar=True)
    job = failure.value.result.jobs[0]
    assert job.status == "failed" and "python job failed on purpose" in job.log_path.read_text()  # type: ignore[union-attr]


def test_cancel_after_n_failures_cancels_what_has_not_started(
    backend: hb.SlurmBackend, tmp_path: Path
) -> None:
    b = hb.Batch("stop early", backend=backend, cancel_after_n_failures=1)
    gate = b.new_job("gate")
    gate.command("sleep 3")
    b.new_job("fails").command("exit 1")
    waiting = [b.new_job(f"waiting {i}").depends_on(gate) for i in range(3)]
    for j in waiting:
        j.command(f"touch {tmp_path}/$RANDOM")
    keeper = b.new_job("keeper").depends_on(gate).always_run()
    keeper.command(f"touch {tmp_path / 'keeper-ran'}")
    with pytest.raises(hb.JobFailedError) as failure:
        b.run(disable_progress_bar=True)
    by_name = {j.name: j for j in failure.value.result.jobs}
    assert all(by_name[f"waiting {i}"].status == "cancelled" for i in range(3))
    assert by_name["waiting 0"].message == "too many failures in the batch"
    assert by_name["keeper"].status == "succeeded" and (tmp_path / "keeper-ran").exists()


def test_refusals_are_clear_and_leave_nothing_behind(slurm: Path, tmp_path: Path) -> None:
    b = hb.Batch("bad partition", backend=hb.SlurmBackend(scratch=tmp_path, partition="no-such-partition"))
    b.new_job("a").command("true")
    b.new_job("b").command("true")
    with pytest.raises(hb.BatchException, match=r"sbatch refused job 1 \(a\): .*partition"):
        b.run(disable_progress_bar=True)
    assert not _our_jobs()
    huge = hb.Batch("too big", backend=hb.SlurmBackend(scratch=tmp_path))
    huge.new_job("first").command("true")
    huge.new_job("big").memory("100Ti").command("true")
    with pytest.raises(hb.BatchException, match=r"sbatch refused job 2 \(big\)"):
        huge.run(disable_progress_bar=True)
    assert not _our_jobs()  # the first job, already submitted, was cancelled


def test_missing_slurm_commands_are_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(hb.BatchException, match="needs sbatch, squeue, scancel on PATH"):
        hb.SlurmBackend()


INTERRUPTED = """
import sys
import genolog.batch as hb

b = hb.Batch("interrupted", backend=hb.SlurmBackend(scratch=sys.argv[1], poll_interval=0.2))
first = b.new_job("long")
first.command("sleep 120")
b.new_job("after").depends_on(first).command("true")
print("submitting", flush=True)
b.run()
"""


def test_ctrl_c_cancels_the_submitted_jobs(slurm: Path, tmp_path: Path) -> None:
    script = tmp_path / "run.py"
    script.write_text(INTERRUPTED)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "scratch")], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "submitting"
    deadline = time.monotonic() + 30
    while not any("RUNNING" in line for line in _our_jobs()):
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) != 0
    proc.stdout.close()
    deadline = time.monotonic() + 15
    while _our_jobs():
        assert time.monotonic() < deadline, f"jobs left behind: {_our_jobs()}"
        time.sleep(0.2)


def test_the_hail_backend_key_selects_slurm(
    slurm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[hail]\nbackend = "slurm"\n[slurm]\nscratch = "{tmp_path / "shared"}"\npoll_interval = 0.2\n'
    )
    monkeypatch.setenv("GENOLOG_CONFIG_PATH", str(cfg))
    config._reset_for_tests()
    b = helpers.get_batch("configured")
    assert isinstance(b._backend, hb.SlurmBackend)
    j = b.new_job("hello")
    j.command(f"echo $SLURM_JOB_ID > {j.ofile}")
    b.write_output(j.ofile, str(tmp_path / "id.txt"))
    result = b.run(disable_progress_bar=True)
    assert result is not None and result.run_dir.is_relative_to(tmp_path / "shared")
    assert (tmp_path / "id.txt").read_text().strip().isdigit()  # it really ran under Slurm
    os.environ.pop("GENOLOG_CONFIG_PATH", None)
    config._reset_for_tests()


def test_ended_jobs_states_come_from_accounting_or_the_completion_log(slurm: Path) -> None:
    """For jobs `squeue` has forgotten (older than MinJobAge): this cluster keeps no accounting
    database, so ``sacct`` refuses and the states come from its job completion log (``sacct -c``)."""
    from genolog.batch._slurm import ended_states

    def submit(command: str) -> str:
        done = subprocess.run(
            ["sbatch", "--parsable", f"--output={slurm}/ended-%j.log", "--wrap", command],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip().split(";")[0]

    ok, failed, cancelled = submit("true"), submit("exit 3"), submit("sleep 60")
    subprocess.run(["scancel", cancelled], check=True)
    expected = {ok: "COMPLETED", failed: "FAILED", cancelled: "CANCELLED"}
    deadline = time.monotonic() + 60
    while (states := ended_states([*expected, "999999"])) != expected and time.monotonic() < deadline:
        time.sleep(0.5)
    assert states == expected  # the unknown id is left out
