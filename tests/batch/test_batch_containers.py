"""Jobs with an image: run through the configured container runtime, else on the host with a notice.

The runtime here is a stand-in `docker` that records its arguments and runs the job's shell on the
host, so the test checks genolog's side of the contract (the `run` command line) without a daemon.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from genolog.batch import Batch, BatchException, LocalBackend

FAKE_RUNTIME = """#!/usr/bin/env bash
# Stand-in for `docker run ... IMAGE SHELL -c SCRIPT`: record the arguments, run SHELL -c SCRIPT here.
# `image inspect IMAGE` answers an id, except for images named missing*.
if [ "$1" = image ]; then
  case "$4$5" in *missing*) exit 1 ;; esac
  echo sha256:0123; exit 0
fi
printf '%s\\n' "$*" >> "$FAKE_RUNTIME_LOG"
args=("$@")
n=${#args[@]}
exec "${args[n-3]}" -c "${args[n-1]}"
"""


@pytest.fixture
def fake_runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    runtime = tmp_path / "bin" / "fake-docker"
    runtime.parent.mkdir()
    runtime.write_text(FAKE_RUNTIME)
    runtime.chmod(0o755)
    log = tmp_path / "runtime.log"
    monkeypatch.setenv("FAKE_RUNTIME_LOG", str(log))
    return runtime, log


def test_image_jobs_run_through_the_runtime(tmp_path: Path, fake_runtime: tuple[Path, Path]) -> None:
    runtime, log = fake_runtime
    inputs = tmp_path / "inputs dir"
    inputs.mkdir()
    (inputs / "in.txt").write_text("data")
    backend = LocalBackend(tmp_dir=str(tmp_path / "scratch"), container_runtime=str(runtime))
    b = Batch(backend=backend)
    boxed = b.new_job("boxed").image("ubuntu:24.04").cpu(2).memory("1Gi")
    assert boxed is not None
    boxed.command(f"cat {b.read_input(str(inputs / 'in.txt'))} > {boxed.ofile}")
    host = b.new_job("host")
    host.command(f"cat {boxed.ofile} > {host.ofile}")
    b.write_output(host.ofile, str(tmp_path / "out.txt"))
    result = b.run()
    assert result is not None
    assert (tmp_path / "out.txt").read_text() == "data"
    assert [j.ran_in_container for j in result.jobs] == [True, False]
    call = log.read_text()  # one call; its script spans several lines
    assert call.count("run --rm") == 1
    assert call.startswith("run --rm --name genolog-")
    assert "--entrypoint=" in call and "--cpus=2" in call and f"-m {1024**3}" in call
    assert "--network=none" in call  # no network unless [local_backend] container_network says so
    assert f"-v {inputs}:{inputs}:ro" in call
    assert " ubuntu:24.04 /bin/bash -c " in call


def test_missing_runtime_runs_on_host_with_one_notice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GENOLOG_CONTAINER_RUNTIME", "no-such-runtime-xyz")
    b = Batch(backend=LocalBackend(tmp_dir=str(tmp_path)))
    for i in range(3):
        b.new_job(f"img-{i}").image("alpine:3").command("true")
    result = b.run()
    assert result is not None and [j.image for j in result.jobs] == ["alpine:3"] * 3
    assert not any(j.ran_in_container for j in result.jobs)
    err = capsys.readouterr().err
    assert err.count("'no-such-runtime-xyz' is configured but not found on PATH") == 1
    assert "3 job(s) with an image run on the host" in err


def test_a_missing_image_is_an_error_before_anything_runs(
    tmp_path: Path, fake_runtime: tuple[Path, Path]
) -> None:
    runtime, log = fake_runtime
    b = Batch(backend=LocalBackend(tmp_dir=str(tmp_path / "scratch"), container_runtime=str(runtime)))
    b.new_job("first").command(f"touch {tmp_path / 'ran'}")
    b.new_job("boxed").image("localhost/missing-tool:1").command("true")
    with pytest.raises(BatchException, match=r"has no image localhost/missing-tool:1: nothing was run"):
        b.run()
    assert not (tmp_path / "ran").exists() and not log.exists()
