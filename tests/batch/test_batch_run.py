"""Running batches on the local backend: upstream LocalBackend semantics plus genolog's additions."""

from __future__ import annotations

import json
import random
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from genolog.batch import Batch, BatchException, BatchRunResult, JobFailedError, LocalBackend


def _run(b: Batch) -> BatchRunResult:
    result = b.run()
    assert result is not None
    return result


def test_inputs_and_outputs_round_trip_exactly(backend: LocalBackend, tmp_path: Path) -> None:
    payload = random.Random(5).randbytes(200_000)
    src = tmp_path / "in.bin"
    src.write_bytes(payload)
    b = Batch(backend=backend)
    inp = b.read_input(str(src))
    j = b.new_job("copy")
    j.command(f"cat {inp} > {j.ofile}")
    b.write_output(j.ofile, str(tmp_path / "out" / "copy.bin"))
    b.write_output(inp, str(tmp_path / "out" / "direct.bin"))
    _run(b)
    assert (tmp_path / "out" / "copy.bin").read_bytes() == payload
    assert (tmp_path / "out" / "direct.bin").read_bytes() == payload


def test_output_group_writes_one_file_per_member(backend: LocalBackend, tmp_path: Path) -> None:
    b = Batch(backend=backend)
    j = b.new_job("group")
    j.declare_resource_group(foo={"in1": "{root}.in1", "in2": "{root}.in2"})
    j.command(f"echo one > {j.foo.in1}; echo two > {j.foo}.in2")
    b.write_output(j.foo, str(tmp_path / "foo"))
    _run(b)
    assert (tmp_path / "foo.in1").read_text() == "one\n"
    assert (tmp_path / "foo.in2").read_text() == "two\n"


def test_input_group_members_sit_side_by_side(backend: LocalBackend, tmp_path: Path) -> None:
    for ext in ("bed", "bim"):
        (tmp_path / f"x.{ext}").write_text(ext)
    b = Batch(backend=backend)
    g = b.read_input_group(bed=str(tmp_path / "x.bed"), bim=str(tmp_path / "x.bim"))
    j = b.new_job("read group")
    j.command(f"cat {g}.bed {g.bim} > {j.ofile}")
    b.write_output(j.ofile, str(tmp_path / "both.txt"))
    _run(b)
    assert (tmp_path / "both.txt").read_text() == "bedbim"


def test_chain_passes_files_in_order(backend: LocalBackend, tmp_path: Path) -> None:
    b = Batch(backend=backend)
    prev = None
    for i in range(3):
        j = b.new_job(f"step-{i}")
        j.command(f"{'cat ' + str(prev) + ' > ' + str(j.ofile) + ';' if prev else ''} echo {i} >> {j.ofile}")
        prev = j.ofile
    assert prev is not None
    b.write_output(prev, str(tmp_path / "chain.txt"))
    _run(b)
    assert (tmp_path / "chain.txt").read_text() == "0\n1\n2\n"


def test_scatter_gather_and_select_jobs(backend: LocalBackend, tmp_path: Path) -> None:
    b = Batch(backend=backend)
    parts = []
    for i in range(6):
        j = b.new_job(f"scatter-{i}")
        j.command(f"echo {i * i} > {j.ofile}")
        parts.append(j.ofile)
    gather = b.new_job("gather")
    gather.command(f"cat {' '.join(parts)} > {gather.ofile}")
    b.write_output(gather.ofile, str(tmp_path / "gathered.txt"))
    assert len(b.select_jobs("scatter")) == 6
    _run(b)
    assert (tmp_path / "gathered.txt").read_text().split() == ["0", "1", "4", "9", "16", "25"]


def test_paths_with_spaces_and_parentheses(backend: LocalBackend, tmp_path: Path) -> None:
    folder = tmp_path / "my data (v1)"
    folder.mkdir()
    (folder / "a file (1).txt").write_text("spaced")
    b = Batch(backend=backend)
    inp = b.read_input(str(folder / "a file (1).txt"))
    j = b.new_job("spaces (and parens)")
    j.command(f"cat {inp} > {j.ofile}")
    b.write_output(j.ofile, str(folder / "out (2).txt"))
    _run(b)
    assert (folder / "out (2).txt").read_text() == "spaced"


def test_env_values_are_visible_and_keep_spaces(backend: LocalBackend, tmp_path: Path) -> None:
    b = Batch(backend=backend)
    j = b.new_job("env")
    j.env("GREETING", "hello world")
    j.command(f'echo "$GREETING" > {j.ofile}; test -d "$BATCH_TMPDIR"')
    b.write_output(j.ofile, str(tmp_path / "env.txt"))
    _run(b)
    assert (tmp_path / "env.txt").read_text() == "hello world\n"


def test_shell_option_and_nonsense_shell(backend: LocalBackend, tmp_path: Path) -> None:
    b = Batch(backend=backend)
    j = b.new_job("sh", shell="/bin/sh")
    j.command(f"echo $0 > {j.ofile}")
    b.write_output(j.ofile, str(tmp_path / "shell.txt"))
    _run(b)
    assert (tmp_path / "shell.txt").read_text().strip() == "/bin/sh"
    b2 = Batch(backend=backend)
    b2.new_job("bad shell", shell="/no/such/shell").command("echo hi")
    with pytest.raises(subprocess.CalledProcessError):
        b2.run()


def test_bad_command_raises_called_process_error_with_run_record(backend: LocalBackend) -> None:
    b = Batch(name="failing", backend=backend)
    j = b.new_job("boom")
    j.command("echo about to fail; exit 3")
    with pytest.raises(subprocess.CalledProcessError) as err:
        b.run()
    assert isinstance(err.value, JobFailedError)
    assert err.value.returncode == 3
    assert "('boom') failed with exit code 3" in str(err.value)
    assert "about to fail" in str(err.value)  # the log's tail
    job = err.value.result.jobs[0]
    assert job.status == "failed" and job.exit_code == 3
    assert job.log_path is not None and "about to fail" in job.log_path.read_text()
    record = json.loads((err.value.result.run_dir / "jobs.json").read_text())
    assert record["counts"] == {"failed": 1}


def test_failure_cancels_descendants_but_not_unrelated_or_always_run(
    backend: LocalBackend, tmp_path: Path
) -> None:
    b = Batch(backend=backend)
    bad = b.new_job("bad")
    bad.command(f"echo partial > {bad.ofile}; exit 1")
    child = b.new_job("child")
    child.command(f"cat {bad.ofile}")
    grandchild = b.new_job("grandchild")
    grandchild.command("true")
    grandchild.depends_on(child)
    explicit = b.new_job("depends_on child")
    explicit.command("true")
    explicit.depends_on(bad)
    unrelated = b.new_job("unrelated")
    unrelated.command(f"echo fine > {unrelated.ofile}")
    b.write_output(unrelated.ofile, str(tmp_path / "unrelated.txt"))
    cleanup = b.new_job("cleanup").always_run()
    assert cleanup is not None
    cleanup.command(f"cat {bad.ofile} > {cleanup.ofile}")
    b.write_output(cleanup.ofile, str(tmp_path / "partial.txt"))
    after_cleanup = b.new_job("after cleanup")
    after_cleanup.command(f"cat {cleanup.ofile}")
    with pytest.raises(JobFailedError) as err:
        b.run()
    status = {j.name: j.status for j in err.value.result.jobs}
    assert status == {
        "bad": "failed",
        "child": "cancelled",
        "grandchild": "cancelled",
        "depends_on child": "cancelled",
        "unrelated": "succeeded",
        "cleanup": "succeeded",
        "after cleanup": "succeeded",
    }
    assert (tmp_path / "unrelated.txt").read_text() == "fine\n"
    assert (tmp_path / "partial.txt").read_text() == "partial\n"


def test_first_failure_in_job_order_is_raised_after_everything_ran(backend: LocalBackend) -> None:
    b = Batch(backend=backend)
    b.new_job("first").command("exit 4")
    b.new_job("second").command("exit 5")
    b.new_job("third").command("true")
    with pytest.raises(JobFailedError) as err:
        b.run()
    assert err.value.returncode == 4
    assert err.value.result.counts() == {"failed": 2, "succeeded": 1}


def test_second_run_runs_only_new_jobs(backend: LocalBackend, tmp_path: Path) -> None:
    counter = tmp_path / "count"
    b = Batch(backend=backend)
    b.new_job("one").command(f"echo one >> {counter}")
    assert len(_run(b).jobs) == 1
    b.new_job("two").command(f"echo two >> {counter}")
    second = _run(b)
    assert [j.name for j in second.jobs] == ["two"]
    assert counter.read_text() == "one\ntwo\n"


def test_retries_until_success(backend: LocalBackend, tmp_path: Path) -> None:
    marker = tmp_path / "tries"
    b = Batch(backend=backend)
    j = b.new_job("flaky").n_max_attempts(3)
    assert j is not None
    j.command(f'echo x >> {marker}; [ "$(wc -l < {marker})" -ge 2 ]')
    result = _run(b)
    assert result.jobs[0].attempts == 2 and result.jobs[0].status == "succeeded"
    b2 = Batch(backend=backend)
    b2.new_job("always fails").n_max_attempts(2).command("exit 7")
    with pytest.raises(JobFailedError) as err:
        b2.run()
    assert err.value.job.attempts == 2 and err.value.returncode == 7


def test_timeout_kills_the_job(backend: LocalBackend) -> None:
    b = Batch(backend=backend)
    b.new_job("slow").timeout(0.3).command("sleep 30")
    with pytest.raises(JobFailedError, match="timed out") as err:
        b.run()
    job = err.value.job
    assert job.status == "timed_out"
    assert job.duration < 10


def test_cancel_after_n_failures(tmp_path: Path) -> None:
    serial = LocalBackend(tmp_dir=str(tmp_path), cpus=1)
    b = Batch(backend=serial, cancel_after_n_failures=1)
    b.new_job("fails").command("exit 1")
    b.new_job("never runs").command("true")
    b.new_job("cleanup").always_run().command("true")
    with pytest.raises(JobFailedError) as err:
        b.run()
    assert [j.status for j in err.value.result.jobs] == ["failed", "cancelled", "succeeded"]


def test_dry_run_runs_nothing(
    backend: LocalBackend, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    b = Batch(backend=backend)
    j = b.new_job("dry")
    j.command(f"echo hi > {j.ofile}")
    b.write_output(j.ofile, str(tmp_path / "dry.txt"))
    result = b.run(dry_run=True)
    assert result is not None and result.jobs == []
    assert not (tmp_path / "dry.txt").exists()
    assert "echo hi" in capsys.readouterr().err


def test_scratch_is_kept_on_request_and_removed_by_default(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_dir=str(tmp_path / "t"))
    b = Batch(backend=backend)
    b.new_job("x").command("true")
    b.run()

    def visible() -> list[Path]:  # scratch being deleted in the background is renamed to a dot-name
        return [p for p in (tmp_path / "t" / "batch").iterdir() if not p.name.startswith(".")]

    assert visible() == []
    b.new_job("y").command("true")
    b.run(delete_scratch_on_exit=False)
    assert len(visible()) == 1


def test_local_backend_as_context_manager_and_env_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with LocalBackend(tmp_dir=str(tmp_path)) as backend:
        b = Batch(backend=backend)
        b.new_job("x").command("true")
        assert _run(b).succeeded
    monkeypatch.setenv("HAIL_BATCH_BACKEND", "local")
    assert isinstance(Batch()._backend, LocalBackend)


def test_missing_output_file_fails_the_job_clearly(backend: LocalBackend, tmp_path: Path) -> None:
    b = Batch(backend=backend)
    j = b.new_job("forgets")
    j.command(f"true {j.ofile}")
    b.write_output(j.ofile, str(tmp_path / "never.txt"))
    with pytest.raises(JobFailedError, match="did not create 'ofile'"):
        b.run()


def test_input_created_by_an_earlier_job_is_read_lazily(backend: LocalBackend, tmp_path: Path) -> None:
    target = tmp_path / "later.txt"
    b = Batch(backend=backend)
    maker = b.new_job("maker")
    maker.command(f"echo made > '{target}'")
    reader = b.new_job("reader")
    reader.command(f"cat {b.read_input(str(target))} > {reader.ofile}")
    reader.depends_on(maker)
    b.write_output(reader.ofile, str(tmp_path / "read.txt"))
    _run(b)
    assert (tmp_path / "read.txt").read_text() == "made\n"


def test_very_long_commands_run(backend: LocalBackend, tmp_path: Path) -> None:
    b = Batch(backend=backend)
    j = b.new_job("long")
    filler = "x" * 300_000  # beyond Linux's 128 KiB limit for one argument
    j.command(f": '{filler}'\necho done > {j.ofile}")
    b.write_output(j.ofile, str(tmp_path / "long.txt"))
    _run(b)
    assert (tmp_path / "long.txt").read_text() == "done\n"


def test_writing_a_missing_input_is_a_clear_error(backend: LocalBackend, tmp_path: Path) -> None:
    b = Batch(backend=backend)
    b.write_output(b.read_input(str(tmp_path / "absent.txt")), str(tmp_path / "copy.txt"))
    with pytest.raises(BatchException, match=r"absent\.txt .*the input file does not exist"):
        b.run()


def test_verbose_traces_commands_into_the_log(backend: LocalBackend) -> None:
    b = Batch(backend=backend)
    b.new_job("traced").command("echo hi")
    result = b.run(verbose=True)
    assert result is not None and result.jobs[0].log_path is not None
    assert "+ echo hi" in result.jobs[0].log_path.read_text()


def test_local_backend_settings_come_from_config(
    tmp_path: Path, toml_file: Callable[[str, str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = tmp_path / "my runs"
    path = toml_file("lb.toml", f'[local_backend]\nruns_dir = "{runs}"\ncpus = 1\nmax_parallel_jobs = 1\n')
    monkeypatch.setenv("GENOLOG_CONFIG_PATH", path)
    backend = LocalBackend(tmp_dir=str(tmp_path / "scratch"))
    assert (backend._cpus, backend._max_parallel_jobs) == (1.0, 1)
    b = Batch(name="configured", backend=backend)
    b.new_job("x").command("true")
    result = b.run()
    assert result is not None and result.run_dir.parent == runs
    assert (result.run_dir / "jobs.json").exists()
