"""`genolog images` on real podman: the base from Debian's packages, the FastQE image on it, what the
record says, and jobs of the local backend running inside the image (mounts, limits, no network)."""

from __future__ import annotations

import gzip
import random
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from genolog.batch import Batch, BatchException, JobFailedError, LocalBackend
from tests.containers.images import BuiltImages, genolog

pytestmark = pytest.mark.slow


def _fastq(path: Path, reads: int, seed: int) -> Path:
    rng = random.Random(seed)
    with gzip.open(path, "wt") as f:
        for i in range(reads):
            f.write(f"@r{i}\n{''.join(rng.choice('ACGT') for _ in range(60))}\n+\n")
            f.write("".join(chr(33 + rng.randrange(2, 41)) for _ in range(60)) + "\n")
    return path


def test_the_images_are_built_tagged_and_recorded(built_images: BuiltImages) -> None:
    (row,) = [r for r in built_images.listing if r["name"] == "fastqe"]
    assert row["image"] == "localhost/genolog/fastqe:0.5.2" and row["recorded"] == row["image"]
    record = tomllib.loads((built_images.data_dir / "images.toml").read_text())
    assert record["images"]["fastqe"] == row["image"]
    assert row["id"] is not None and record["images_built"]["fastqe"]["id"] == row["id"]
    conf = (built_images.data_dir / "containers.conf").read_text()
    assert 'runtime = "runc"' in conf and "nofile=" in conf and "nproc=" in conf
    # genolog's default config now gives image_path('fastqe') the built image
    shown = genolog("config", env=built_images.env)
    assert shown.returncode == 0 and row["image"] in shown.stdout


def test_fastqe_in_the_image_matches_the_host(built_images: BuiltImages, tmp_path: Path) -> None:
    reads = _fastq(tmp_path / "reads.fq.gz", 200, seed=5)
    conf = f"CONTAINERS_CONF={built_images.data_dir / 'containers.conf'}"
    inside = subprocess.run(
        ["env", conf, "podman", "run", "--rm", "--network=none", "-v", f"{tmp_path}:{tmp_path}:ro",
         built_images.fastqe, "fastqe", str(reads)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    host = subprocess.run(
        [sys.executable, "-m", "genolog.qc.fastqe_cli", str(reads)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert inside.returncode == 0, inside.stderr
    assert inside.stdout == host.stdout and "mean" in host.stdout


def test_local_backend_jobs_run_inside_the_image(
    built_images: BuiltImages, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GENOLOG_DATA_DIR", str(built_images.data_dir))
    (tmp_path / "in").mkdir()
    reads = _fastq(tmp_path / "in" / "R1.fq.gz", 50, seed=1)
    b = Batch(backend=LocalBackend(tmp_dir=str(tmp_path / "scratch"), container_runtime="podman"))
    given = b.read_input(str(reads))
    qc = b.new_job("qc").image(built_images.fastqe).cpu(1).memory("512Mi")
    qc.command(f"fastqe {given} > {qc.ofile}; . /etc/os-release; echo $ID >> {qc.ofile}")
    qc.command(f"ls /sys/class/net > {qc.net}")
    b.write_output(qc.ofile, str(tmp_path / "qc.txt"))
    b.write_output(qc.net, str(tmp_path / "net.txt"))
    hog = b.new_job("over its memory").image(built_images.fastqe).memory("64Mi")
    hog.command("python3 -c 'x = bytearray(400 * 2**20); print(len(x))'")
    with pytest.raises(JobFailedError) as failure:
        b.run(disable_progress_bar=True)
    result = failure.value.result
    by_name = {j.name: j for j in result.jobs}
    assert by_name["qc"].status == "succeeded" and by_name["qc"].ran_in_container
    text = (tmp_path / "qc.txt").read_text()
    assert "mean" in text and text.strip().endswith("debian")  # fastqe ran inside the Debian image
    assert (tmp_path / "net.txt").read_text().split() == ["lo"]  # no network unless asked for
    assert by_name["over its memory"].status == "failed" and by_name["over its memory"].exit_code == 137


def test_a_missing_image_stops_the_run_before_it_starts(
    built_images: BuiltImages, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GENOLOG_DATA_DIR", str(built_images.data_dir))
    b = Batch(backend=LocalBackend(tmp_dir=str(tmp_path / "scratch"), container_runtime="podman"))
    b.new_job("first").command(f"touch {tmp_path / 'ran'}")
    b.new_job("boxed").image("localhost/genolog/no-such-image:1").command("true")
    with pytest.raises(BatchException, match="podman has no image localhost/genolog/no-such-image:1"):
        b.run(disable_progress_bar=True)
    assert not (tmp_path / "ran").exists()


def test_bad_image_commands_are_clear(built_images: BuiltImages) -> None:
    unknown = genolog("images", "build", "no-such-tool", env=built_images.env)
    assert unknown.returncode == 1 and "no image 'no-such-tool'" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    no_base = genolog(
        "images", "build", "fastqe", "--base", "localhost/genolog/base:nope", env=built_images.env
    )
    assert no_base.returncode == 1 and "base image localhost/genolog/base:nope is missing" in no_base.stderr
